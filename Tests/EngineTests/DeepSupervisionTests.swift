@testable import Engine
import Testing
import Torch

@Suite("LRP deep supervision")
struct DeepSupervisionTests {
  @Test("DenseNet: the relevance at each transition's ReLU and at the final ReLU equals an explicit layer-by-layer LRP down to it (1e-9 relative)")
  func denseNetHiddenRelevanceMatchesExplicit() throws {
    Torch.seed(31)
    let model = try DenseNet(DenseNetConfiguration(growthRate: 3, blockLayers: [1, 1], initialFeatures: 4, bottleneckWidth: 2,
                                                   classCount: 3, inputChannels: 1), dtype: .float64)
    try ExplicitLRP.randomiseBatchNorms(of: model)
    let x = try Tensor.rand([2, 1, 32, 32]).to(.float64)
    let targets = [2, 0]
    let epsilon = 0.01
    let flex = try LRPFlex(settings: RelevanceSettings(epsilon: epsilon))
      .heatmaps(of: model, input: x, explaining: .classes(targets), hiddenLayers: true)
    #expect(flex.hiddenMaps.count == 2)

    // The forward pass written out: stem, block 1, transition, block 2, final BN-ReLU, head.
    let mode = ForwardMode.inference
    let pooledStem = try model.norm0(model.conv0(x), mode).relu().maxPool2d(kernel: Size2(3), stride: Size2(2), padding: Size2(1))
    func denseLayer(_ layer: DenseLayer, _ input: Tensor) throws -> (first: Tensor, second: Tensor, output: Tensor) {
      let first = try layer.norm1(input, mode).relu()
      let second = try layer.norm2(layer.conv1(first), mode).relu()
      return (first, second, try layer.conv2(second))
    }
    let block1 = try Tensor.cat([pooledStem, denseLayer(model.blocks[0].layers[0], pooledStem).output], dim: 1)
    let transition = model.transitions[0]
    let transitionActivation = try transition.norm(block1, mode).relu()
    func reduce(_ activation: Tensor) throws -> Tensor { try transition.conv(activation).avgPool2d(kernel: Size2(2), stride: Size2(2)) }
    let reduced = try reduce(transitionActivation)
    let layer2 = try denseLayer(model.blocks[1].layers[0], reduced)
    let finalActivation = try model.norm5(Tensor.cat([reduced, layer2.output], dim: 1), mode).relu()
    func head(_ activation: Tensor) throws -> Tensor {
      try model.classifier(activation.adaptiveAvgPool2d(Size2(1)).reshaped([activation.shape[0], -1]))
    }
    let logits = try head(finalActivation)
    #expect(try maxRelativeDifference(flex.logits, logits) < 1e-12)

    // Explicit LRP: LRP-0 through pooling and the head, ε at every ReLU. norm5 is per channel, so a slice
    // of its output is norm5 of the concatenation with the other part held constant.
    let oneHot = try Tensor(targets.map(Int64.init), shape: [2]).oneHot(classes: 3).to(.float64)
    let finalRelevance = try ExplicitLRP.epsilonRule(finalActivation, relevance: logits * oneHot, epsilon: 0, head)
    #expect(try maxRelativeDifference(flex.hiddenMaps[1].squeezed(1), finalRelevance) < 1e-9)

    let carried = reduced.shape[1]
    let grown = layer2.output.shape[1]
    let relevanceOfCarried = try finalRelevance.narrowed(dim: 1, start: 0, length: carried)
    let relevanceOfGrown = try finalRelevance.narrowed(dim: 1, start: carried, length: grown)
    let secondRelevance = try ExplicitLRP.epsilonRule(layer2.second, relevance: relevanceOfGrown, epsilon: epsilon) {
      try model.norm5(Tensor.cat([reduced.detached(), model.blocks[1].layers[0].conv2($0)], dim: 1), mode).narrowed(dim: 1, start: carried, length: grown)
    }
    let firstRelevance = try ExplicitLRP.epsilonRule(layer2.first, relevance: secondRelevance, epsilon: epsilon) {
      try model.blocks[1].layers[0].norm2(model.blocks[1].layers[0].conv1($0), mode)
    }
    // The transition's ReLU feeds two consumers (norm5's carried channels and block 2's first BN): one
    // ε-rule over both, as the LRP Block concatenates consumers.
    let transitionRelevance = try ExplicitLRP.epsilonRule(
      transitionActivation, relevance: Tensor.cat([relevanceOfCarried, firstRelevance], dim: 1), epsilon: epsilon
    ) { activation in
      let reduced = try reduce(activation)
      let carriedOutput = try model.norm5(Tensor.cat([reduced, layer2.output.detached()], dim: 1), mode)
        .narrowed(dim: 1, start: 0, length: carried)
      return try Tensor.cat([carriedOutput, model.blocks[1].layers[0].norm1(reduced, mode)], dim: 1)
    }
    #expect(try maxRelativeDifference(flex.hiddenMaps[0].squeezed(1), transitionRelevance) < 1e-9)
  }

