@testable import Engine
import Testing
import Torch

/// conv(2→4, 3x3) → ReLU → maxpool 2 → conv(4→6, 3x3) → ReLU → avgpool 2 → flatten → linear(24→8) → ReLU
/// → linear(8→3), float64, with biases.
private func makeConvNet(bias: Bool = true, seed: UInt64 = 3) throws -> (SequentialClassifier, Conv2d, Conv2d, Linear, Linear) {
  Torch.seed(seed)
  let conv1 = try Conv2d(2, 4, kernel: Size2(3), padding: Size2(1), bias: bias, dtype: .float64)
  let conv2 = try Conv2d(4, 6, kernel: Size2(3), padding: Size2(1), bias: bias, dtype: .float64)
  let linear1 = try Linear(24, 8, bias: bias, dtype: .float64)
  let linear2 = try Linear(8, 3, bias: bias, dtype: .float64)
  if bias {
    try Torch.withoutGradient {
      for b in [conv1.bias!, conv2.bias!, linear1.bias!, linear2.bias!] { try b.copy_(Tensor.randn(b.shape) * 0.1) }
    }
  }
  let net = try SequentialClassifier([
    .conv(conv1), .relu, .maxPool(kernel: Size2(2), stride: Size2(2), padding: Size2(0)),
    .conv(conv2), .relu, .avgPool(kernel: Size2(2), stride: Size2(2)), .flatten,
    .linear(linear1), .relu, .linear(linear2),
  ], inputChannels: 2, classCount: 3)
  return (net, conv1, conv2, linear1, linear2)
}

@Suite("LRP-Flex")
struct LRPFlexTests {
  @Test("conv net: LRP-Flex equals an explicit layer-by-layer LRP (ε, z^B, LRP-0) to 1e-5 relative")
  func convNetMatchesExplicit() throws {
    let (net, conv1, conv2, linear1, linear2) = try makeConvNet()
    Torch.seed(5)
    let x = try Tensor.rand([2, 2, 8, 8]).to(.float64)
    let targets = [0, 2]
    let epsilon = 0.01
    let flex = try LRPFlex(settings: RelevanceSettings(epsilon: epsilon)).heatmaps(of: net, input: x, explaining: .classes(targets))

    let a1 = try conv1(x).relu()
    let a2 = try a1.maxPool2d(kernel: Size2(2), stride: Size2(2))
    let a3 = try conv2(a2).relu()
    let a5 = try a3.avgPool2d(kernel: Size2(2), stride: Size2(2)).reshaped([2, 24])
    let a6 = try linear1(a5).relu()
    let logits = try linear2(a6)
    let oneHot = try Tensor(targets.map(Int64.init), shape: [2]).oneHot(classes: 3).to(.float64)
    var relevance = try logits * oneHot
    relevance = try ExplicitLRP.epsilonRule(a6, relevance: relevance, epsilon: 0) { try linear2($0) }
    relevance = try ExplicitLRP.epsilonRule(a5, relevance: relevance, epsilon: epsilon) { try linear1($0) }
    relevance = try relevance.reshaped([2, 6, 2, 2])
    relevance = try ExplicitLRP.epsilonRule(a3, relevance: relevance, epsilon: 0) { try $0.avgPool2d(kernel: Size2(2), stride: Size2(2)) }
    relevance = try ExplicitLRP.epsilonRule(a2, relevance: relevance, epsilon: epsilon) { try conv2($0) }
    relevance = try ExplicitLRP.maxPoolRule(a1, relevance: relevance, kernel: 2, stride: 2)
    let explicit = try ExplicitLRP.zBoxRule(x, relevance: relevance, conv: conv1, low: 0, high: 1, epsilon: epsilon)

    #expect(flex.maps.shape == [2, 1, 2, 8, 8])
    #expect(try maxRelativeDifference(flex.maps.squeezed(1), explicit) < 1e-5)
    #expect(try maxRelativeDifference(flex.logits, logits) < 1e-12)
  }

  @Test("linear net: LRP-Flex equals the explicit LRP, z^B on a linear first layer")
  func linearNetMatchesExplicit() throws {
    Torch.seed(9)
    let first = try Linear(12, 10, dtype: .float64)
    let hidden = try Linear(10, 6, dtype: .float64)
    let last = try Linear(6, 4, dtype: .float64)
    try Torch.withoutGradient { for b in [first.bias!, hidden.bias!, last.bias!] { try b.copy_(Tensor.randn(b.shape) * 0.2) } }
    let net = try SequentialClassifier([.linear(first), .relu, .linear(hidden), .relu, .linear(last)], inputChannels: 1, classCount: 4)
    let x = try Tensor.rand([3, 12]).to(.float64)
    let flex = try LRPFlex().heatmaps(of: net, input: x, explaining: .predicted)
    let targets = try #require(flex.explainedClasses)

    let a1 = try first(x).relu()
    let a2 = try hidden(a1).relu()
    let logits = try last(a2)
    var relevance = try logits * Tensor(targets.map(Int64.init), shape: [3]).oneHot(classes: 4).to(.float64)
    relevance = try ExplicitLRP.epsilonRule(a2, relevance: relevance, epsilon: 0) { try last($0) }
    relevance = try ExplicitLRP.epsilonRule(a1, relevance: relevance, epsilon: 0.01) { try hidden($0) }
    // z^B for a linear layer, by its closed form: R = x·Wᵀs − 0·W⁺ᵀs − 1·W⁻ᵀs with s = R/(z + ε sign z).
    let (w, b) = (first.weight, first.bias!)
    let z = try x.linear(weight: w, bias: b) - Tensor.ones([1, 12], dtype: .float64).linear(weight: w.clamp(max: 0), bias: b.clamp(max: 0))
    let s = try relevance / (z + (z.greaterOrEqual(0).to(.float64) * 2 - 1) * 0.01)
    let explicit = try x * s.matmul(w) - s.matmul(w.clamp(max: 0))

    #expect(try maxRelativeDifference(flex.maps.squeezed(1), explicit) < 1e-5)
  }

