public import Torch

/// How the foreground term penalises too much relevance inside the mask.
public enum ForegroundPenalty: String, Codable, Sendable, Equatable {
  /// Original ISNet: (max(0, F − C2)/C1)².
  case l2
  /// max(0, F − C2).
  case l1
  /// Faster ISNet: squared up to F = C1 + C2, then (F − C1 − C2) + 1, continuous at the switch.
  case hybrid
}

/// Hyperparameters of the ISNet heatmap loss (the authors' `LRPLossCEValleysGWRP`).
public struct HeatmapLossConfiguration: Codable, Sendable, Equatable {
  /// d: GWRP decay of the background term (0 = max, 1 = mean).
  public var backgroundDecay: Double
  /// E: the background term is log(1 + g/E).
  public var backgroundScale: Double
  /// A: weight of the background term.
  public var backgroundWeight: Double
  /// B: weight of the foreground term.
  public var foregroundWeight: Double
  public var foregroundPenalty: ForegroundPenalty
  /// C1: foreground relevance below C1 is penalised (the "valley" floor).
  public var lowerCut: Double
  /// C2: foreground relevance above C2 is penalised.
  public var upperCut: Double

  /// The authors' RunISNetFlex defaults (d 0.9, E 1, A 1, B 1, C1 1, C2 25) with the Faster ISNet's
  /// hybrid foreground penalty. Tune C1 and C2 with `CutTuner` for a real model.
  public init(backgroundDecay: Double = 0.9, backgroundScale: Double = 1, backgroundWeight: Double = 1,
              foregroundWeight: Double = 1, foregroundPenalty: ForegroundPenalty = .hybrid,
              lowerCut: Double = 1, upperCut: Double = 25) {
    self.backgroundDecay = backgroundDecay
    self.backgroundScale = backgroundScale
    self.backgroundWeight = backgroundWeight
    self.foregroundWeight = foregroundWeight
    self.foregroundPenalty = foregroundPenalty
    self.lowerCut = lowerCut
    self.upperCut = upperCut
  }
}

/// The ISNet heatmap loss for heatmaps H [B, K', C, h, w] and binary masks M [B, 1, h', w'] with
/// 1 = foreground (lungs):
///
///     Hn   = |H| / (Σ|H|·M / ΣM)                      (absRoIMean normalisation)
///     g_c  = GWRP_d(Hn_c ⊙ (1 − M))                   per input channel
///     L_bg = mean_{k,c} log(1 + g/E)
///     F    = Σ|H|·M                                   (raw foreground relevance)
///     L_fg = (max(0, 1 − F/C1))² + right(F)           per `ForegroundPenalty`
///     L    = mean_b (A·L_bg + B·L_fg)
public struct HeatmapLoss: Sendable {
  public let configuration: HeatmapLossConfiguration

  public init(_ configuration: HeatmapLossConfiguration) {
    self.configuration = configuration
  }

  /// The per-sample terms, each [B]: background, foreground, and A·background + B·foreground.
  public func terms(heatmaps: Tensor, masks: Tensor) throws -> (background: Tensor, foreground: Tensor, total: Tensor) {
    guard heatmaps.rank == 5, masks.rank == 4, masks.shape[0] == heatmaps.shape[0] else {
      throw EngineError.invalidInput("heatmaps [B,K,C,h,w] and masks [B,1,h,w] expected, got \(heatmaps.shape) and \(masks.shape)")
    }
    let (height, width) = (heatmaps.shape[3], heatmaps.shape[4])
    let foregroundMask = try fittedMask(masks, height: height, width: width).unsqueezed(1)  // [B,1,1,h,w]
    let background = try 1.0 - foregroundMask
    let magnitude = try finite(heatmaps, foregroundMask: foregroundMask).abs()

    let maskArea = try foregroundMask.expanded(magnitude.shape).sum(dims: [2, 3, 4], keepDims: true)
    let foregroundMean = try (magnitude * foregroundMask).sum(dims: [2, 3, 4], keepDims: true) / (maskArea + 1e-10)
    let normalised = try magnitude / (foregroundMean + 1e-10)
    let backgroundValues = try (normalised * background).reshaped(Array(magnitude.shape.prefix(3)) + [height * width])
    let pooled = try GWRP(decay: configuration.backgroundDecay)(backgroundValues)  // [B,K,C]
    let ratio = try (pooled / (pooled + configuration.backgroundScale)).clamp(max: 1 - 1e-7)
    let backgroundLoss = try (-(1.0 - ratio).log()).mean(dims: [1, 2])

    let foregroundRelevance = try (magnitude * foregroundMask).sum(dims: [2, 3, 4])  // [B,K]
    let foregroundLoss = try foregroundPenalty(foregroundRelevance).mean(dims: [1])

    let total = try backgroundLoss * configuration.backgroundWeight + foregroundLoss * configuration.foregroundWeight
    return (backgroundLoss, foregroundLoss, total)
  }