  @Test("d(deep-supervision loss)/d(weights) through double backward matches central finite differences (1e-4 relative)")
  func lossGradientMatchesFiniteDifferences() throws {
    Torch.seed(23)
    let conv1 = try Conv2d(1, 3, kernel: Size2(3), stride: Size2(2), padding: Size2(1), bias: true, dtype: .float64)
    let conv2 = try Conv2d(3, 4, kernel: Size2(3), padding: Size2(1), bias: true, dtype: .float64)
    let conv3 = try Conv2d(4, 4, kernel: Size2(3), padding: Size2(1), bias: true, dtype: .float64)
    let linear = try Linear(4, 3, dtype: .float64)
    try Torch.withoutGradient { for b in [conv1.bias!, conv2.bias!, conv3.bias!] { try b.copy_(Tensor.randn(b.shape) * 0.1) } }
    let net = try SequentialClassifier([
      .conv(conv1), .relu, .conv(conv2), .relu, .supervise, .conv(conv3), .relu, .supervise, .globalAvgPool, .flatten, .linear(linear),
    ], inputChannels: 1, classCount: 3)
    let x = try Tensor.rand([2, 1, 8, 8]).to(.float64)
    var maskValues = [Double](repeating: 0, count: 128)
    for sample in 0..<2 { for row in 1..<7 { for column in 1..<5 { maskValues[sample * 64 + row * 8 + column] = 1 } } }
    let masks = try Tensor(maskValues, shape: [2, 1, 8, 8])
    let base = HeatmapLossConfiguration(backgroundDecay: 0.8, lowerCut: 0.5, upperCut: 0.6)
    let supervision = DeepSupervisionConfiguration(
      layerDecay: 0.7, hiddenCuts: [ForegroundCuts(lower: 0.3, upper: 0.4), ForegroundCuts(lower: 0.2, upper: 0.5)])
    let flex = LRPFlex()

    func objective(createGraph: Bool) throws -> Tensor {
      let heatmaps = try flex.heatmaps(of: net, input: x, explaining: .selective(epsilon: 0.01), createGraph: createGraph, hiddenLayers: true)
      #expect(heatmaps.hiddenMaps.map(\.shape) == [[2, 1, 4, 4, 4], [2, 1, 4, 4, 4]])
      return try supervision.pooledLoss(inputLoss: HeatmapLoss(base)(heatmaps: heatmaps.maps, masks: masks),
                                        hiddenMaps: heatmaps.hiddenMaps, masks: masks, base: base)
    }
    for (relativeError, scale) in try finiteDifferenceErrors(of: objective, wrt: [conv1.weight, conv3.weight, linear.weight]) {
      #expect(scale > 1e-6, "the loss must depend on these weights")
      #expect(relativeError < 1e-4)
    }
  }

