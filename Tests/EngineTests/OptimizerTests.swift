@testable import Engine
import Testing
import Torch

@Suite("Optimisers")
struct OptimizerTests {
  @Test("SGD with momentum follows v ← μv + g, w ← w − lr·v")
  func sgdMomentum() throws {
    let w = try Tensor([1, -2] as [Double], shape: [2]).requiringGradient()
    let sgd = SGD(parameters: [w], learningRate: 0.1, momentum: 0.9)
    // Loss Σ w²/2: gradient w.
    for _ in 0..<2 {
      sgd.clearGradients()
      try (w * w * 0.5).sum().backward()
      try sgd.step()
    }
    // Step 1: v = (1, −2), w = (0.9, −1.8). Step 2: v = 0.9·(1, −2) + (0.9, −1.8) = (1.8, −3.6), w = (0.72, −1.44).
    let values = try w.values(as: Double.self)
    #expect(Swift.abs(values[0] - 0.72) < 1e-12 && Swift.abs(values[1] + 1.44) < 1e-12)
  }

  @Test("Adam's first step moves every weight by the learning rate against its gradient's sign")
  func adamFirstStep() throws {
    let w = try Tensor([3, -4] as [Double], shape: [2]).requiringGradient()
    let adam = Adam(parameters: [w], learningRate: 0.01)
    try (w * w).sum().backward()
    try adam.step()
    let values = try w.values(as: Double.self)
    #expect(Swift.abs(values[0] - 2.99) < 1e-6 && Swift.abs(values[1] + 3.99) < 1e-6)
  }

  @Test("gradient-norm clipping scales the joint norm down to the limit and reports the norm before")
  func clipping() throws {
    let a = try Tensor([3] as [Double], shape: [1]).requiringGradient()
    let b = try Tensor([4] as [Double], shape: [1]).requiringGradient()
    try (a * a * 0.5 + b * b * 0.5).sum().backward()
    let sgd = SGD(parameters: [a, b], learningRate: 1)
    #expect(Swift.abs(try sgd.clipGradientNorm(1) - 5) < 1e-12)
    #expect(Swift.abs(try a.gradient!.item() - 0.6) < 1e-6)
    #expect(Swift.abs(try b.gradient!.item() - 0.8) < 1e-6)
  }
}

@Suite("Metrics")
struct MetricsTests {
  @Test("accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix, by hand")
  func classification() {
    let probabilities: [[Double]] = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]]
    let labels = [0, 1, 1, 2, 2]
    let metrics = ClassificationMetrics(probabilities: probabilities, labels: labels, classNames: ["a", "b", "c"],
                                        backgroundShares: [0.1, 0.2, 0.3, 0.4, 0.5])
    #expect(metrics.confusion == [[1, 0, 0], [1, 1, 0], [0, 1, 1]])
    #expect(metrics.accuracy == 0.6)
    // a: P 1/2, R 1 → F1 2/3; b: P 1/2, R 1/2 → 1/2; c: P 1, R 1/2 → 2/3.
    #expect(Swift.abs(metrics.classes[0].f1 - 2.0 / 3) < 1e-12)
    #expect(Swift.abs(metrics.classes[1].f1 - 0.5) < 1e-12)
    #expect(Swift.abs(metrics.macroF1 - (2.0 / 3 + 0.5 + 2.0 / 3) / 3) < 1e-12)
    #expect(metrics.backgroundShare?.mean == 0.3)
    #expect(metrics.backgroundShare?.median == 0.3)
  }

  @Test("one-vs-rest AUC by the Mann-Whitney statistic, ties counted as one half")
  func auc() {
    #expect(rocAUC(scores: [0.1, 0.4, 0.35, 0.8], positives: [false, false, true, true]) == 0.75)
    #expect(rocAUC(scores: [0.5, 0.5], positives: [true, false]) == 0.5)
    #expect(rocAUC(scores: [0.5, 0.6], positives: [true, true]) == nil)
  }
}

@Suite("Trainer")
struct TrainerTests {
  let classNames = ["left", "right"]

  func configuration(variant: Variant, epochs: Int = 2, cutTuningEpochs: Int = 0) -> TrainingConfiguration {
    TrainingConfiguration(objective: ObjectiveConfiguration(variant: variant), epochs: epochs, batchSize: 16,
                          optimizer: .adam(learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                          seed: 4, cutTuningEpochs: cutTuningEpochs)
  }

  @Test("the same seed gives the same losses; the best epoch's weights end up in the model")
  func deterministic() throws {
    let data = try ShortcutProblem.dataset(count: 32, seed: 1)
    let validation = try ShortcutProblem.dataset(count: 16, seed: 2)
    let trainer = Trainer(configuration: configuration(variant: .stochastic), classNames: classNames)
    var improvements: [Int] = []
    let first = try trainer.train(makeModel: ShortcutProblem.model, training: data, validation: validation,
                                  onImprovement: { _, record, _ in improvements.append(record.epoch) })
    let second = try trainer.train(makeModel: ShortcutProblem.model, training: data, validation: validation)
    #expect(first.result.history.map(\.trainingLoss) == second.result.history.map(\.trainingLoss))
    #expect(improvements == first.result.history.filter(\.improved).map(\.epoch))
    let best = try #require(first.result.best)
    let reevaluated = try Evaluator(classNames: classNames).evaluate(first.model, on: validation, objective: Objective(first.result.configuration.objective), seed: 4)
    #expect(Swift.abs(reevaluated.losses!.total - best.validationLosses.total) < 1e-5)
  }

  @Test("a stop request ends training cleanly after the current step")
  func stop() throws {
    var steps = 0
    var events: [TrainingEvent] = []
    let result = try Trainer(configuration: configuration(variant: .plain, epochs: 3), classNames: classNames).train(
      makeModel: ShortcutProblem.model, training: ShortcutProblem.dataset(count: 64, seed: 1),
      validation: ShortcutProblem.dataset(count: 16, seed: 2), events: { events.append($0) },
      shouldStop: { steps += 1; return steps > 5 })
    #expect(result.result.stoppedEarly)
    #expect(result.result.history.count == 1)
    #expect(events.contains { if case .stopped(epoch: 2) = $0 { true } else { false } })
  }

  @Test("cut tuning sets C1 = max(μ/5, μ − 3σ) and C2 = min(25·C1, μ + 3σ) before training the ISNet")
  func cutTuning() throws {
    var tuned: (Double, Double)?
    let result = try Trainer(configuration: configuration(variant: .selective, epochs: 1, cutTuningEpochs: 2), classNames: classNames).train(
      makeModel: ShortcutProblem.model, training: ShortcutProblem.dataset(count: 32, seed: 1),
      validation: ShortcutProblem.dataset(count: 16, seed: 2),
      events: { if case .cutsTuned(let cuts, let hidden) = $0, hidden.isEmpty { tuned = (cuts.lower, cuts.upper) } })
    let (lower, upper) = try #require(tuned)
    #expect(lower > 0 && upper >= lower && upper <= 25 * lower)
    #expect(result.result.configuration.objective.loss.lowerCut == lower)
    #expect(result.result.configuration.objective.loss.upperCut == upper)
  }

  @Test("Welford statistics")
  func runningStatistics() {
    var statistics = RunningStatistics()
    [2, 4, 4, 4, 5, 5, 7, 9].forEach { statistics.add($0) }
    #expect(statistics.mean == 5)
    #expect(statistics.standardDeviation == 2)
  }
}
