import Testing
import Torch

/// A small conv net in float64: conv(2→3, 3x3, pad 1) → tanh → conv(3→1, 3x3) → sum of squares.
/// tanh instead of ReLU keeps the second derivative non-zero and smooth for finite differences.
private struct TinyConvNet {
  let w1: Tensor
  let b1: Tensor
  let w2: Tensor

  init() throws {
    Torch.seed(7)
    w1 = try (Tensor.randn([3, 2, 3, 3]) * 0.4).to(.float64).requiringGradient()
    b1 = try (Tensor.randn([3]) * 0.1).to(.float64).requiringGradient()
    w2 = try (Tensor.randn([1, 3, 3, 3]) * 0.4).to(.float64).requiringGradient()
  }

  func callAsFunction(_ x: Tensor) throws -> Tensor {
    let hidden = try x.conv2d(weight: w1, bias: b1, padding: Size2(1)).tanh()
    return try hidden.conv2d(weight: w2, bias: nil).square().sum()
  }
}

/// Central finite difference of `f` with respect to every element of `tensor`, in float64.
private func finiteDifferences(of f: () throws -> Double, perturbing tensor: Tensor, step: Double = 1e-6) throws -> [Double] {
  let original = try tensor.values(as: Double.self)
  var derivatives: [Double] = []
  for index in original.indices {
    var plus = original
    plus[index] += step
    try Torch.withoutGradient { try tensor.copy_(Tensor(plus, shape: tensor.shape)) }
    let up = try f()
    var minus = original
    minus[index] -= step
    try Torch.withoutGradient { try tensor.copy_(Tensor(minus, shape: tensor.shape)) }
    let down = try f()
    derivatives.append((up - down) / (2 * step))
  }
  try Torch.withoutGradient { try tensor.copy_(Tensor(original, shape: tensor.shape)) }
  return derivatives
}

private func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
  let scale = max(b.map(Swift.abs).max() ?? 0, 1e-12)
  return zip(a, b).map { Swift.abs($0 - $1) }.max()! / scale
}

@Suite("libtorch autograd through the bridge")
struct AutogradTests {
  @Test("closed-form gradients of a 1x1 convolution, first and second order")
  func closedForm() throws {
    let x = try Tensor([1, 2, 3, 4] as [Float], shape: [1, 1, 2, 2]).requiringGradient()
    let w = try Tensor([0.5] as [Float], shape: [1, 1, 1, 1]).requiringGradient()
    // y = Σ (w x)²: dy/dx = 2 w² x, d/dw of Σ dy/dx = 4 w Σ x = 4 · 0.5 · 10 = 20.
    let y = try x.conv2d(weight: w, bias: nil).square().sum()
    let dx = try gradients(of: y, wrt: [x], createGraph: true)[0]
    #expect(try dx.floats() == [0.5, 1, 1.5, 2])
    let dw = try gradients(of: dx.sum(), wrt: [w])[0]
    #expect(try dw.floats() == [20])
  }

  @Test("input gradient of a conv net equals central finite differences (relative 1e-6)")
  func inputGradient() throws {
    let net = try TinyConvNet()
    Torch.seed(11)
    let x = try Tensor.rand([1, 2, 5, 5]).to(.float64).requiringGradient()
    let analytic = try gradients(of: net(x), wrt: [x])[0].values(as: Double.self)
    let numeric = try finiteDifferences(of: { try Torch.withoutGradient { try net(x).item() } }, perturbing: x)
    #expect(maxRelativeError(analytic, numeric) < 1e-6)
  }

  @Test("second-order gradient (create_graph) equals finite differences of the first (relative 1e-5)")
  func secondOrderGradient() throws {
    let net = try TinyConvNet()
    Torch.seed(13)
    let x = try Tensor.rand([1, 2, 5, 5]).to(.float64).requiringGradient()
    // g(w1) = Σ (∂f/∂x)², the shape of the ISNet heatmap loss: it needs d/dw1 of an input gradient.
    func inputGradientPenalty(createGraph: Bool) throws -> Tensor {
      let dx = try gradients(of: net(x), wrt: [x], createGraph: createGraph)[0]
      return try dx.square().sum()
    }
    let analytic = try gradients(of: inputGradientPenalty(createGraph: true), wrt: [net.w1])[0].values(as: Double.self)
    let numeric = try finiteDifferences(of: { try inputGradientPenalty(createGraph: false).item() }, perturbing: net.w1)
    #expect(maxRelativeError(analytic, numeric) < 1e-5)
    #expect(analytic.contains { Swift.abs($0) > 1e-3 })
  }

  @Test("backward accumulates into leaves and clearGradient drops it")
  func backwardAccumulates() throws {
    let w = try Tensor([1, -2, 3] as [Float], shape: [3]).requiringGradient()
    try (w * w).sum().backward()
    try (w * w).sum().backward()
    #expect(try w.gradient?.floats() == [4, -8, 12])
    w.clearGradient()
    #expect(w.gradient == nil)
  }
}