  @Test("conservation: on a bias-free ReLU net with ε → 0, Σ R equals the explained logit (1e-4 relative)")
  func conservation() throws {
    let (net, _, _, _, _) = try makeConvNet(bias: false, seed: 21)
    let x = try Tensor.rand([3, 2, 8, 8]).to(.float64)
    let flex = LRPFlex(settings: RelevanceSettings(epsilon: 1e-9))
    let result = try flex.heatmaps(of: net, input: x, explaining: .classes([0, 1, 2]))
    let sums = try result.maps.sum(dims: [1, 2, 3, 4]).values(as: Double.self)
    let logits = try result.logits.values(as: Double.self)
    for (sample, sum) in sums.enumerated() {
      let logit = logits[sample * 3 + sample]
      #expect(Swift.abs(sum - logit) <= 1e-4 * Swift.abs(logit))
    }
  }

  @Test("original ISNet: the K maps equal K separate single-logit runs")
  func everyClassEqualsSingles() throws {
    Torch.seed(4)
    let model = try DenseNet(.init(growthRate: 4, blockLayers: [2, 2], initialFeatures: 8, classCount: 3, inputChannels: 1))
    let x = try Tensor.rand([2, 1, 32, 32])
    let flex = LRPFlex()
    let all = try flex.heatmaps(of: model, input: x, explaining: .everyClass).maps
    #expect(all.shape == [2, 3, 1, 32, 32])
    for c in 0..<3 {
      let single = try flex.heatmaps(of: model, input: x, explaining: .classes([c, c])).maps.squeezed(1)
      #expect(try maxRelativeDifference(all.narrowed(dim: 1, start: c, length: 1).squeezed(1), single) < 1e-5)
    }
  }

  @Test("Selective ISNet: its map equals Σ_c' (∂η/∂z_c')·H_c'")
  func selectiveIsWeightedSum() throws {
    Torch.seed(6)
    let model = try DenseNet(.init(growthRate: 4, blockLayers: [2, 2], initialFeatures: 8, classCount: 4, inputChannels: 1))
    let x = try Tensor.rand([3, 1, 32, 32])
    let flex = LRPFlex()
    let epsilon = 0.01
    let selective = try flex.heatmaps(of: model, input: x, explaining: .selective(epsilon: epsilon))
    let perClass = try flex.heatmaps(of: model, input: x, explaining: .everyClass).maps  // [B, K, 1, H, W]
    let probabilities = try selective.logits.softmax(dim: 1).values(as: Double.self)
    let lowest = try #require(selective.explainedClasses)
    var weights: [Float] = []
    for sample in 0..<3 {
      let p = Array(probabilities[(sample * 4)..<(sample * 4 + 4)])
      let c = lowest[sample]
      let scale = 1 / (p[c] + epsilon) + 1 / (1 - p[c] + epsilon)
      for other in 0..<4 { weights.append(Float(scale * p[c] * ((other == c ? 1 : 0) - p[other]))) }
    }
    let combined = try (perClass * Tensor(weights, shape: [3, 4, 1, 1, 1])).sum(dims: [1])
    #expect(try maxRelativeDifference(selective.maps.squeezed(1), combined) < 1e-4)
  }

  @Test("train-mode BatchNorm with detached statistics: a sample's map gets no relevance from other samples")
  func batchIndependence() throws {
    Torch.seed(8)
    let config = DenseNetConfiguration(growthRate: 4, blockLayers: [2], initialFeatures: 8, classCount: 3, inputChannels: 1)
    let model = try DenseNet(config)
    let x = try Tensor.rand([4, 1, 32, 32])
    for policy in [BatchNormRelevance.detachedStatistics, .throughStatistics] {
      let flex = LRPFlex(settings: RelevanceSettings(batchNorm: policy))
      let batch = try flex.heatmaps(of: model, input: x, explaining: .classes([0, 1, 2, 0]), training: true).maps
      // The same forward pass, but only sample 0's logit seeded: its map must not change.
      let mode = ForwardMode(training: true, relevance: flex.settings)
      let output = try model.forward(x, mode: mode)
      let seed = try output.logits.narrowed(dim: 0, start: 0, length: 1).narrowed(dim: 1, start: 0, length: 1).sum()
      let g = try Torch.withLRPBackward { try gradients(of: seed, wrt: [output.firstActivation!])[0] }
      let alone = try ZBoxRule().relevance(input: x, outputRelevance: g * output.firstActivation!, layer: output.firstLayer!)
      let difference = try maxRelativeDifference(batch.narrowed(dim: 0, start: 0, length: 1).squeezed(1), alone.narrowed(dim: 0, start: 0, length: 1))
      if policy == .detachedStatistics {
        #expect(difference < 1e-5)
      } else {
        #expect(difference > 1e-3, "differentiating through batch statistics couples the samples")
      }
    }
  }
}