  @Test("the layers' losses are pooled by GWRP over the layers sorted descending; mismatched cuts and decays are refused")
  func pooling() throws {
    Torch.seed(3)
    let masks = try Tensor.ones([2, 1, 4, 4])
    let map = try Tensor.rand([2, 1, 3, 4, 4])
    let maps = [map, map]  // the same relevance at both layers: only their cuts differ
    let base = HeatmapLossConfiguration()
    let inputLoss = try Tensor(scalar: Float(0.25))
    let cuts = [ForegroundCuts(lower: 2, upper: 9), ForegroundCuts(lower: 60, upper: 90)]
    let layerLosses = try zip(maps, cuts).map { maps, cuts in
      var configuration = base
      configuration.lowerCut = cuts.lower
      configuration.upperCut = cuts.upper
      return try HeatmapLoss(configuration)(heatmaps: maps, masks: masks).item()
    }
    let sorted = ([0.25] + layerLosses).sorted(by: >)
    let weights = [1, 0.5, 0.25].map { $0 / 1.75 }
    let pooled = try DeepSupervisionConfiguration(layerDecay: 0.5, hiddenCuts: cuts)
      .pooledLoss(inputLoss: inputLoss, hiddenMaps: maps, masks: masks, base: base).item()
    #expect(Swift.abs(pooled - zip(sorted, weights).map(*).reduce(0, +)) < 1e-6)
    // F = Σ|H|·M ≈ 24: above C1 + C2 = 11 (linear excess) for the first cuts, below C1 = 60 for the second.
    #expect(layerLosses[0] > 10 && layerLosses[1] < 1, "each layer's own cuts enter its loss")

    #expect(throws: EngineError.self) {
      try DeepSupervisionConfiguration(hiddenCuts: [cuts[0]]).pooledLoss(inputLoss: inputLoss, hiddenMaps: maps, masks: masks, base: base)
    }
    #expect(throws: EngineError.self) {
      try DeepSupervisionConfiguration(layerDecay: 1.5).pooledLoss(inputLoss: inputLoss, hiddenMaps: maps, masks: masks, base: base)
    }
  }

  @Test("cut tuning under deep supervision gives each supervised layer its own C1/C2 from its own map, and training uses them")
  func cutTuning() throws {
    var objective = ObjectiveConfiguration(variant: .selective)
    objective.deepSupervision = DeepSupervisionConfiguration()
    let configuration = TrainingConfiguration(objective: objective, epochs: 1, batchSize: 16, seed: 2, augmentation: .none, cutTuningEpochs: 2)
    var tuned: (input: ForegroundCuts, hidden: [ForegroundCuts])?
    let result = try Trainer(configuration: configuration, classNames: ["left", "right"]).train(
      makeModel: ShortcutProblem.model, training: ShortcutProblem.dataset(count: 32, seed: 1),
      validation: ShortcutProblem.dataset(count: 16, seed: 2),
      events: { if case .cutsTuned(let input, let hidden) = $0 { tuned = (input, hidden) } })
    let cuts = try #require(tuned)
    #expect(cuts.hidden.count == 2, "the DenseNet of two blocks supervises its transition and its final ReLU")
    for layer in [cuts.input] + cuts.hidden {
      #expect(layer.lower > 0 && layer.upper >= layer.lower && layer.upper <= 25 * layer.lower)
    }
    #expect(Set(([cuts.input] + cuts.hidden).map(\.lower)).count == 3, "every layer's relevance has its own scale")
    #expect(result.result.configuration.objective.deepSupervision?.hiddenCuts == cuts.hidden)
    #expect(result.result.best?.validationLosses.heatmap?.isFinite == true)
  }

  @Test("a model without supervised layers is refused, not silently trained without deep supervision")
  func modelWithoutHiddenLayers() throws {
    let net = try SequentialClassifier([.conv(Conv2d(1, 2, kernel: Size2(3), padding: Size2(1))), .relu, .globalAvgPool, .flatten,
                                        .linear(Linear(2, 2))], inputChannels: 1, classCount: 2)
    #expect(throws: EngineError.self) {
      try LRPFlex().heatmaps(of: net, input: Tensor.rand([1, 1, 6, 6]), explaining: .predicted, hiddenLayers: true)
    }
  }
}
