public import Torch

/// Which quantity an ISNet penalises the heatmap of; `plain` trains with cross-entropy alone.
public enum Variant: String, Codable, Sendable, CaseIterable {
  case plain
  /// Original ISNet (Nature Communications 2024): one heatmap per class; cost grows with K.
  case original
  /// Selective ISNet: one heatmap of η of the lowest logit; cost independent of K.
  case selective
  /// Stochastic ISNet: one heatmap of the top logit or a random other class; cost independent of K.
  case stochastic
}

/// The training objective: (1 − P)·cross-entropy + P·heatmap loss for ISNets, cross-entropy alone
/// for the plain classifier; plus λ·background invariance when asked for.
public struct ObjectiveConfiguration: Codable, Sendable, Equatable {
  public var variant: Variant
  /// P: weight of the heatmap loss.
  public var heatmapWeight: Double
  public var relevance: RelevanceSettings
  /// εs of the Selective ISNet's η.
  public var selectiveEpsilon: Double
  public var loss: HeatmapLossConfiguration
  /// LRP deep supervision: the heatmap loss also at hidden layers; nil penalises the input map only.
  public var deepSupervision: DeepSupervisionConfiguration?
  /// λ of the background-invariance term: the mean squared difference between the logits of each
  /// image and of its lungs on another background (`invarianceBackground`).
  /// It penalises what a background marker does to the output, whichever path it takes, where the
  /// heatmap loss sees only the relevance the marker's pixels receive. nil: no such term.
  public var backgroundInvariance: Double?
  /// What the invariance term puts outside each image's lung mask; nil is `.blank` (the only choice
  /// before this setting existed).
  public var invarianceBackground: InvarianceBackground?

  public init(variant: Variant, heatmapWeight: Double = 0.7, relevance: RelevanceSettings = RelevanceSettings(),
              selectiveEpsilon: Double = 0.01, loss: HeatmapLossConfiguration = HeatmapLossConfiguration(),
              deepSupervision: DeepSupervisionConfiguration? = nil, backgroundInvariance: Double? = nil) {
    self.variant = variant
    self.heatmapWeight = heatmapWeight
    self.relevance = relevance
    self.selectiveEpsilon = selectiveEpsilon
    self.loss = loss
    self.deepSupervision = deepSupervision
    self.backgroundInvariance = backgroundInvariance
  }
}

/// The background the invariance term gives each image's lungs instead of its own.
public enum InvarianceBackground: String, Codable, Sendable, CaseIterable {
  /// Everything outside the lung mask set to 0, the padding value: an empty background no training
  /// image has.
  case blank
  /// Everything outside the lung mask taken from the next image of the batch (the last from the
  /// first): a background like the training images', with another image's markers.
  case swapped
}

/// The values of one evaluation of the objective, for progress output and validation.
public struct LossValues: Sendable, Equatable, Codable {
  public var total: Double
  public var crossEntropy: Double
  /// Heatmap loss (pooled over the layers under deep supervision) and the input map's terms; nil for
  /// the plain classifier.
  public var heatmap: Double?
  public var background: Double?
  public var foreground: Double?
  /// The background-invariance term before its weight; nil without one.
  public var backgroundInvariance: Double?
}

/// A batch ready for the model: images [B, C, H, W] in [0, 1], masks [B, 1, H, W] (1 = lungs),
/// int64 labels [B].
public struct Batch {
  public let images: Tensor
  public let masks: Tensor
  public let labels: Tensor
  public let labelValues: [Int]

  public init(images: Tensor, masks: Tensor, labels: [Int]) throws {
    self.images = images
    self.masks = masks
    self.labels = try Tensor(labels.map(Int64.init), shape: [labels.count])
    labelValues = labels
  }
}

/// The result of running the objective on one batch.
public struct ObjectiveOutput {
  public var loss: Tensor
  public let logits: Tensor
  /// Heatmaps of the explained quantity (ISNets only), [B, K', C, H, W].
  public let heatmaps: Heatmaps?
  public var values: LossValues
}

/// Evaluates the ISNet objective on a batch.
public struct Objective {
  public let configuration: ObjectiveConfiguration

  public init(_ configuration: ObjectiveConfiguration) {
    self.configuration = configuration
  }

  /// The explanation an ISNet variant penalises for a batch of `batchSize` (nil for `plain`).
  public func explanation(batchSize: Int, classCount: Int, using generator: inout some RandomNumberGenerator) -> Explanation? {
    switch configuration.variant {
    case .plain: nil
    case .original: .everyClass
    case .selective: .selective(epsilon: configuration.selectiveEpsilon)
    case .stochastic: .stochastic((0..<batchSize).map { _ in StochasticPick.draw(classCount: classCount, using: &generator) })
    }
  }

