import DICOM
import Foundation
import Registry
import Screening
import Testing
import TestSupport
import Training

@Suite("docs/retraining.md runs as written")
struct RetrainingDocumentTests {
  @Test("every isnetd command of docs/retraining.md, in order, on the shipped configuration with its folders moved under a scratch root")
  func commands() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let scratch = try TemporaryDirectory(prefix: "isnetd-retraining")
    let site = try SiteData(in: scratch)
    func moved(_ line: String) -> String {
      line.replacingOccurrences(of: "/etc/isnetd/isnetd.conf", with: scratch.path("isnetd.conf"))
        .replacingOccurrences(of: "/srv/isnetd/labelled", with: site.root)
        .replacingOccurrences(of: "/srv/isnetd", with: scratch.path("srv"))
        .replacingOccurrences(of: "/var/lib/isnetd", with: scratch.path("state"))
    }
    // A test folder holding copies of twelve labelled images: they must not be trained on.
    let test = scratch.path("test")
    var copied: [String] = []
    for name in ["normal", "pneumonia"] {
      try FileManager.default.createDirectory(atPath: "\(test)/\(name)", withIntermediateDirectories: true)
      for file in try FileManager.default.contentsOfDirectory(atPath: "\(site.root)/\(name)").filter({ $0.hasSuffix(".dcm") }).sorted().prefix(6) {
        try FileManager.default.copyItem(atPath: "\(site.root)/\(name)/\(file)", toPath: "\(test)/\(name)/\(file)")
        copied.append(try #require(try DICOMFile(path: "\(test)/\(name)/\(file)").metadata().sopInstanceUID))
      }
    }
    let split = try FrozenSplit(validationFraction: 0.2)
    let copiedInTraining = copied.filter { split.part(ofInstance: $0) == .train }.count
    // The shipped configuration, its folders moved; calibration on this small validation part needs fewer images.
    let shipped = try String(contentsOfFile: root + "/systemd/isnetd.conf", encoding: .utf8)
      .replacingOccurrences(of: "calibration_minimum_images: 30", with: "calibration_minimum_images: 10")
      .replacingOccurrences(of: "  test_data:\n", with: "  test_data: \(test)\n")
    try moved(shipped).write(toFile: scratch.path("isnetd.conf"), atomically: true, encoding: .utf8)
    let registry = ModelRegistry(state: scratch.path("state"))

    let text = try String(contentsOfFile: root + "/docs/retraining.md", encoding: .utf8)
    // The isnetd lines of its ```sh blocks (the journalctl recipes are run by DaemonSystemdTests).
    var commands: [String] = []
    var inBlock = false
    for line in text.split(separator: "\n") {
      if line.hasPrefix("```") { inBlock = line == "```sh" } else if inBlock, line.hasPrefix("isnetd ") { commands.append(moved(String(line))) }
    }
    #expect(commands.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
      == ["isnetd dataset check", "isnetd retrain --config", "isnetd models list", "isnetd models show", "isnetd models rollback",
          "isnetd models promote"])
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    environment["JOURNAL_STREAM"] = nil
    for command in commands {
      let version = try registry.pointer()?.version ?? registry.list().last?.version ?? ""
      var arguments = command.replacingOccurrences(of: "VERSION", with: version).split(separator: " ").dropFirst().map(String.init)
      if arguments.first == "retrain" {
        // The shipped recipe trains 30 epochs at 224 x 224: the test's is small enough for a test.
        arguments += ["--log", "stderr", "--size", "64", "--epochs", "10", "--batch-size", "8", "--tune-cut-epochs", "2",
                      "--heatmap-warmup-epochs", "2", "--heatmap-weight", "0.3"]
      }
      let output = try Command.run(isnetdExecutable, arguments, environment: environment)
      #expect(!output.isEmpty, "\(command)")
      switch arguments.prefix(2).joined(separator: " ") {
      case "dataset check": #expect(output.contains("new since the last retrain (none yet): 360 images"), "\(output)")
      case "retrain --config":
        let promoted = try #require(try registry.pointer()?.version, "\(output)")
        #expect(output.contains("promoted \(promoted)"), "\(output)")
        let registration = try registry.registration(of: promoted)
        #expect(copiedInTraining > 0)
        #expect(registration.data.trainingImages == 287 - copiedInTraining, "the test data's copies are not trained on")
        #expect(registration.test?.images == 12)
        // The candidate's figures, taken from its calibration pass, are what screening its validation part gives.
        let dataset = try SiteDataset(root: site.root, split: split, classNames: registration.data.classes)
        let validation = try LabeledFolder(root: site.root, classNames: dataset.classNames, items: dataset.images(in: .validation).map {
          LabeledFolder.Item(imagePath: $0.path, maskPath: $0.maskPath, label: $0.label)
        })
        let screened = ValidationFigures.measure(try ModelBundle(path: registry.bundlePath(of: promoted)), on: validation, batchSize: 8)
        let recorded = registration.candidate
        #expect((screened.images, screened.predicted, screened.correct, screened.assessed)
          == (recorded.images, recorded.predicted, recorded.correct, recorded.assessed))
        #expect(abs(screened.macroF1 - recorded.macroF1) < 1e-9 && abs((screened.backgroundShare ?? -1) - (recorded.backgroundShare ?? -2)) < 1e-6)
      case "models list": #expect(output.contains("* \(version)"), "\(output)")
      case "models show": #expect(output.contains("\"accepted\" : true"), "\(output)")
      case "models rollback": #expect(try registry.pointer()?.version == nil)
      case "models promote": #expect(try registry.pointer()?.version == version)
      default: Issue.record("unexpected command \(command)")
      }
    }
  }
}
