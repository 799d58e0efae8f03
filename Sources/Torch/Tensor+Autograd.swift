internal import CTorch

extension Tensor {
  /// Whether autograd records operations on this tensor (a leaf parameter or an input of interest).
  public var requiresGradient: Bool { ctorch_requires_grad(handle) }

  /// Marks a leaf tensor as requiring gradients; returns self for chaining.
  @discardableResult
  public func requiringGradient(_ requires: Bool = true) throws(TorchError) -> Tensor {
    try withTorchStatus { ctorch_set_requires_grad(handle, requires, $0) }
    return self
  }

  /// The gradient accumulated by `backward()`, if any.
  public var gradient: Tensor? {
    ctorch_grad(handle).map { Tensor(owning: $0) }
  }

  /// Drops the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`).
  public func clearGradient() {
    ctorch_clear_grad(handle)
  }

  /// The same data, cut from the autograd graph.
  public func detached() throws(TorchError) -> Tensor { try apply(ctorch_detach) }

  /// Accumulates d(self)/d(leaf) into every leaf's `gradient`. `self` must be a scalar unless a seed
  /// gradient is given.
  public func backward(seed: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws(TorchError) {
    try withExtendedLifetime(seed) { () throws(TorchError) in
      try withTorchStatus { ctorch_backward(handle, seed?.handle, retainGraph, createGraph, $0) }
    }
  }
}

/// torch.autograd.grad: the gradients of `outputs` (seeded with `seeds`, default ones) with respect to
/// `inputs`. With `createGraph` the result is itself differentiable (double backward). An input that
/// does not influence the outputs yields nil when `allowUnused` is true.
public func gradients(
  of outputs: [Tensor], with seeds: [Tensor?]? = nil, wrt inputs: [Tensor],
  retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false
) throws(TorchError) -> [Tensor?] {
  if let seeds, seeds.count != outputs.count {
    throw .invalidArgument("\(seeds.count) seeds for \(outputs.count) outputs")
  }
  let outputHandles: [OpaquePointer?] = outputs.map(\.handle)
  let inputHandles: [OpaquePointer?] = inputs.map(\.handle)
  let seedHandles: [OpaquePointer?]? = seeds?.map { $0?.handle }
  var results = [OpaquePointer?](repeating: nil, count: inputs.count)
  try withExtendedLifetime((outputs, inputs, seeds)) { () throws(TorchError) in
    try withTorchStatus { status in
      outputHandles.withUnsafeBufferPointer { outs in
        inputHandles.withUnsafeBufferPointer { ins in
          results.withUnsafeMutableBufferPointer { res in
            if let seedHandles {
              seedHandles.withUnsafeBufferPointer { seeds in
                ctorch_autograd_grad(outs.baseAddress, seeds.baseAddress, Int64(outs.count), ins.baseAddress,
                                     Int64(ins.count), retainGraph ?? createGraph, createGraph, allowUnused,
                                     res.baseAddress, status)
              }
            } else {
              ctorch_autograd_grad(outs.baseAddress, nil, Int64(outs.count), ins.baseAddress, Int64(ins.count),
                                   retainGraph ?? createGraph, createGraph, allowUnused, res.baseAddress, status)
            }
          }
        }
      }
    }
  }
  return results.map { $0.map { Tensor(owning: $0) } }
}

/// The gradient of one scalar output with respect to each input (all inputs must be used).
public func gradients(of output: Tensor, wrt inputs: [Tensor], retainGraph: Bool? = nil,
                      createGraph: Bool = false) throws(TorchError) -> [Tensor] {
  let result = try gradients(of: [output], wrt: inputs, retainGraph: retainGraph, createGraph: createGraph)
  return try result.enumerated().map { (index, gradient) throws(TorchError) -> Tensor in
    guard let gradient else { throw .invalidArgument("input \(index) does not influence the output") }
    return gradient
  }
}

// MARK: - In-place updates (optimisers); call under `Torch.withoutGradient`

extension Tensor {
  /// self += alpha * other
  public func add_(_ other: Tensor, alpha: Double = 1) throws(TorchError) {
    try withExtendedLifetime(other) { () throws(TorchError) in
      try withTorchStatus { ctorch_add_(handle, other.handle, alpha, $0) }
    }
  }
  /// self *= value
  public func mul_(_ value: Double) throws(TorchError) {
    try withTorchStatus { ctorch_mul_scalar_(handle, value, $0) }
  }
  /// self = source (same shape or broadcastable)
  public func copy_(_ source: Tensor) throws(TorchError) {
    try withExtendedLifetime(source) { () throws(TorchError) in
      try withTorchStatus { ctorch_copy_(handle, source.handle, $0) }
    }
  }
  /// self += value * a * b
  public func addcmul_(_ a: Tensor, _ b: Tensor, value: Double) throws(TorchError) {
    try withExtendedLifetime((a, b)) { () throws(TorchError) in
      try withTorchStatus { ctorch_addcmul_(handle, a.handle, b.handle, value, $0) }
    }
  }
  /// self += value * a / b
  public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Double) throws(TorchError) {
    try withExtendedLifetime((a, b)) { () throws(TorchError) in
      try withTorchStatus { ctorch_addcdiv_(handle, a.handle, b.handle, value, $0) }
    }
  }
}
