internal import CTorch

extension Tensor {
  public func reshaped(_ shape: [Int]) throws(TorchError) -> Tensor {
    try withDims(shape) { dims, rank throws(TorchError) in try makeTensor { ctorch_reshape(handle, dims, rank, $0) } }
  }
  public func permuted(_ order: [Int]) throws(TorchError) -> Tensor {
    try withDims(order) { dims, rank throws(TorchError) in try makeTensor { ctorch_permute(handle, dims, rank, $0) } }
  }
  public func transposed(_ dim0: Int, _ dim1: Int) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_transpose(handle, Int64(dim0), Int64(dim1), $0) }
  }
  /// Broadcasts size-1 dimensions to `shape` without copying.
  public func expanded(_ shape: [Int]) throws(TorchError) -> Tensor {
    try withDims(shape) { dims, rank throws(TorchError) in try makeTensor { ctorch_expand(handle, dims, rank, $0) } }
  }
  public func repeated(_ repeats: [Int]) throws(TorchError) -> Tensor {
    try withDims(repeats) { dims, rank throws(TorchError) in try makeTensor { ctorch_repeat(handle, dims, rank, $0) } }
  }
  public func unsqueezed(_ dim: Int) throws(TorchError) -> Tensor { try makeTensor { ctorch_unsqueeze(handle, Int64(dim), $0) } }
  public func squeezed(_ dim: Int) throws(TorchError) -> Tensor { try makeTensor { ctorch_squeeze_dim(handle, Int64(dim), $0) } }
  public func flipped(_ dims: [Int]) throws(TorchError) -> Tensor {
    try withDims(dims) { values, count throws(TorchError) in try makeTensor { ctorch_flip(handle, values, count, $0) } }
  }
  /// `length` entries of `dim` starting at `start` (a view).
  public func narrowed(dim: Int, start: Int, length: Int) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
  }
  public func indexSelect(dim: Int, index: Tensor) throws(TorchError) -> Tensor {
    try withExtendedLifetime(index) { () throws(TorchError) -> Tensor in
      try makeTensor { ctorch_index_select(handle, Int64(dim), index.handle, $0) }
    }
  }
  public func gather(dim: Int, index: Tensor) throws(TorchError) -> Tensor {
    try withExtendedLifetime(index) { () throws(TorchError) -> Tensor in
      try makeTensor { ctorch_gather(handle, Int64(dim), index.handle, $0) }
    }
  }
  /// int64 class indices to a one-hot int64 tensor with `classes` columns.
  public func oneHot(classes: Int) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_one_hot(handle, Int64(classes), $0) }
  }
  /// Pads the last dimensions with a constant: (left, right, top, bottom, ...), as torch.nn.functional.pad.
  public func padded(_ pad: [Int], value: Double = 0) throws(TorchError) -> Tensor {
    try withDims(pad) { values, count throws(TorchError) in try makeTensor { ctorch_constant_pad(handle, values, count, value, $0) } }
  }

  public static func cat(_ tensors: [Tensor], dim: Int) throws(TorchError) -> Tensor {
    try joined(tensors, dim: dim, ctorch_cat)
  }
  public static func stack(_ tensors: [Tensor], dim: Int) throws(TorchError) -> Tensor {
    try joined(tensors, dim: dim, ctorch_stack)
  }

  private static func joined(
    _ tensors: [Tensor], dim: Int,
    _ bridge: (UnsafePointer<OpaquePointer?>?, Int64, Int64, UnsafeMutablePointer<CTorchStatus>?) -> OpaquePointer?
  ) throws(TorchError) -> Tensor {
    let handles: [OpaquePointer?] = tensors.map(\.handle)
    return try withExtendedLifetime(tensors) { () throws(TorchError) -> Tensor in
      try makeTensor { status in handles.withUnsafeBufferPointer { bridge($0.baseAddress, Int64($0.count), Int64(dim), status) } }
    }
  }
}
