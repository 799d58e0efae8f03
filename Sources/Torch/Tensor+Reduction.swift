internal import CTorch

typealias DimsReductionBridge = (OpaquePointer?, UnsafePointer<Int64>?, Int64, Bool, UnsafeMutablePointer<CTorchStatus>?) -> OpaquePointer?

extension Tensor {
  func reduce(_ bridge: DimsReductionBridge, _ dims: [Int], keepDims: Bool) throws(TorchError) -> Tensor {
    try withDims(dims) { values, count throws(TorchError) in try makeTensor { bridge(handle, values, count, keepDims, $0) } }
  }

  /// Sum of all elements (0-dimensional).
  public func sum() throws(TorchError) -> Tensor { try apply(ctorch_sum) }
  public func sum(dims: [Int], keepDims: Bool = false) throws(TorchError) -> Tensor {
    try reduce(ctorch_sum_dims, dims, keepDims: keepDims)
  }
  public func mean() throws(TorchError) -> Tensor { try apply(ctorch_mean) }
  public func mean(dims: [Int], keepDims: Bool = false) throws(TorchError) -> Tensor {
    try reduce(ctorch_mean_dims, dims, keepDims: keepDims)
  }
  public func variance(dims: [Int], unbiased: Bool, keepDims: Bool = false) throws(TorchError) -> Tensor {
    try withDims(dims) { values, count throws(TorchError) in
      try makeTensor { ctorch_var_dims(handle, values, count, unbiased, keepDims, $0) }
    }
  }
  public func max() throws(TorchError) -> Tensor { try apply(ctorch_max) }
  public func min() throws(TorchError) -> Tensor { try apply(ctorch_min) }
  public func max(dims: [Int], keepDims: Bool = false) throws(TorchError) -> Tensor {
    try reduce(ctorch_amax_dims, dims, keepDims: keepDims)
  }
  public func min(dims: [Int], keepDims: Bool = false) throws(TorchError) -> Tensor {
    try reduce(ctorch_amin_dims, dims, keepDims: keepDims)
  }
  public func argmax(dim: Int, keepDims: Bool = false) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_argmax(handle, Int64(dim), keepDims, $0) }
  }
  public func argmin(dim: Int, keepDims: Bool = false) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_argmin(handle, Int64(dim), keepDims, $0) }
  }

  /// Sorted values and their int64 indices along `dim`.
  public func sorted(dim: Int, descending: Bool = false) throws(TorchError) -> (values: Tensor, indices: Tensor) {
    var values: OpaquePointer?
    var indices: OpaquePointer?
    try withTorchStatus { ctorch_sort(handle, Int64(dim), descending, &values, &indices, $0) }
    guard let values, let indices else { throw TorchError(code: .unknown, message: "sort returned nothing") }
    return (Tensor(owning: values), Tensor(owning: indices))
  }

  public func softmax(dim: Int) throws(TorchError) -> Tensor { try makeTensor { ctorch_softmax(handle, Int64(dim), $0) } }
  public func logSoftmax(dim: Int) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_log_softmax(handle, Int64(dim), $0) }
  }
  public func cumsum(dim: Int) throws(TorchError) -> Tensor { try makeTensor { ctorch_cumsum(handle, Int64(dim), $0) } }
}
