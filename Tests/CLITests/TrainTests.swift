import Engine
import Foundation
import Testing
import TestSupport

@Suite("isnetd train", .serialized)
struct TrainTests {
  @Test("trains a Selective ISNet from class folders with masks and writes a traceable checkpoint")
  func trainsAndWritesCheckpoint() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["normal", "pneumonia"], perClass: ["train": 6, "validation": 3])
    let out = directory.path("model")
    let output = try Command.run(isnetdExecutable, [
      "train", "--data", data, "--out", out, "--size", "64", "--epochs", "2", "--batch-size", "4",
      "--tune-cut-epochs", "2", "--optimizer", "adam", "--learning-rate", "0.003", "--threads", "1",
    ])
    #expect(output.contains("tuned C1 ="))
    #expect(output.contains("epoch 2: train loss"))
    #expect(output.contains("loading train: 12/12"))

    let metadata = try Checkpoint(path: out).metadata()
    #expect(metadata.classNames == ["normal", "pneumonia"])
    #expect(metadata.training?.objective.variant == .selective)
    #expect(metadata.training?.cutTuningEpochs == 2)
    #expect(metadata.training?.objective.loss.lowerCut != 1)  // tuned, not the default
    #expect(metadata.trainingData?.trainingImages == 12)
    #expect(metadata.trainingData?.fingerprint.hasPrefix("fnv1a64:") == true)
    #expect(metadata.input.width == 64)
    #expect(metadata.clinicallyValidated == false)
    _ = try Checkpoint(path: out).loadClassifier()
  }

  @Test("a compact ResNet with deep supervision and the authors' recipe trains and records what it was trained with")
  func resNetWithDeepSupervision() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["normal", "pneumonia"], perClass: ["train": 6, "validation": 3])
    let out = directory.path("model")
    let output = try Command.run(isnetdExecutable, [
      "train", "--data", data, "--out", out, "--size", "64", "--epochs", "1", "--batch-size", "4", "--tune-cut-epochs", "2",
      "--architecture", "compact-resnet", "--deep-supervision", "--recipe", "authors", "--threads", "1",
    ])
    #expect(output.contains("; hidden layer 4: C1 = "), "one pair of cuts per ResNet stage")

    let metadata = try Checkpoint(path: out).metadata()
    guard case .resNet(let configuration) = metadata.architecture else {
      Issue.record("not a ResNet: \(metadata.architecture)")
      return
    }
    #expect(configuration == .compact(classCount: 2, inputChannels: 1))
    let training = try #require(metadata.training)
    #expect(training.objective.deepSupervision?.hiddenCuts.count == 4)
    #expect(training.objective.relevance.batchNorm == .throughStatistics)
    #expect(training.optimizer == .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 0))
    #expect(training.heatmapWeightSchedule.warmupEpochs == 0)
    let (model, _) = try Checkpoint(path: out).loadClassifier()
    #expect(model is ResNet)
  }

  @Test("--freeze-batch-norm-after is recorded in the checkpoint; an epoch outside the run, or an invariance background without the term, is refused before training")
  func freezeBatchNorm() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["normal", "pneumonia"], perClass: ["train": 4, "validation": 2])
    let options = ["train", "--data", data, "--variant", "plain", "--size", "32", "--epochs", "2", "--batch-size", "4", "--threads", "1"]
    let out = directory.path("model")
    _ = try Command.run(isnetdExecutable, options + ["--out", out, "--freeze-batch-norm-after", "1"])
    #expect(try Checkpoint(path: out).metadata().training?.batchNormFrozenAfterEpoch == 1)

    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, options + ["--out", directory.path("other"), "--freeze-batch-norm-after", "2"])
    }
    #expect(error?.output.contains("BatchNorm can be frozen after epoch 1 to 1 of 2") == true, "\(error?.output ?? "")")
    #expect(!FileManager.default.fileExists(atPath: directory.path("other")))

    let unused = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, options + ["--out", directory.path("other"), "--invariance-background", "swapped"])
    }
    #expect(unused?.output.contains("an invariance background needs a background-invariance weight above 0") == true,
            "\(unused?.output ?? "")")
  }

  @Test("train and train-segmenter refuse an output folder that does not exist before loading any data")
  func outputCheckedFirst() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["a", "b"], perClass: ["train": 2, "validation": 1])
    for command in ["train", "train-segmenter"] {
      let error = #expect(throws: Command.Failure.self) {
        try Command.run(isnetdExecutable, [command, "--data", data, "--out", directory.path("missing/model"), "--size", "32"])
      }
      #expect(error?.output.contains("the folder \(directory.path("missing")) does not exist") == true, "\(command)")
      #expect(error?.output.contains("loading") == false, "\(command) checks its output before loading")
    }
  }

  @Test("a missing lung mask is a clear error for an ISNet")
  func missingMask() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["a", "b"], perClass: ["train": 2, "validation": 1])
    try FileManager.default.removeItem(atPath: "\(data)/train/a/a-0.mask.png")
    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["train", "--data", data, "--out", directory.path("m"), "--size", "64", "--epochs", "1"])
    }
    #expect(error?.output.contains("a-0.dcm has no lung mask") == true)
  }

  @Test("SIGINT stops training after the current step and keeps the best checkpoint")
  func interrupt() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["normal", "pneumonia"], perClass: ["train": 6, "validation": 2])
    let out = directory.path("model")
    let run = try Command.interruptAfterFile(out + ".json", executable: isnetdExecutable, [
      "train", "--data", data, "--out", out, "--size", "64", "--epochs", "500", "--batch-size", "4",
      "--tune-cut-epochs", "0", "--threads", "1"])
    #expect(run.becameReady)
    #expect(run.status == 130)
    let output = run.output
    #expect(output.contains("stopped during epoch"))
    #expect(output.contains("best epoch"))
    #expect(run.errors.contains("stopped: training ended early; the best epoch so far is kept"))
    _ = try Checkpoint(path: out).loadClassifier()
  }

  @Test("SIGINT before the first epoch ends is reported as stopped, not as an error, exits 130 and writes nothing")
  func interruptBeforeFirstEpoch() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("data")
    try LabeledDataFixtures.write(root: data, classes: ["normal", "pneumonia"], perClass: ["train": 16, "validation": 2])
    let out = directory.path("model")
    let run = try Command.interruptOnceHandled(executable: isnetdExecutable, [
      "train", "--data", data, "--out", out, "--size", "64", "--epochs", "500", "--batch-size", "2",
      "--tune-cut-epochs", "0", "--threads", "1"])
    #expect(run.becameReady)
    #expect(run.status == 130)
    #expect(run.errors.contains("stopped: before the first epoch finished; nothing written"), "\(run.errors)")
    #expect(!run.errors.contains("Error"))
    #expect(!FileManager.default.fileExists(atPath: out + ".json"))
  }
}
