import ArgumentParser
import Engine
import Foundation
import Systemd
import Torch

/// Training step time against the number of classes K for each variant, same model and batch. The
/// Faster ISNet claim: Selective and Stochastic stay flat in K while the original ISNet grows linearly.
struct TrainStepBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train-step",
    abstract: "Training step time against the number of classes, per ISNet variant.")

  @Option(help: "Class counts to measure.")
  var classes: [Int] = [2, 3, 10, 20]
  @Option(help: "Variants to measure (plain, original, selective, stochastic).")
  var variants: [String] = Variant.allCases.map(\.rawValue)
  @Option(help: "Batch size.")
  var batch = 8
  @Option(help: "Image side in pixels (1 channel).")
  var size = 128
  @Option(help: "Timed steps per measurement, after one warm-up step.")
  var steps = 3
  @Option(help: "libtorch intra-op threads.")
  var threads = 2
  @Flag(help: "LRP deep supervision on (heatmap loss also at the DenseNet's transitions and last ReLU).")
  var deepSupervision = false

  func run() throws {
    StandardOutput.useLineBuffering()
    Torch.threads = threads
    Torch.seed(0)
    print("train-step: compact DenseNet, \(size)x\(size)x1, batch \(batch), \(threads) threads, \(steps) timed steps each, "
      + "deep supervision \(deepSupervision ? "on" : "off")")
    var table: [Variant: [Int: Double]] = [:]
    for name in variants {
      guard let variant = Variant(rawValue: name) else { throw ValidationError("unknown variant \(name)") }
      for classCount in classes {
        let seconds = try measure(variant: variant, classCount: classCount)
        table[variant, default: [:]][classCount] = seconds
        print(String(format: "  %-10@ K=%-3d %8.1f ms/step", variant.rawValue as NSString, classCount, seconds * 1000))
      }
    }
    summarise(table)
  }

  private func measure(variant: Variant, classCount: Int) throws -> Double {
    let model = try DenseNet(.compact(classCount: classCount, inputChannels: 1))
    let objective = Objective(ObjectiveConfiguration(
      variant: variant, deepSupervision: deepSupervision && variant != .plain ? DeepSupervisionConfiguration() : nil))
    let optimizer = SGD(parameters: model.parameters, learningRate: 1e-3, momentum: 0.9)
    var generator = SeededGenerator(seed: 1)
    let pixels = size * size
    let mask = (0..<pixels).map { Float(($0 % size) > size / 4 && ($0 % size) < 3 * size / 4 ? 1 : 0) }
    let data = try Batch(images: Tensor.rand([batch, 1, size, size]),
                         masks: Tensor(Array(repeating: mask, count: batch).flatMap { $0 }, shape: [batch, 1, size, size]),
                         labels: (0..<batch).map { $0 % classCount })
    func step() throws {
      let output = try objective.evaluate(model: model, batch: data, training: true, using: &generator)
      optimizer.clearGradients()
      try output.loss.backward()
      try optimizer.clipGradientNorm(1)
      try optimizer.step()
    }
    try step()
    let clock = ContinuousClock()
    let elapsed = try clock.measure { for _ in 0..<steps { try step() } }
    return elapsed.seconds / Double(steps)
  }

  private func summarise(_ table: [Variant: [Int: Double]]) {
    guard let low = classes.min(), let high = classes.max(), low != high else { return }
    print("summary:")
    for variant in Variant.allCases {
      guard let row = table[variant], let first = row[low], let last = row[high] else { continue }
      print(String(format: "  %-10@ K=%d/K=%d step ratio %.2f", variant.rawValue as NSString, high, low, last / first))
    }
    for variant in [Variant.selective, .stochastic, .original] {
      guard let row = table[variant], let plain = table[.plain]?[low], let value = row[low] else { continue }
      print(String(format: "  %-10@ step / plain step at K=%d: %.2fx", variant.rawValue as NSString, low, value / plain))
    }
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
