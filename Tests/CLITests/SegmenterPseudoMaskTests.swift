import Engine
import Foundation
import Testing
import TestSupport

@Suite("isnetd train --segmenter (pseudo-masks)", .serialized)
struct SegmenterPseudoMaskTests {
  @Test("images without a mask get the segmenter's mask; the count is printed and recorded in the checkpoint")
  func pseudoMasks() throws {
    let fixture = try SegmenterFixture()
    // Remove three training masks and one validation mask.
    let removed = ["train/normal/train-0", "train/pneumonia/train-1", "train/normal/train-2", "validation/pneumonia/validation-1"]
    for stem in removed { try FileManager.default.removeItem(atPath: "\(fixture.data)/\(stem).mask.png") }

    let out = fixture.directory.path("classifier")
    let output = try Command.run(isnetdExecutable, [
      "train", "--data", fixture.data, "--out", out, "--segmenter", fixture.model, "--size", "48", "--epochs", "1",
      "--batch-size", "8", "--tune-cut-epochs", "0", "--threads", "1",
    ])
    let trainLine = output.split(separator: "\n").first { $0.hasPrefix("train masks:") }.map(String.init) ?? ""
    let validationLine = output.split(separator: "\n").first { $0.hasPrefix("validation masks:") }.map(String.init) ?? ""
    #expect(trainLine.contains("29 drawn"), "\(output)")
    #expect(validationLine.contains("7 drawn"), "\(output)")

    let notes = try #require(try Checkpoint(path: out).metadata().trainingData?.notes)
    let pseudo = Int(notes["pseudoMasks"] ?? "") ?? -1
    let rejected = Int(notes["rejectedPseudoMasks"] ?? "") ?? -1
    #expect(pseudo + rejected == removed.count)
    #expect(pseudo >= 3, "the segmenter's masks of phantom chests are plausible: \(notes)")
    #expect(notes["pseudoMasksTraining"].flatMap { Int($0) }.map { $0 <= 3 } == true)
    #expect(notes["pseudoMaskSegmenter"]?.hasSuffix("-unet") == true)
    #expect(trainLine.contains("\(notes["pseudoMasksTraining"]!) pseudo-masks from the segmenter"))
    let metadata = try Checkpoint(path: out).metadata()
    #expect(metadata.trainingData!.trainingImages + metadata.trainingData!.validationImages == 40 - rejected)
  }

  @Test("a classifier checkpoint is refused as --segmenter")
  func classifierRefused() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["a", "b"], perClass: ["train": 2, "validation": 1])
    let classifier = directory.path("classifier")
    try Command.run(isnetdExecutable, ["train", "--data", data, "--out", classifier, "--size", "32", "--epochs", "1",
                                       "--variant", "plain", "--threads", "1"])
    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["train", "--data", data, "--out", directory.path("m"), "--segmenter", classifier,
                                         "--size", "32", "--epochs", "1"])
    }
    #expect(error?.output.contains("holds a classifier; a lung segmenter (U-Net) checkpoint is needed") == true)
  }
}
