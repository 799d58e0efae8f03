public import Torch

/// LRP-Flex (Bassi et al. 2024): the LRP-ε heatmap as Grad×Input, where every ReLU's backward is
/// scaled by y/(y+ε) instead of its derivative, finished by the z^B rule on the first layer and LRP-0
/// at the last (no ReLU follows the logits). The same attributor serves screening (no graph kept)
/// and ISNet training (`createGraph`: the heatmap is differentiable with respect to the weights).
public struct LRPFlex: Sendable {
  public var settings: RelevanceSettings
  /// Bounds of the input domain for the z^B rule; isnetd feeds images in [0, 1].
  public var inputLow: Double
  public var inputHigh: Double

  public init(settings: RelevanceSettings = RelevanceSettings(), inputLow: Double = 0, inputHigh: Double = 1) {
    self.settings = settings
    self.inputLow = inputLow
    self.inputHigh = inputHigh
  }

  /// Runs the model on `input` [B, C, H, W] in relevance mode and returns its logits and heatmaps
  /// [B, K', C, H, W] (K' = 1, or K for `.everyClass`). With `hiddenLayers`, also the relevance at
  /// each layer the model supervises (`supervisedActivations`), from the same backward pass.
  ///
  /// The explained quantity is summed over the batch so one backward pass serves every sample. With
  /// eval-mode or frozen BatchNorm, or train mode with `.detachedStatistics`, each sample's map equals
  /// the map of that sample explained alone.
  public func heatmaps(
    of model: some Classifier, input: Tensor, explaining explanation: Explanation,
    training: Bool = false, frozenBatchNorm: Bool = false, createGraph: Bool = false, hiddenLayers: Bool = false
  ) throws -> Heatmaps {
    try Torch.withGradient(true) {
      let mode = ForwardMode(training: training, relevance: settings, frozenBatchNorm: frozenBatchNorm)
      let output = try model.forward(input, mode: mode)
      guard let firstActivation = output.firstActivation, let firstLayer = output.firstLayer else {
        throw EngineError.invalidConfiguration("the model did not record its first layer in relevance mode")
      }
      let hidden = hiddenLayers ? output.supervisedActivations : []
      if hiddenLayers, hidden.isEmpty {
        throw EngineError.invalidConfiguration("LRP deep supervision needs a model that names hidden layers to supervise")
      }
      let (seeds, explained) = try explanation.seeds(logits: output.logits)
      let rule = ZBoxRule(low: inputLow, high: inputHigh, epsilon: settings.epsilon)
      var maps: [Tensor] = []
      var hiddenMaps = [[Tensor]](repeating: [], count: hidden.count)
      for (index, seed) in seeds.enumerated() {
        let keepGraph = training || createGraph || index < seeds.count - 1
        let modifiedGradients = try Torch.withLRPBackward {
          try gradients(of: seed, wrt: [firstActivation] + hidden, retainGraph: keepGraph, createGraph: createGraph)
        }
        let firstRelevance = try modifiedGradients[0].nanToNum() * firstActivation
        maps.append(try rule.relevance(input: input, outputRelevance: firstRelevance, layer: firstLayer))
        for (layer, activation) in hidden.enumerated() {
          hiddenMaps[layer].append(try modifiedGradients[layer + 1].nanToNum() * activation)
        }
      }
      return Heatmaps(logits: output.logits, maps: try Tensor.stack(maps, dim: 1),
                      hiddenMaps: try hiddenMaps.map { try Tensor.stack($0, dim: 1) }, explainedClasses: explained)
    }
  }
}

/// Logits and relevance maps of one batch.
public struct Heatmaps {
  /// [B, K] logits of the relevance-mode forward pass.
  public let logits: Tensor
  /// [B, K', C, H, W] relevance of every input pixel.
  public let maps: Tensor
  /// [B, K', C_l, h_l, w_l] relevance at each supervised hidden layer l, input side first (empty
  /// unless asked for).
  public let hiddenMaps: [Tensor]
  /// The class each sample's map explains (the lowest-logit class for Selective); nil for one map per class.
  public let explainedClasses: [Int]?
}
