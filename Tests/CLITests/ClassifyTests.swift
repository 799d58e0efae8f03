import Foundation
import Phantoms
import Screening
import Testing
import TestSupport

/// Runs `isnetd` and returns its exit status and standard output, whatever the status.
func runIsnetd(_ arguments: [String]) throws -> (status: Int32, output: String) {
  do {
    return (0, try Command.run(isnetdExecutable, arguments))
  } catch let failure as Command.Failure {
    return (failure.status, failure.output)
  }
}

@Suite("isnetd classify and bundle", .serialized)
struct ClassifyTests {
  static let samples = Repository.root.appendingPathComponent("samples").path

  @Test("classify screens every sample with the default bundle: a line per file, a valid report each, exit 1 for the truncated one")
  func samplesWithDefaultBundle() throws {
    let out = try TemporaryDirectory()
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.samples).filter { $0.hasSuffix(".dcm") }.sorted()
      .map { "\(Self.samples)/\($0)" }
    let (status, output) = try runIsnetd(["classify"] + files + ["--out", out.url.path, "--picture-size", "256", "--threads", "2"])
    #expect(status == 1, "the truncated sample fails")
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == files.count, "\(output)")
    #expect(lines.first { $0.contains("broken-truncated.dcm") }?.contains("error: truncated") == true)
    #expect(lines.first { $0.contains("normal-lateral.dcm") }?.contains("not_screened: view_not_screened") == true)
    let screened = lines.filter { $0.contains("shortcut suspected") || $0.contains("SHORTCUT SUSPECTED") }
    #expect(screened.count == 7, "\(output)")
    let reports = try FileManager.default.contentsOfDirectory(atPath: out.url.path).filter { $0.hasSuffix(".json") }
    #expect(reports.count == files.count)
    try Command.run("python3", [Repository.root.appendingPathComponent("scripts/validate_reports.py").path]
      + reports.map { out.path($0) })
  }

  @Test("exit 0 when every file was screened or deliberately not screened; --json prints reports; without --out nothing is written")
  func exitZeroAndJSON() throws {
    let files = ["normal-pa.dcm", "normal-lateral.dcm"].map { "\(Self.samples)/\($0)" }
    let (status, output) = try runIsnetd(["classify"] + files + ["--json", "--threads", "2"])
    #expect(status == 0, "\(output)")
    let reports = try output.split(separator: "\n").map { try Report.decoded(from: Data($0.utf8)) }
    #expect(reports.map(\.verdict) == [.screened, .notScreened])
    #expect(reports.allSatisfy { $0.outputs.report == nil && $0.model.id == "default" && $0.patient == nil })
    #expect(!output.contains("PHANTOM^1"), "no patient name unless asked for")

    let withPatient = try Command.run(isnetdExecutable, ["classify", files[0], "--json", "--include-patient-fields"])
    #expect(try Report.decoded(from: Data(withPatient.utf8)).patient?.name == "PHANTOM^1")
  }

  @Test("usage errors exit 2 before anything is loaded; an output folder whose parent is missing is refused")
  func usageErrors() throws {
    for arguments in [["classify"], ["classify", "x.dcm", "--batch", "0"], ["classify", "x.dcm", "--force"]] {
      #expect(try runIsnetd(arguments).status == 2, "\(arguments)")
    }
    let directory = try TemporaryDirectory()
    let (status, output) = try runIsnetd(["classify", "\(Self.samples)/normal-pa.dcm", "--out", directory.path("missing/out")])
    #expect(status != 0 && output.contains("does not exist"))
  }

  @Test("--dicom-outputs writes an SR and a Secondary Capture in the source's study, new series, referencing the source image")
  func dicomOutputs() throws {
    let out = try TemporaryDirectory()
    let source = "\(Self.samples)/covid-19-pa-text-marker.dcm"
    let (status, output) = try runIsnetd(["classify", source, "--out", out.url.path, "--dicom-outputs", "--picture-size", "256"])
    #expect(status == 0, "\(output)")
    let report = try Report.decoded(from: Data(contentsOf: URL(fileURLWithPath: out.path(
      try FileManager.default.contentsOfDirectory(atPath: out.url.path).first { $0.hasSuffix(".json") }!))))
    let sr = out.path(try #require(report.outputs.dicomSr))
    let sc = out.path(try #require(report.outputs.dicomSc))

    let tree = try Command.run("dsrdump", ["+Pu", sr])
    #expect(tree.contains("Comprehensive SR Document"))
    #expect(tree.contains("Finding\")=(\(report.classification!.prediction),99ISNETD"))
    #expect(tree.contains("IMAGE:(,,\"Source of Measurement\")=(") && tree.contains(report.input.sopInstanceUid!))
    #expect(tree.contains("Not for clinical use"))

    func value(_ tag: String, in file: String) throws -> String? {
      let line = try Command.run("dcmdump", ["-Un", "+P", tag, file]).split(separator: "\n").first.map(String.init)
      return line.flatMap { $0.split(separator: "[").dropFirst().first?.split(separator: "]").first.map(String.init) }
    }
    for file in [sr, sc] {
      #expect(try value("0020,000d", in: file) == report.input.studyInstanceUid, "\(file)")
      let series = try value("0020,000e", in: file)
      #expect(series != nil && series != report.input.seriesInstanceUid)
      #expect(try value("0008,1155", in: file) == report.input.sopInstanceUid)
      #expect(try value("0010,0010", in: file) == "PHANTOM^7", "the patient files the result beside the image")
    }
    #expect(try value("0008,0016", in: sc) == "1.2.840.10008.5.1.4.1.1.7")
  }

  @Test("bundle show describes the default bundle and checks it; --json prints its manifest")
  func bundleShow() throws {
    let text = try Command.run(isnetdExecutable, ["bundle", "show"])
    #expect(text.hasPrefix("bundle default "))
    #expect(text.contains("classes          covid-19, normal, pneumonia"))
    #expect(text.contains("background share"))
    let json = try Command.run(isnetdExecutable, ["bundle", "show", "--json"])
    let manifest = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect(manifest?["format"] as? String == "isnetd-model-bundle")

    let directory = try TemporaryDirectory()
    let broken = directory.path("broken.isnetd-model")
    try FileManager.default.copyItem(atPath: Repository.root.appendingPathComponent("models/default.isnetd-model").path, toPath: broken)
    try FileManager.default.removeItem(atPath: "\(broken)/classifier.safetensors")
    let (status, output) = try runIsnetd(["bundle", "show", broken])
    #expect(status == 1 && output.contains("classifier: classifier.safetensors is missing"), "\(output)")
  }

  @Test("bundle evaluate: per split, accuracy and flag rates agree with classify's reports, and the marker-decided images are those predicted as their marker's class")
  func bundleEvaluate() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try Command.run(isnetdExecutable, ["synth", "--out", data, "--counts", "test-unbiased=6,test-confounding=9", "--seed", "31",
                                       "--threads", "2"])
    let json = try Command.run(isnetdExecutable, ["bundle", "evaluate", "--data", data, "--json"])
    let splits = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    #expect(splits.map { $0["split"] as? String } == ["test-confounding", "test-unbiased"])

    let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(data)/manifest.json"))) as? [String: Any])
    let markerClass = Dictionary(uniqueKeysWithValues: (manifest["files"] as! [[String: Any]]).map { entry in
      (entry["path"] as! String, (entry["marker"] as? [String: Any])?["style"] as? String)
    })
    for split in splits {
      let name = split["split"] as! String
      let files = try FileManager.default.subpathsOfDirectory(atPath: "\(data)/\(name)").filter { $0.hasSuffix(".dcm") }.sorted()
      let output = try Command.run(isnetdExecutable, ["classify"] + files.map { "\(data)/\(name)/\($0)" } + ["--json"])
      let reports = try output.split(separator: "\n").map { try Report.decoded(from: Data($0.utf8)) }
      let screened = zip(files, reports).filter { $0.1.verdict == .screened }
      let correct = screened.filter { $0.0.hasPrefix($0.1.classification!.prediction + "/") }
      let flagged = screened.filter { $0.1.shortcutSuspected == true }
      #expect(split["screened"] as? Int == screened.count)
      #expect(Swift.abs((split["accuracy"] as! Double) - Double(correct.count) / Double(screened.count)) < 1e-9)
      #expect(Swift.abs(((split["flagged"] as! [String: Any])["any"] as! Double) - Double(flagged.count) / Double(screened.count)) < 1e-9)
      let decided = screened.filter { file, report in
        guard let marker = markerClass["\(name)/\(file)"] ?? nil else { return false }
        return !file.hasPrefix(marker + "/") && report.classification!.prediction == marker
      }
      #expect((split["markerDecided"] as? [String: Any])?["images"] as? Int == decided.count, "\(name)")
    }
  }
}