  /// The loss, averaged over the batch.
  public func callAsFunction(heatmaps: Tensor, masks: Tensor) throws -> Tensor {
    try terms(heatmaps: heatmaps, masks: masks).total.mean()
  }

  func foregroundPenalty(_ relevance: Tensor) throws -> Tensor {
    let (lower, upper) = (configuration.lowerCut, configuration.upperCut)
    let below = try (1.0 - relevance / lower).clamp(min: 0).square()
    let excess = try (relevance - upper).clamp(min: 0)
    switch configuration.foregroundPenalty {
    case .l1:
      return try below + excess
    case .l2:
      return try below + (excess / lower).square()
    case .hybrid:
      // The branch is chosen on the detached value, as in the authors' code.
      let squaredRegion = try relevance.detached().lessOrEqual(Tensor(scalar: Float(lower + upper)).to(relevance.dtype ?? .float32))
      let linear = try relevance - (lower + upper) + 1
      return try below + Tensor.where(squaredRegion, (excess / lower).square(), linear)
    }
  }

  /// Resizes masks to the heatmap size when they differ (area average, then any foreground → 1),
  /// and checks they are binary.
  func fittedMask(_ masks: Tensor, height: Int, width: Int) throws -> Tensor {
    let dtype = masks.dtype ?? .float32
    let binary = try masks.equal(0).to(dtype) + masks.equal(1).to(dtype)
    guard try binary.min().item() == 1 else { throw EngineError.invalidInput("masks must be binary (0 background, 1 lungs)") }
    guard masks.shape[2] != height || masks.shape[3] != width else { return masks }
    return try masks.adaptiveAvgPool2d(Size2(height, width)).greater(0).to(dtype)
  }

  /// Replaces NaN by the mean finite foreground value and ±∞ by the finite maximum and minimum.
  func finite(_ heatmaps: Tensor, foregroundMask: Tensor) throws -> Tensor {
    let dtype = heatmaps.dtype ?? .float32
    let nonFinite = try heatmaps.isNaN().to(dtype) + heatmaps.isInfinite().to(dtype)
    guard try nonFinite.sum().item() > 0 else { return heatmaps }
    let finiteMask = try nonFinite.equal(0)
    let largest = Double(Float.greatestFiniteMagnitude)
    let weights = try foregroundMask.expanded(heatmaps.shape) * finiteMask.to(dtype)
    let foregroundMean = try (Tensor.where(finiteMask, heatmaps, Tensor.zeros([], dtype: dtype)) * weights).sum()
      / (weights.sum() + 1e-10)
    let maximum = try Tensor.where(finiteMask, heatmaps, Tensor.full([], value: -largest, dtype: dtype)).max().item()
    let minimum = try Tensor.where(finiteMask, heatmaps, Tensor.full([], value: largest, dtype: dtype)).min().item()
    return try Tensor.where(heatmaps.isNaN(), foregroundMean.detached(), heatmaps)
      .nanToNum(nan: 0, positiveInfinity: maximum, negativeInfinity: minimum)
  }
}