  /// The objective on `batch`. With `training`, BatchNorm uses batch statistics (running ones when
  /// `frozenBatchNorm`) and the heatmap keeps its graph, so `loss.backward()` reaches the weights
  /// through the heatmap (double backward).
  public func evaluate(model: some Classifier, batch: Batch, training: Bool, frozenBatchNorm: Bool = false,
                       using generator: inout some RandomNumberGenerator) throws -> ObjectiveOutput {
    let mode = ForwardMode(training: training, frozenBatchNorm: frozenBatchNorm)
    var output = try heatmapObjective(model: model, batch: batch, mode: mode, using: &generator)
    guard let invarianceWeight = configuration.backgroundInvariance else { return output }
    let invariance = try backgroundInvariance(model: model, batch: batch)
    output.loss = try output.loss + invariance * invarianceWeight
    output.values.total = try output.loss.item()
    output.values.backgroundInvariance = try invariance.item()
    return output
  }

  /// Mean over the batch and classes of (z(image) − z(its lungs on the invariance background))², both
  /// through the network as it classifies at inference: BatchNorm with its running statistics, in
  /// training too (the gradient still reaches every weight). With batch statistics the term could be met without
  /// ignoring the marker: a blanked batch normalised by its own statistics partly undoes the blanking,
  /// and a batch mixing both kinds is normalised unlike the images-only batches the cross-entropy sees.
  /// Running statistics still lag the weights while they are updated; with BatchNorm frozen
  /// (`TrainingConfiguration.batchNormFrozenAfterEpoch`) the term and the cross-entropy see one function.
  func backgroundInvariance(model: some Classifier, batch: Batch) throws -> Tensor {
    let count = batch.labelValues.count
    let pair = try Tensor.cat([batch.images, lungsOnInvarianceBackground(batch)], dim: 0)
    let logits = try model.forward(pair, mode: ForwardMode(training: false)).logits
    let difference = try logits.narrowed(dim: 0, start: 0, length: count) - logits.narrowed(dim: 0, start: count, length: count)
    return try difference.square().mean()
  }

  /// Each image of `batch` with everything outside its lung mask replaced as `invarianceBackground` says.
  func lungsOnInvarianceBackground(_ batch: Batch) throws -> Tensor {
    let lungs = try batch.images * batch.masks
    let count = batch.labelValues.count
    switch configuration.invarianceBackground ?? .blank {
    case .blank:
      return lungs
    case .swapped:
      guard count > 1 else { return batch.images }  // no other background: the term is 0
      let next = try Tensor.cat([batch.images.narrowed(dim: 0, start: 1, length: count - 1),
                                 batch.images.narrowed(dim: 0, start: 0, length: 1)], dim: 0)
      return try lungs + next * (1.0 - batch.masks)
    }
  }

  /// Cross-entropy, and for ISNets the heatmap loss, on `batch`.
  private func heatmapObjective(model: some Classifier, batch: Batch, mode: ForwardMode,
                                using generator: inout some RandomNumberGenerator) throws -> ObjectiveOutput {
    guard let explanation = explanation(batchSize: batch.labelValues.count, classCount: model.classCount, using: &generator) else {
      let logits = try model.forward(batch.images, mode: mode).logits
      let crossEntropy = try logits.crossEntropy(targets: batch.labels)
      let value = try crossEntropy.item()
      return ObjectiveOutput(loss: crossEntropy, logits: logits, heatmaps: nil,
                             values: LossValues(total: value, crossEntropy: value))
    }
    let flex = LRPFlex(settings: configuration.relevance)
    let deepSupervision = configuration.deepSupervision
    let heatmaps = try flex.heatmaps(of: model, input: batch.images, explaining: explanation, training: mode.training,
                                     frozenBatchNorm: mode.frozenBatchNorm, createGraph: mode.training,
                                     hiddenLayers: deepSupervision != nil)
    let crossEntropy = try heatmaps.logits.crossEntropy(targets: batch.labels)
    let terms = try HeatmapLoss(configuration.loss).terms(heatmaps: heatmaps.maps, masks: batch.masks)
    var heatmapLoss = try terms.total.mean()
    if let deepSupervision {
      heatmapLoss = try deepSupervision.pooledLoss(inputLoss: heatmapLoss, hiddenMaps: heatmaps.hiddenMaps,
                                                   masks: batch.masks, base: configuration.loss)
    }
    let weight = configuration.heatmapWeight
    let loss = try crossEntropy * (1 - weight) + heatmapLoss * weight
    let values = LossValues(total: try loss.item(), crossEntropy: try crossEntropy.item(), heatmap: try heatmapLoss.item(),
                            background: try terms.background.mean().item(), foreground: try terms.foreground.mean().item())
    return ObjectiveOutput(loss: loss, logits: heatmaps.logits, heatmaps: heatmaps, values: values)
  }
}
