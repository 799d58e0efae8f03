internal import CTorch

/// Element type of a tensor.
public enum DType: Sendable, Equatable {
  case float32, float64, int64, bool, uint8

  var bridged: CTorchDType {
    switch self {
    case .float32: CTORCH_FLOAT32
    case .float64: CTORCH_FLOAT64
    case .int64: CTORCH_INT64
    case .bool: CTORCH_BOOL
    case .uint8: CTORCH_UINT8
    }
  }

  init?(bridged: CTorchDType) {
    switch bridged {
    case CTORCH_FLOAT32: self = .float32
    case CTORCH_FLOAT64: self = .float64
    case CTORCH_INT64: self = .int64
    case CTORCH_BOOL: self = .bool
    case CTORCH_UINT8: self = .uint8
    default: return nil
    }
  }
}

/// Swift element types that map onto a tensor dtype.
public protocol TensorElement: Sendable {
  static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }

/// A libtorch tensor (CPU, or wherever libtorch placed it). Owns one `at::Tensor` handle and frees it
/// in `deinit`. Operations return new tensors; the few in-place updates are marked with a trailing `_`.
///
/// `@unchecked Sendable`: `at::Tensor` reference counts are atomic and the handle is never mutated
/// after creation; concurrent in-place updates of the same tensor are the caller's responsibility, as
/// in PyTorch.
public final class Tensor: @unchecked Sendable {
  let handle: OpaquePointer

  init(owning handle: OpaquePointer) {
    self.handle = handle
  }

  deinit {
    ctorch_free(handle)
  }

  /// Copies `values` into a new tensor of the given shape.
  public convenience init<Element: TensorElement>(_ values: [Element], shape: [Int]) throws(TorchError) {
    let count = shape.reduce(1, *)
    guard count == values.count else {
      throw .invalidArgument("shape \(shape) holds \(count) elements, \(values.count) given")
    }
    let dims = shape.map(Int64.init)
    let handle = try withTorchStatus { status in
      values.withUnsafeBytes { bytes in
        dims.withUnsafeBufferPointer { ctorch_from_data(bytes.baseAddress, Element.dtype.bridged, $0.baseAddress, Int64(dims.count), status) }
      }
    }
    guard let handle else { throw TorchError(code: .unknown, message: "tensor creation returned nothing") }
    self.init(owning: handle)
  }

  /// A 0-dimensional float32 tensor.
  public convenience init(scalar: Float) throws(TorchError) {
    try self.init([scalar], shape: [])
  }

  public var shape: [Int] {
    let rank = Int(ctorch_ndim(handle))
    var dims = [Int64](repeating: 0, count: rank)
    dims.withUnsafeMutableBufferPointer { ctorch_shape(handle, $0.baseAddress) }
    return dims.map(Int.init)
  }

  public var rank: Int { Int(ctorch_ndim(handle)) }
  public var count: Int { Int(ctorch_numel(handle)) }
  public var dtype: DType? { DType(bridged: ctorch_dtype(handle)) }

  /// The elements in row-major order, converted to `Element`.
  public func values<Element: TensorElement>(as _: Element.Type = Element.self) throws(TorchError) -> [Element] {
    let count = self.count
    var result = [Element](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    try withTorchStatus { status in
      result.withUnsafeMutableBytes { ctorch_copy_out(handle, Element.dtype.bridged, $0.baseAddress, Int64(count), status) }
    }
    return result
  }

  public func floats() throws(TorchError) -> [Float] { try values(as: Float.self) }

  /// The value of a one-element tensor.
  public func item() throws(TorchError) -> Double {
    try withTorchStatus { ctorch_item(handle, $0) }
  }

  public func to(_ dtype: DType) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_to_dtype(handle, dtype.bridged, $0) }
  }

  public func clone() throws(TorchError) -> Tensor { try makeTensor { ctorch_clone(handle, $0) } }
  public func contiguous() throws(TorchError) -> Tensor { try makeTensor { ctorch_contiguous(handle, $0) } }
}

// MARK: - Factories

extension Tensor {
  public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) throws(TorchError) -> Tensor {
    try withDims(shape) { dims, rank throws(TorchError) in try makeTensor { ctorch_full(dims, rank, value, dtype.bridged, $0) } }
  }

  public static func zeros(_ shape: [Int], dtype: DType = .float32) throws(TorchError) -> Tensor {
    try full(shape, value: 0, dtype: dtype)
  }

  public static func ones(_ shape: [Int], dtype: DType = .float32) throws(TorchError) -> Tensor {
    try full(shape, value: 1, dtype: dtype)
  }

  /// Uniform samples in [0, 1) from libtorch's global generator (see `Torch.seed`).
  public static func rand(_ shape: [Int]) throws(TorchError) -> Tensor {
    try withDims(shape) { dims, rank throws(TorchError) in try makeTensor { ctorch_rand(dims, rank, $0) } }
  }

  /// Standard normal samples from libtorch's global generator.
  public static func randn(_ shape: [Int]) throws(TorchError) -> Tensor {
    try withDims(shape) { dims, rank throws(TorchError) in try makeTensor { ctorch_randn(dims, rank, $0) } }
  }

  /// Integers uniform in [low, high), int64.
  public static func randint(_ low: Int, _ high: Int, shape: [Int]) throws(TorchError) -> Tensor {
    try withDims(shape) { dims, rank throws(TorchError) in try makeTensor { ctorch_randint(Int64(low), Int64(high), dims, rank, $0) } }
  }

  /// A random permutation of 0..<n, int64.
  public static func randperm(_ n: Int) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_randperm(Int64(n), $0) }
  }

  public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_arange(start, end, step, dtype.bridged, $0) }
  }
}

/// Lends a shape to a bridge call as an Int64 buffer.
@inline(__always)
func withDims<Result>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int64) throws(TorchError) -> Result) throws(TorchError) -> Result {
  let dims = values.map(Int64.init)
  return try dims.withUnsafeBufferPointer { (buffer) throws(TorchError) -> Result in
    try body(buffer.baseAddress, Int64(buffer.count))
  }
}
