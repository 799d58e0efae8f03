@testable import Engine
import Foundation
import Testing
import Torch

@Suite("Learning-rate and P schedules")
struct ScheduleTests {
  @Test("cosine annealing runs from the base rate at epoch 1 to floor × base at the last epoch")
  func cosine() {
    let schedule = LearningRateSchedule.cosine(floor: 0.01)
    #expect(schedule.rate(base: 0.1, epoch: 1, epochs: 5) == 0.1)
    #expect(Swift.abs(schedule.rate(base: 0.1, epoch: 3, epochs: 5) - 0.1 * (0.01 + 0.99 * 0.5)) < 1e-15)
    #expect(Swift.abs(schedule.rate(base: 0.1, epoch: 5, epochs: 5) - 0.001) < 1e-15)
    #expect(Swift.abs(schedule.rate(base: 0.1, epoch: 2, epochs: 5) - 0.1 * (0.01 + 0.99 * (1 + 0.5.squareRoot()) / 2)) < 1e-15)
    #expect(schedule.rate(base: 0.1, epoch: 1, epochs: 1) == 0.1)
    #expect(LearningRateSchedule.constant.rate(base: 0.1, epoch: 4, epochs: 5) == 0.1)
  }

  @Test("P warms up as P·e/(n+1) over n epochs, then stays at P")
  func heatmapWeight() {
    let schedule = HeatmapWeightSchedule(warmupEpochs: 3)
    #expect([1, 2, 3, 4, 9].map { schedule.weight(0.8, epoch: $0) } == [0.2, 0.4, 0.6000000000000001, 0.8, 0.8])
    #expect(HeatmapWeightSchedule().weight(0.8, epoch: 1) == 0.8)
  }

  /// A classifier without BatchNorm, so weights that do not change give exactly the same validation loss.
  static func batchNormFreeModel() throws -> any Classifier {
    try SequentialClassifier([
      .conv(Conv2d(1, 4, kernel: Size2(3), padding: Size2(1), bias: true)), .relu,
      .conv(Conv2d(4, 4, kernel: Size2(3), stride: Size2(2), padding: Size2(1), bias: true)), .relu,
      .globalAvgPool, .flatten, .linear(Linear(4, 2)),
    ], inputChannels: 1, classCount: 2)
  }

  func train(_ schedule: LearningRateSchedule) throws -> [Double] {
    let configuration = TrainingConfiguration(
      objective: ObjectiveConfiguration(variant: .plain), epochs: 2, batchSize: 16,
      optimizer: .sgd(learningRate: 0.05, momentum: 0, weightDecay: 0), learningRateSchedule: schedule, seed: 3,
      augmentation: .none)
    let result = try Trainer(configuration: configuration, classNames: ["left", "right"]).train(
      makeModel: Self.batchNormFreeModel, training: ShortcutProblem.dataset(count: 32, seed: 1),
      validation: ShortcutProblem.dataset(count: 16, seed: 2))
    return result.result.history.map(\.validationLosses.total)
  }

  @Test("the trainer applies the learning-rate schedule: a cosine to 0 freezes the weights in the last epoch")
  func trainerAppliesLearningRate() throws {
    let annealed = try train(.cosine(floor: 0))
    #expect(annealed[0] == annealed[1])
    let constant = try train(.constant)
    #expect(constant[0] == annealed[0])
    #expect(constant[1] != constant[0])
  }

  @Test("during the P warm-up steps train with the lower P, while validation always uses the full P")
  func trainerWarmsUpHeatmapWeight() throws {
    let weight = 0.6
    let configuration = TrainingConfiguration(
      objective: ObjectiveConfiguration(variant: .selective, heatmapWeight: weight), epochs: 2, batchSize: 16,
      optimizer: .adam(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
      heatmapWeightSchedule: HeatmapWeightSchedule(warmupEpochs: 1), seed: 3, augmentation: .none)
    var stepWeights: [Int: [Double]] = [:]
    var validationWeights: [Double] = []
    func impliedWeight(_ losses: LossValues) -> Double {
      (losses.total - losses.crossEntropy) / (losses.heatmap! - losses.crossEntropy)
    }
    _ = try Trainer(configuration: configuration, classNames: ["left", "right"]).train(
      makeModel: Self.batchNormFreeModel, training: ShortcutProblem.dataset(count: 32, seed: 1),
      validation: ShortcutProblem.dataset(count: 16, seed: 2),
      events: { event in
        switch event {
        case .step(let epoch, _, _, _, let losses, _, _): stepWeights[epoch, default: []].append(impliedWeight(losses))
        case .validated(let record): validationWeights.append(impliedWeight(record.validationLosses))
        default: break
        }
      })
    #expect(stepWeights[1]!.allSatisfy { Swift.abs($0 - weight / 2) < 1e-4 })
    #expect(stepWeights[2]!.allSatisfy { Swift.abs($0 - weight) < 1e-4 })
    #expect(validationWeights.count == 2 && validationWeights.allSatisfy { Swift.abs($0 - weight) < 1e-4 })
  }
}

@Suite("Training configurations recorded by earlier builds")
struct RecordedConfigurationTests {
  /// `value` encoded as JSON, without `keys`: how a checkpoint written before those settings existed records it.
  static func encodedWithout(_ keys: [String], _ value: some Encodable) throws -> Data {
    var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
    for key in keys { #expect(object.removeValue(forKey: key) != nil, "\(key) is encoded") }
    return try JSONSerialization.data(withJSONObject: object)
  }

  @Test("a classifier's configuration without schedules or recalibration decodes as the constant-rate, no-warm-up run it was")
  func classifier() throws {
    var configuration = TrainingConfiguration(objective: ObjectiveConfiguration(variant: .selective), epochs: 7,
                                              learningRateSchedule: .cosine(floor: 0.01),
                                              heatmapWeightSchedule: HeatmapWeightSchedule(warmupEpochs: 3), seed: 9)
    #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(configuration)) == configuration)
    let old = try Self.encodedWithout(["learningRateSchedule", "heatmapWeightSchedule", "batchNormRecalibrationBatches"],
                                      configuration)
    configuration.learningRateSchedule = .constant
    configuration.heatmapWeightSchedule = HeatmapWeightSchedule()
    configuration.batchNormRecalibrationBatches = 0
    #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: old) == configuration)
  }

  @Test("a segmenter's configuration without a schedule or recalibration decodes likewise")
  func segmenter() throws {
    var configuration = SegmenterTrainingConfiguration(epochs: 4, learningRateSchedule: .cosine(floor: 0.1), seed: 2)
    #expect(try JSONDecoder().decode(SegmenterTrainingConfiguration.self, from: JSONEncoder().encode(configuration)) == configuration)
    let old = try Self.encodedWithout(["learningRateSchedule", "batchNormRecalibrationBatches"], configuration)
    configuration.learningRateSchedule = .constant
    configuration.batchNormRecalibrationBatches = 0
    #expect(try JSONDecoder().decode(SegmenterTrainingConfiguration.self, from: old) == configuration)
  }
}
