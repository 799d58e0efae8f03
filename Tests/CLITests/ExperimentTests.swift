import Foundation
import PNG
import Phantoms
import Testing
import TestSupport

@Suite("isnetd experiment", .serialized)
struct ExperimentTests {
  /// The parts of results.json this test reads.
  struct Result: Decodable {
    struct Test: Decodable {
      var accuracy: Double
      var macroF1: Double
      var backgroundShare: Double
      var accuracyByMarker: [String: Double]
    }
    var variant: String
    var markerFreeReference: Bool
    var secondsPerEpoch: Double
    var tunedCuts: [Double]
    var tests: [String: Test]
    var markerAblation: Ablation?
  }

  struct Ablation: Decodable {
    var images: Int
    var predictionChanged, marginShift, throughWindow, throughSwitchedOff, throughSwitchedOn, throughStillActive: Double
    var unitsSwitchedOff, marginRelevanceOnMarker, markerRelevanceShare, markerArea: Double
  }

  @Test("compares plain and Selective on synth data: table, JSON, chart, heatmaps, accuracy by marker kind")
  func smallExperiment() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    let out = directory.path("report")
    _ = try Command.run(isnetdExecutable, [
      "synth", "--out", data, "--seed", "5", "--size", "96",
      "--counts", "train=24,validation=6,test-biased=9,test-unbiased=9,test-confounding=12",
    ])
    let output = try Command.run(isnetdExecutable, [
      "experiment", "--data", data, "--out", out, "--variants", "plain", "--variants", "selective",
      "--size", "48", "--epochs", "2", "--heatmap-warmup-epochs", "1", "--tune-cut-epochs", "2", "--batch-size", "8",
      "--heatmap-images", "3", "--threads", "2",
    ])
    #expect(output.contains("loaded test-confounding: 12 images"))
    #expect(output.contains("rendered 12 marker-free twins of the confounding test images"))

