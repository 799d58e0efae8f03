import Engine
import Foundation
import Screening
import Testing
import TestSupport

/// Labelled phantom data (72 x 80 chest-like DICOMs with exact lung masks) and a segmenter trained on it
/// through `isnetd train-segmenter`.
struct SegmenterFixture {
  let directory: TemporaryDirectory
  let data: String
  let model: String
  let output: String

  init(train: Int = 32, validation: Int = 8, epochs: Int = 40) throws {
    directory = try TemporaryDirectory()
    data = directory.path("data")
    try LungPhantom.writeLabeledData(root: data, perSplit: ["train": train, "validation": validation], width: 72, height: 80)
    model = directory.path("lungs")
    output = try Command.run(isnetdExecutable, [
      "train-segmenter", "--data", data, "--out", model, "--size", "64", "--depth", "3", "--base-width", "8",
      "--epochs", "\(epochs)", "--batch-size", "8", "--learning-rate", "0.003", "--threads", "1",
    ])
  }
}

@Suite("isnetd segment and train-segmenter", .serialized)
struct SegmentTests {
  @Test("train-segmenter writes a U-Net checkpoint with validation Dice and the training lung-area range; segment writes masks at each file's geometry")
  func trainAndSegment() throws {
    let fixture = try SegmenterFixture()
    #expect(fixture.output.contains("loading train: 32/32"))
    #expect(fixture.output.contains("epoch 40: train loss"))
    #expect(fixture.output.contains("best epoch"))

    let metadata = try Checkpoint(path: fixture.model).metadata()
    guard case .uNet(let unet) = metadata.architecture else {
      Issue.record("not a U-Net: \(metadata.architecture)")
      return
    }
    #expect(unet.depth == 3 && unet.baseWidth == 8 && unet.upsampling == .bilinear)
    #expect(metadata.classNames == ["background", "lungs"])
    #expect(metadata.input.width == 64 && metadata.input.channels == 1)
    #expect(metadata.clinicallyValidated == false)
    let segmentation = try #require(metadata.segmentation)
    let area = try #require(segmentation.trainingLungArea)
    #expect(area.count == 32 && area.minimum > 0.05 && area.maximum < 0.5 && area.minimum < area.maximum)
    let dice = try #require(segmentation.validation?.meanDice)
    #expect(dice > 0.8)
    #expect(segmentation.history.count == segmentation.bestEpoch)
    #expect(segmentation.training?.epochs == 40)
    #expect(metadata.trainingData?.trainingImages == 32 && metadata.trainingData?.validationImages == 8)
    _ = try Checkpoint(path: fixture.model).loadSegmenter()

    // Masks at the original 72 x 80 geometry, close to the true masks.
    let files = (0..<3).map { "\(fixture.data)/validation/\(["normal", "pneumonia"][$0 % 2])/validation-\($0).dcm" }
    let out = fixture.directory.path("masks")
    let printed = try Command.run(isnetdExecutable, ["segment", "--model", fixture.model] + files + ["--out", out, "--threads", "1"])
    for file in files {
      let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
      let written = try LungPhantom.readMask(path: "\(out)/\(stem).mask.png")
      let truth = try LungPhantom.readMask(path: file.replacingOccurrences(of: ".dcm", with: ".mask.png"))
      #expect(written.width == 72 && written.height == 80)
      let score = diceCoefficient(predicted: written.mask, truth: truth.mask)
      #expect(score > 0.8, "\(stem): Dice \(score)")
      let line = printed.split(separator: "\n").first { $0.hasPrefix(file) }
      #expect(line?.contains("quality") == true && line?.contains("% of 72x80") == true, "\(printed)")
    }
  }

