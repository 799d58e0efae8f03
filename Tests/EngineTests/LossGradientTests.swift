@testable import Engine
import Testing
import Torch

@Suite("Heatmap loss gradient")
struct LossGradientTests {
  @Test("d(heatmap loss)/d(weights) through double backward matches central finite differences (1e-4 relative)")
  func matchesFiniteDifferences() throws {
    Torch.seed(17)
    // A strided first layer, like DenseNet's stem, so the z^B adjoint convolution's size handling and
    // its double backward are exercised.
    let conv1 = try Conv2d(1, 3, kernel: Size2(3), stride: Size2(2), padding: Size2(1), bias: true, dtype: .float64)
    let conv2 = try Conv2d(3, 4, kernel: Size2(3), padding: Size2(1), bias: true, dtype: .float64)
    let linear = try Linear(4, 3, dtype: .float64)
    try Torch.withoutGradient { for b in [conv1.bias!, conv2.bias!] { try b.copy_(Tensor.randn(b.shape) * 0.1) } }
    let net = try SequentialClassifier([
      .conv(conv1), .relu, .conv(conv2), .relu, .globalAvgPool, .flatten, .linear(linear),
    ], inputChannels: 1, classCount: 3)
    let x = try Tensor.rand([2, 1, 7, 7]).to(.float64)
    var maskValues = [Double](repeating: 0, count: 98)
    for sample in 0..<2 { for row in 1..<6 { for column in 1..<4 { maskValues[sample * 49 + row * 7 + column] = 1 } } }
    let masks = try Tensor(maskValues, shape: [2, 1, 7, 7])
    let loss = HeatmapLoss(HeatmapLossConfiguration(backgroundDecay: 0.8, lowerCut: 0.5, upperCut: 0.6))
    let flex = LRPFlex()

    func objective(createGraph: Bool) throws -> Tensor {
      let maps = try flex.heatmaps(of: net, input: x, explaining: .selective(epsilon: 0.01), createGraph: createGraph).maps
      return try loss(heatmaps: maps, masks: masks)
    }
    for (relativeError, scale) in try finiteDifferenceErrors(of: objective, wrt: [conv1.weight, linear.weight]) {
      #expect(scale > 1e-6, "the loss must depend on these weights")
      #expect(relativeError < 1e-4)
    }
  }
}