    let results = try JSONDecoder().decode([Result].self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/results.json")))
    #expect(results.map(\.variant) == ["plain", "selective"])
    #expect(results[0].tunedCuts.isEmpty && results[1].tunedCuts.count == 2)
    let manifest = try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(data)/manifest.json")))
    for result in results {
      #expect(result.secondsPerEpoch > 0)
      for (split, test) in result.tests {
        #expect((0...1).contains(test.accuracy) && (0...1).contains(test.backgroundShare))
        // Per-kind accuracies are of the split's images: weighted by how many carry each kind, they
        // give the split's accuracy back.
        let kinds = manifest.files.filter { $0.split?.rawValue == split }.map { $0.marker?.kind.rawValue ?? "none" }
        let counts = Dictionary(kinds.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(Set(test.accuracyByMarker.keys) == Set(counts.keys), "\(split)")
        let weighted = counts.reduce(0.0) { $0 + Double($1.value) * (test.accuracyByMarker[$1.key] ?? .nan) } / Double(kinds.count)
        #expect(abs(weighted - test.accuracy) < 1e-9, "\(split): \(weighted) vs \(test.accuracy)")
      }
      #expect(result.tests["test-unbiased"]?.accuracyByMarker.keys.sorted() == ["none"])
      // The marker's effect on the logits equals the sum of its parts through the last layer's units.
      let ablation = try #require(result.markerAblation)
      #expect(ablation.images == 12)
      #expect(abs(ablation.throughSwitchedOff + ablation.throughSwitchedOn + ablation.throughStillActive - ablation.marginShift) < 1e-4)
      #expect(ablation.marginShift != 0 && ablation.marginRelevanceOnMarker.isFinite && ablation.throughWindow.isFinite)
      for share in [ablation.predictionChanged, ablation.unitsSwitchedOff, ablation.markerRelevanceShare, ablation.markerArea] {
        #expect((0...1).contains(share))
      }
      #expect(ablation.markerArea > 0 && ablation.markerArea < 0.5)
    }

    let table = try String(contentsOfFile: "\(out)/results.md", encoding: .utf8)
    #expect(table.contains("| selective |"))
    #expect(table.contains("Accuracy on test-confounding by the marker each image carries"))
    #expect(table.contains("How the marker acts on test-confounding (12 images"))
    #expect(table.contains("not on patient data"))
    let chart = try PNGImage(decoding: Array(Data(contentsOf: URL(fileURLWithPath: "\(out)/chart.png"))))
    let heatmaps = try PNGImage(decoding: Array(Data(contentsOf: URL(fileURLWithPath: "\(out)/heatmaps.png"))))
    #expect(chart.width > 100 && chart.height > 100)
    #expect(heatmaps.width == 3 * (48 + 4) && heatmaps.height > 3 * 48)  // input, plain, Selective; 3 images
  }

  @Test("with --reference, a plain classifier trained on marker-free data is the ceiling: trained first, and each variant's gap to it reported per split and marker kind")
  func markerFreeReference() throws {
    let directory = try TemporaryDirectory()
    let (data, reference, out) = (directory.path("data"), directory.path("reference"), directory.path("report"))
    let synth = ["synth", "--seed", "5", "--size", "96", "--counts", "train=24,validation=6,test-biased=6,test-unbiased=6,test-confounding=12"]
    try Command.run(isnetdExecutable, synth + ["--out", data])
    try Command.run(isnetdExecutable, ["synth", "--out", reference, "--seed", "6", "--size", "96", "--counts", "train=24,validation=6",
                                       "--bias-strength", "0", "--bias-otherwise", "no-marker"])
    let output = try Command.run(isnetdExecutable, [
      "experiment", "--data", data, "--reference", reference, "--out", out, "--variants", "selective",
      "--size", "48", "--epochs", "2", "--heatmap-warmup-epochs", "1", "--tune-cut-epochs", "1", "--batch-size", "8",
      "--heatmap-images", "2", "--threads", "2",
    ])
    #expect(output.contains("loaded the marker-free reference's data: 24 training, 6 validation images"))
    let results = try JSONDecoder().decode([Result].self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/results.json")))
    #expect(results.map(\.markerFreeReference) == [true, false])
    #expect(results.map(\.variant) == ["plain", "selective"])
    #expect(results[0].tunedCuts.isEmpty)
    // The reference never saw a marker.
    let manifest = try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(reference)/manifest.json")))
    #expect(manifest.files.allSatisfy { $0.marker == nil })

    let table = try String(contentsOfFile: "\(out)/results.md", encoding: .utf8)
    #expect(table.contains("| reference |"))
    #expect(table.contains("Gap to the marker-free reference"))
    // The gap table follows the main table and the accuracy by marker kind.
    let gapTable = try #require(table.components(separatedBy: "Gap to the marker-free reference").last)
    let gapRow = try #require(gapTable.split(separator: "\n").first { $0.hasPrefix("| selective | ") })
    let cells = gapRow.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    // The gaps are the variant's accuracy minus the reference's, split by split, then by marker kind.
    for (index, split) in ["test-biased", "test-unbiased", "test-confounding"].enumerated() {
      let expected = results[1].tests[split]!.accuracy - results[0].tests[split]!.accuracy
      #expect(cells[index + 1] == String(format: "%+.3f", expected), "\(split): \(gapRow)")
    }
    let kinds = results[0].tests["test-confounding"]!.accuracyByMarker.keys.sorted()
    #expect(cells.count == 1 + 3 + kinds.count, "\(gapRow)")
    let heatmaps = try PNGImage(decoding: Array(Data(contentsOf: URL(fileURLWithPath: "\(out)/heatmaps.png"))))
    #expect(heatmaps.width == 3 * (48 + 4))  // input, reference, Selective
  }

  @Test("SIGINT during training is reported as stopped, not as a data error: exit 130, no results written")
  func interrupt() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    let out = directory.path("report")
    _ = try Command.run(isnetdExecutable, ["synth", "--out", data, "--seed", "5", "--size", "48", "--counts", "train=16,validation=4"])
    let run = try Command.interruptOnceHandled(executable: isnetdExecutable, [
      "experiment", "--data", data, "--out", out, "--variants", "plain", "--size", "48", "--epochs", "500",
      "--batch-size", "2", "--threads", "1",
    ])
    #expect(run.becameReady)
    #expect(run.status == 130)
    #expect(run.errors.contains("stopped: while training the plain variant, before any results"), "\(run.errors)")
    #expect(!run.errors.contains("Error"))
    #expect(!FileManager.default.fileExists(atPath: "\(out)/results.json"))
  }

  @Test("every isnetd command docs/experiment/README.md shows is run by scripts/experiments.sh, and its options parse")
  func documentedCommandsRun() throws {
    let document = try String(contentsOf: Repository.root.appendingPathComponent("docs/experiment/README.md"), encoding: .utf8)
    let script = try String(contentsOf: Repository.root.appendingPathComponent("scripts/experiments.sh"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    var inCode = false
    var commands: [[String]] = []
    for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") { inCode.toggle(); continue }
      if inCode, line.hasPrefix("isnetd ") { commands.append(line.split(separator: " ").dropFirst().map(String.init)) }
    }
    #expect(commands.count >= 10, "the runs the document reports")
    let directory = try TemporaryDirectory()
    for (number, arguments) in commands.enumerated() {
      #expect(script.contains("run " + arguments.joined(separator: " ")), "scripts/experiments.sh runs isnetd \(arguments.joined(separator: " "))")
      // The real runs take hours: each command runs here on a missing data folder (experiment) or with one
      // image per split (synth), into a temporary folder, so an option that no longer exists fails.
      var local = arguments
      for (index, argument) in arguments.enumerated() where index + 1 < arguments.count {
        switch argument {
        case "--out": local[index + 1] = directory.path("out-\(number)")
        case "--data", "--reference": local[index + 1] = directory.path("missing")
        case "--counts": local[index + 1] = arguments[index + 1].split(separator: ",").map { "\($0.split(separator: "=")[0])=1" }.joined(separator: ",")
        default: break
        }
      }
      if local.first == "experiment" {
        try FileManager.default.createDirectory(atPath: local[local.firstIndex(of: "--out")! + 1], withIntermediateDirectories: true)
        let error = #expect(throws: Command.Failure.self) { try Command.run(isnetdExecutable, local) }
        #expect(error?.output.contains("\(directory.path("missing"))/train is not a folder") == true, "\(arguments): \(error?.output ?? "")")
      } else {
        _ = try Command.run(isnetdExecutable, local + ["--size", "64"])
      }
    }
  }
}