  @Test("segment says when a mask is implausible (blank and non-chest images) and names undecodable files")
  func implausible() throws {
    let fixture = try SegmenterFixture()
    let blank = fixture.directory.path("blank.dcm")
    try DICOMFixtures.writeMonochrome16(to: blank, rows: 80, columns: 72, values: [UInt16](repeating: 700, count: 80 * 72),
                                        bitsStored: 12)
    let coins = fixture.directory.path("coins.dcm")
    var values: [UInt16] = (0..<(80 * 72)).map { (pixel: Int) -> UInt16 in UInt16((pixel % 72 + pixel / 72) * 20) }
    let discs: [(x: Int, y: Int, radius: Int, value: UInt16)] = [(18, 16, 8, 100), (50, 24, 10, 3900), (32, 56, 13, 200), (60, 62, 7, 3800)]
    for disc in discs {
      for pixel in values.indices {
        let (dx, dy) = (pixel % 72 - disc.x, pixel / 72 - disc.y)
        if dx * dx + dy * dy < disc.radius * disc.radius { values[pixel] = disc.value }
      }
    }
    try DICOMFixtures.writeMonochrome16(to: coins, rows: 80, columns: 72, values: values, bitsStored: 12)
    let chest = "\(fixture.data)/validation/normal/validation-0.dcm"
    let out = fixture.directory.path("masks")
    let printed = try Command.run(isnetdExecutable, ["segment", "--model", fixture.model, chest, blank, coins, "--out", out,
                                                     "--json", "--background-check", "--threads", "1"])
    let reports = try printed.split(separator: "\n").map { line in
      try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
    #expect(reports.count == 3)
    #expect(reports[0]["plausible"] as? Bool == true, "\(reports[0])")
    for report in reports[1...] {
      #expect(report["plausible"] as? Bool == false, "\(report)")
      let reasons = report["reasons"] as? [[String: Any]] ?? []
      #expect(!reasons.isEmpty)
      #expect(reasons.allSatisfy { ImplausibilityReason(rawValue: $0["code"] as? String ?? "") != nil })
    }
    for stem in ["validation-0", "blank", "coins"] {
      #expect(FileManager.default.fileExists(atPath: "\(out)/\(stem).mask.png"))
    }
    // The background-check mask is the lung mask grown by the margin.
    let lungs = try LungPhantom.readMask(path: "\(out)/validation-0.mask.png").mask
    let grown = try LungPhantom.readMask(path: "\(out)/validation-0.background-check.png").mask
    #expect(grown.filter { $0 }.count > lungs.filter { $0 }.count)
    #expect(zip(lungs, grown).allSatisfy { !$0 || $1 })

    let text = fixture.directory.path("notes.dcm")
    try "not an image".write(toFile: text, atomically: true, encoding: .utf8)
    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["segment", "--model", fixture.model, text, "--out", out])
    }
    #expect(error?.status == 1)
    #expect(error?.output.contains("not_dicom") == true)
  }

  @Test("SIGINT stops train-segmenter after the current step and keeps the best checkpoint")
  func interrupt() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LungPhantom.writeLabeledData(root: data, perSplit: ["train": 8, "validation": 2], width: 40, height: 40)
    let out = directory.path("lungs")
    let run = try Command.interruptAfterFile(out + ".json", executable: isnetdExecutable, [
      "train-segmenter", "--data", data, "--out", out, "--size", "32", "--depth", "2", "--base-width", "4",
      "--epochs", "5000", "--batch-size", "4", "--threads", "1"])
    #expect(run.becameReady)
    #expect(run.status == 130)
    let output = run.output
    #expect(output.contains("stopped during epoch"))
    #expect(run.errors.contains("stopped: training ended early; the best epoch so far is kept"))
    #expect(output.contains("best epoch"))
    _ = try Checkpoint(path: out).loadSegmenter()
  }

  @Test("train-segmenter refuses data without masks and bad options")
  func refusals() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LungPhantom.writeLabeledData(root: data, perSplit: ["train": 2, "validation": 2], width: 40, height: 40)
    for mask in try FileManager.default.subpathsOfDirectory(atPath: "\(data)/train") where mask.hasSuffix(".mask.png") {
      try FileManager.default.removeItem(atPath: "\(data)/train/\(mask)")
    }
    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["train-segmenter", "--data", data, "--out", directory.path("m"), "--size", "32"])
    }
    #expect(error?.output.contains("has no image with a lung mask") == true)
    let odd = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["train-segmenter", "--data", data, "--out", directory.path("m"), "--base-width", "7"])
    }
    #expect(odd?.output.contains("--base-width must be even") == true)
  }
}
