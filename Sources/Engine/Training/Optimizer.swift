public import Torch
import Foundation

/// Which optimiser updates the weights, with its hyperparameters.
public enum OptimizerConfiguration: Codable, Sendable, Equatable {
  /// SGD with (heavy-ball) momentum, PyTorch semantics: v ← μv + g; w ← w − lr·v.
  case sgd(learningRate: Double, momentum: Double, weightDecay: Double)
  /// Adam (Kingma & Ba) with bias correction.
  case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double)

  /// The authors' RunISNetFlex defaults: SGD, learning rate 0.01, momentum 0.9.
  public static let isnetDefault = OptimizerConfiguration.sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 0)

  public var learningRate: Double {
    switch self {
    case .sgd(let rate, _, _), .adam(let rate, _, _, _, _): rate
    }
  }

  func make(for parameters: [Tensor]) -> any Optimizer {
    switch self {
    case .sgd(let rate, let momentum, let decay):
      SGD(parameters: parameters, learningRate: rate, momentum: momentum, weightDecay: decay)
    case .adam(let rate, let beta1, let beta2, let epsilon, let decay):
      Adam(parameters: parameters, learningRate: rate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: decay)
    }
  }
}

/// Updates parameters in place from their accumulated gradients.
public protocol Optimizer: AnyObject {
  var parameters: [Tensor] { get }
  /// The step size of the next updates (a schedule changes it between epochs).
  var learningRate: Double { get set }
  /// One update; parameters without a gradient are left alone.
  func step() throws
}

extension Optimizer {
  public func clearGradients() {
    for parameter in parameters { parameter.clearGradient() }
  }

  /// Scales all gradients so their joint L2 norm is at most `maxNorm`; returns the norm before
  /// clipping (torch.nn.utils.clip_grad_norm_).
  @discardableResult
  public func clipGradientNorm(_ maxNorm: Double) throws -> Double {
    try Torch.withoutGradient {
      let gradients = parameters.compactMap(\.gradient)
      guard !gradients.isEmpty else { return 0 }
      let squares = try gradients.map { try $0.square().sum() }
      let norm = try Tensor.stack(squares, dim: 0).sum().item().squareRoot()
      let factor = maxNorm / (norm + 1e-6)
      if factor < 1 {
        for gradient in gradients { try gradient.mul_(factor) }
      }
      return norm
    }
  }
}

public final class SGD: Optimizer {
  public let parameters: [Tensor]
  public var learningRate: Double
  let momentum: Double
  let weightDecay: Double
  private var velocities: [Tensor?]

  public init(parameters: [Tensor], learningRate: Double, momentum: Double = 0, weightDecay: Double = 0) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.weightDecay = weightDecay
    velocities = Array(repeating: nil, count: parameters.count)
  }

  public func step() throws {
    try Torch.withoutGradient {
      for (index, parameter) in parameters.enumerated() {
        guard var gradient = parameter.gradient else { continue }
        if weightDecay != 0 { gradient = try gradient + parameter * weightDecay }
        if momentum != 0 {
          if let velocity = velocities[index] {
            try velocity.mul_(momentum)
            try velocity.add_(gradient)
          } else {
            velocities[index] = try gradient.clone()
          }
          gradient = velocities[index]!
        }
        try parameter.add_(gradient, alpha: -learningRate)
      }
    }
  }
}

public final class Adam: Optimizer {
  public let parameters: [Tensor]
  public var learningRate: Double
  let beta1: Double
  let beta2: Double
  let epsilon: Double
  let weightDecay: Double
  private var moments: [(first: Tensor, second: Tensor)?]
  private var steps = 0

  public init(parameters: [Tensor], learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
              epsilon: Double = 1e-8, weightDecay: Double = 0) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    moments = Array(repeating: nil, count: parameters.count)
  }

  public func step() throws {
    steps += 1
    let firstCorrection = 1 - Foundation.pow(beta1, Double(steps))
    let secondCorrection = 1 - Foundation.pow(beta2, Double(steps))
    try Torch.withoutGradient {
      for (index, parameter) in parameters.enumerated() {
        guard var gradient = parameter.gradient else { continue }
        if weightDecay != 0 { gradient = try gradient + parameter * weightDecay }
        let dtype = parameter.dtype ?? .float32
        let moment = try moments[index] ?? (Tensor.zeros(parameter.shape, dtype: dtype), Tensor.zeros(parameter.shape, dtype: dtype))
        moments[index] = moment
        try moment.first.mul_(beta1)
        try moment.first.add_(gradient, alpha: 1 - beta1)
        try moment.second.mul_(beta2)
        try moment.second.addcmul_(gradient, gradient, value: 1 - beta2)
        let denominator = try (moment.second / secondCorrection).sqrt() + epsilon
        try parameter.addcdiv_(moment.first, denominator, value: -learningRate / firstCorrection)
      }
    }
  }
}
