public import Torch

/// C1 and C2 of one layer's foreground term.
public struct ForegroundCuts: Codable, Sendable, Equatable {
  public var lower: Double
  public var upper: Double

  public init(lower: Double, upper: Double) {
    self.lower = lower
    self.upper = upper
  }

  /// The authors' untuned cuts, C1 = 1 and C2 = 25.
  public static let untuned = ForegroundCuts(lower: 1, upper: 25)
}

/// LRP deep supervision ("LDS", the authors' `HiddenLayerPenalization`): the heatmap loss is also taken
/// on the relevance at the model's supervised hidden layers (DenseNet: each transition's ReLU and the
/// final ReLU), with masks resized to each layer, every layer with its own C1/C2. The per-layer losses,
/// input layer included, are pooled by GWRP over the layers sorted descending. The hidden maps come
/// from the same backward pass as the input map, so the cost stays flat in K.
public struct DeepSupervisionConfiguration: Codable, Sendable, Equatable {
  /// dLoss: GWRP decay over the layers' losses (1 = their mean, the authors' Lightning default).
  public var layerDecay: Double
  /// C1/C2 of each supervised hidden layer, input side first; cut tuning fills them. Empty: the
  /// untuned 1 and 25 for every layer.
  public var hiddenCuts: [ForegroundCuts]

  public init(layerDecay: Double = 1, hiddenCuts: [ForegroundCuts] = []) {
    self.layerDecay = layerDecay
    self.hiddenCuts = hiddenCuts
  }

  /// The heatmap loss pooled over the input layer's loss `inputLoss` and the losses of `hiddenMaps`
  /// (each [B, K', C_l, h_l, w_l]), with `base`'s settings and each layer's own cuts.
  func pooledLoss(inputLoss: Tensor, hiddenMaps: [Tensor], masks: Tensor, base: HeatmapLossConfiguration) throws -> Tensor {
    guard (0...1).contains(layerDecay) else {
      throw EngineError.invalidConfiguration("the deep-supervision layer decay must lie in [0, 1], not \(layerDecay)")
    }
    guard hiddenCuts.isEmpty || hiddenCuts.count == hiddenMaps.count else {
      throw EngineError.invalidConfiguration(
        "deep supervision has cuts for \(hiddenCuts.count) hidden layers, the model supervises \(hiddenMaps.count)")
    }
    let layerLosses = try hiddenMaps.enumerated().map { layer, maps in
      let cuts = hiddenCuts.isEmpty ? .untuned : hiddenCuts[layer]
      var configuration = base
      configuration.lowerCut = cuts.lower
      configuration.upperCut = cuts.upper
      return try HeatmapLoss(configuration)(heatmaps: maps, masks: masks)
    }
    return try GWRP(decay: layerDecay)(Tensor.stack([inputLoss] + layerLosses, dim: 0))
  }
}
