public import Torch

/// Whether a state entry is trained by the optimiser or only carried (BatchNorm statistics).
public enum StateKind: Sendable, Equatable {
  case parameter
  case buffer
}

/// One tensor of a model's state, under its PyTorch state-dict name.
public struct StateEntry {
  public let name: String
  public let tensor: Tensor
  public let kind: StateKind
}

/// A building block that owns parameters and buffers. Names follow PyTorch's state-dict keys
/// (`weight`, `running_mean`, `denselayer1.conv1.weight`), so weights map one-to-one to torchvision's.
public protocol Layer: AnyObject {
  /// Every parameter and buffer, named relative to this layer, in a stable order.
  var state: [StateEntry] { get }
}

extension Layer {
  /// The trainable tensors, in state order.
  public var parameters: [Tensor] { state.filter { $0.kind == .parameter }.map(\.tensor) }

  /// Total number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// The state of `child` with every name prefixed by `prefix.`.
func nested(_ prefix: String, _ child: some Layer) -> [StateEntry] {
  child.state.map { StateEntry(name: "\(prefix).\($0.name)", tensor: $0.tensor, kind: $0.kind) }
}

/// How a forward pass runs.
public struct ForwardMode: Sendable, Equatable {
  /// Training mode: batch statistics in BatchNorm (unless `frozenBatchNorm`), dropout active.
  public var training: Bool
  /// When set, every ReLU is LRP-aware and BatchNorm follows `relevance.batchNorm`, so a relevance
  /// pass can run over this forward graph. Nil runs plain ReLUs (fastest; no heatmap possible).
  public var relevance: RelevanceSettings?
  /// When set, train-mode BatchNorm updates its running statistics with this momentum instead of its
  /// own (``BatchNormRecalibration`` averages batches with 1/k).
  public var batchNormMomentum: Double?
  /// Training with BatchNorm frozen: it normalises with its running statistics, as at inference, and
  /// leaves them as they are, so the function trained is the one that will be used.
  public var frozenBatchNorm: Bool

  public init(training: Bool, relevance: RelevanceSettings? = nil, batchNormMomentum: Double? = nil,
              frozenBatchNorm: Bool = false) {
    self.training = training
    self.relevance = relevance
    self.batchNormMomentum = batchNormMomentum
    self.frozenBatchNorm = frozenBatchNorm
  }

  /// Whether BatchNorm normalises with the statistics of the batch (and updates its running ones).
  public var usesBatchStatistics: Bool { training && !frozenBatchNorm }

  public static let inference = ForwardMode(training: false)
}

/// How train-mode BatchNorm enters the relevance pass.
public enum BatchNormRelevance: String, Sendable, Codable, Equatable {
  /// Batch mean and variance are constants for the relevance pass: BatchNorm acts as the affine map
  /// it applied, as in textbook LRP and the authors' LRP Block. A sample's heatmap gets no relevance
  /// through the other samples of its batch. The default.
  case detachedStatistics = "detached_statistics"
  /// Differentiate through the batch statistics, as the authors' LRP-Flex code does; couples the
  /// samples of a batch (up to 54% of max|R| in the authors' DenseNet at batch 32).
  case throughStatistics = "through_statistics"
}

/// LRP-Flex settings shared by every ReLU of a forward pass.
public struct RelevanceSettings: Sendable, Codable, Equatable {
  /// ε of the LRP-ε rule applied at every ReLU (y/(y+ε) in the backward) and of the z^B stabiliser.
  public var epsilon: Double
  public var batchNorm: BatchNormRelevance

  public init(epsilon: Double = 0.01, batchNorm: BatchNormRelevance = .detachedStatistics) {
    self.epsilon = epsilon
    self.batchNorm = batchNorm
  }
}

/// ReLU as an LRP-aware unit: plain outside relevance mode, LRP-ε (y/(y+ε) backward) inside it.
public func relu(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
  guard let relevance = mode.relevance else { return try input.relu() }
  return try input.lrpReLU(epsilon: relevance.epsilon)
}
