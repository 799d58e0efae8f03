@testable import Engine
import Testing
import Torch

@Suite("BatchNorm recalibration")
struct BatchNormRecalibrationTests {
  /// 20 samples of 2 channels, 3x3, channel means far from BatchNorm's initial statistics.
  static func samples() throws -> [[Float]] {
    var generator = SeededGenerator(seed: 4)
    return (0..<20).map { _ in
      (0..<18).map { index in Float(index < 9 ? 5 : -3) + Float.random(in: -2...2, using: &generator) }
    }
  }

  @Test("running statistics become the equal-weight mean of the used batches' statistics, whatever they were before")
  func averagesBatches() throws {
    let layer = try BatchNorm2d(2)
    try layer.runningMean.copy_(Tensor([Float(40), -40], shape: [2]))
    try layer.runningVariance.copy_(Tensor([Float(90), 0.01], shape: [2]))
    let samples = try Self.samples()
    var used: [[Int]] = []
    func images(_ indices: some Collection<Int>) throws -> Tensor {
      try Tensor(indices.flatMap { samples[$0] }, shape: [indices.count, 2, 3, 3])
    }
    let recalibration = BatchNormRecalibration(batches: 3, batchSize: 4, sampleCount: samples.count) { indices, mode in
      used.append(Array(indices))
      _ = try layer(images(indices), mode)
    }
    try recalibration.run(model: layer)

    #expect(used.count == 3 && used.allSatisfy { $0.count == 4 })
    #expect(Set(used.joined()).count == 12)  // distinct samples
    var expectedMean = [0.0, 0.0]
    var expectedVariance = [0.0, 0.0]
    for indices in used {
      let batch = try images(indices)
      let means = try batch.mean(dims: [0, 2, 3]).values(as: Float.self)
      let variances = try batch.variance(dims: [0, 2, 3], unbiased: true).values(as: Float.self)
      for channel in 0..<2 {
        expectedMean[channel] += Double(means[channel]) / 3
        expectedVariance[channel] += Double(variances[channel]) / 3
      }
    }
    let mean = try layer.runningMean.values(as: Float.self)
    let variance = try layer.runningVariance.values(as: Float.self)
    for channel in 0..<2 {
      #expect(abs(Double(mean[channel]) - expectedMean[channel]) < 1e-4)
      #expect(abs(Double(variance[channel]) - expectedVariance[channel]) < 1e-4 * expectedVariance[channel])
    }
    #expect(mean[0] > 4 && mean[1] < -2)
  }

  @Test("zero batches leaves the running statistics alone")
  func off() throws {
    let layer = try BatchNorm2d(2)
    try layer.runningMean.copy_(Tensor([Float(40), -40], shape: [2]))
    let recalibration = BatchNormRecalibration(batches: 0, batchSize: 4, sampleCount: 20) { _, _ in
      Issue.record("no forward pass expected")
    }
    try recalibration.run(model: layer)
    #expect(try layer.runningMean.values(as: Float.self) == [40, -40])
  }

  /// Recalibrates on one batch holding every image: eval mode must then compute what train mode
  /// computes on that batch, so every BatchNorm of the model took the override, however deep it sits.
  /// Not exactly: running variances are unbiased, batch normalisation divides by the biased one, and
  /// the few samples of the deepest small maps compound that to about 4 %; a BatchNorm that kept its
  /// own momentum after the reset is off by about 100 %.
  func expectEvalMatchesBatch(_ model: some Layer, forward: @escaping (Tensor, ForwardMode) throws -> Tensor) throws {
    let images = try Tensor.rand([6, 1, 32, 32])
    let recalibration = BatchNormRecalibration(batches: 1, batchSize: 6, sampleCount: 6) { _, mode in
      _ = try forward(images, mode)
    }
    try recalibration.run(model: model)
    let (batchOutput, evalOutput) = try Torch.withoutGradient {
      (try forward(images, ForwardMode(training: true, batchNormMomentum: 0)).floats(), try forward(images, .inference).floats())
    }
    let worst = zip(batchOutput, evalOutput).map { abs($0 - $1) }.max()!
    let scale = batchOutput.map(abs).max()!
    #expect(worst < 0.05 * scale, "largest difference \(worst) of \(scale)")
  }

  @Test("every BatchNorm of a DenseNet and of a U-Net is recalibrated")
  func wholeModels() throws {
    Torch.seed(2)
    let denseNet = try DenseNet(DenseNetConfiguration(growthRate: 4, blockLayers: [2, 2], initialFeatures: 8, classCount: 3,
                                                      inputChannels: 1))
    try expectEvalMatchesBatch(denseNet) { try denseNet.forward($0, mode: $1).logits }
    let unet = try UNet(UNetConfiguration(depth: 3, baseWidth: 4))
    try expectEvalMatchesBatch(unet) { try unet.forward($0, mode: $1) }
  }
}
