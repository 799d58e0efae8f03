import Testing
import Torch

@Suite("LRP-aware ReLU")
struct LRPReLUTests {
  let input: [Float] = [-1, 0, 0.01, 0.5, 2]

  @Test("outside LRP mode the gradient is the ReLU derivative")
  func ordinaryGradient() throws {
    let x = try Tensor(input, shape: [5]).requiringGradient()
    let g = try gradients(of: x.lrpReLU(epsilon: 0.01).sum(), wrt: [x])[0]
    #expect(try g.floats() == [0, 0, 1, 1, 1])
  }

  @Test("in LRP mode the gradient is scaled by y/(y+ε)")
  func lrpGradient() throws {
    let x = try Tensor(input, shape: [5]).requiringGradient()
    let y = try x.lrpReLU(epsilon: 0.01)
    #expect(try y.floats() == [0, 0, 0.01, 0.5, 2])
    let g = try Torch.withLRPBackward { try gradients(of: y.sum(), wrt: [x])[0] }
    let expected: [Float] = [0, 0, 0.5, 0.5 / 0.51, 2 / 2.01]
    for (value, reference) in zip(try g.floats(), expected) {
      #expect(Swift.abs(value - reference) < 1e-6)
    }
    #expect(!Torch.withLRPBackward { false })  // the mode is restored after the block
  }

  @Test("the LRP gradient is differentiable: d/dx of Σ x·y/(y+ε) through double backward")
  func doubleBackward() throws {
    let eps = 0.1
    let x = try Tensor([0.5, 1.5] as [Double], shape: [2]).requiringGradient()
    let y = try x.lrpReLU(epsilon: eps)
    // G = y/(y+ε) for positive x; relevance R = x·G; dR/dx = G + x·ε/(y+ε)² with y = x.
    let gradient = try Torch.withLRPBackward { try gradients(of: y.sum(), wrt: [x], createGraph: true)[0] }
    let relevance = try (x * gradient).sum()
    let second = try gradients(of: relevance, wrt: [x])[0].values(as: Double.self)
    let expected = [0.5, 1.5].map { v in v / (v + eps) + v * eps / ((v + eps) * (v + eps)) }
    for (value, reference) in zip(second, expected) {
      #expect(Swift.abs(value - reference) < 1e-12)
    }
  }
}
