public import Foundation

/// One tensor of a safetensors file: its dtype, its shape, and its elements as raw little-endian bytes in
/// row-major (C) order.
///
/// The bytes are never interpreted, so every bit pattern survives a round trip: NaN payloads, negative
/// zero, subnormals. Two tensors are equal when dtype, shape and bytes are.
public struct SafetensorsTensor: Equatable, Sendable {
  /// The element type.
  public let dtype: SafetensorsDType
  /// The dimensions; `[]` is a scalar (one element), a zero dimension makes an empty tensor.
  public let shape: [Int]
  /// The elements, little-endian, row-major; zero-based indices.
  public let bytes: Data

  /// Makes a tensor from raw little-endian bytes.
  ///
  /// Throws `invalidShape` for a negative dimension or an element count that overflows, and
  /// `byteLengthMismatch` when `bytes` does not hold exactly the elements `shape` describes.
  public init(dtype: SafetensorsDType, shape: [Int], bytes: Data) throws(SafetensorsError) {
    let expected = try Self.byteCount(dtype: dtype, shape: shape, tensor: nil)
    guard bytes.count == expected else {
      throw SafetensorsError(
        .byteLengthMismatch,
        "a \(dtype.rawValue) tensor of shape \(shape) holds \(expected) bytes, not \(bytes.count)")
    }
    self.init(validated: dtype, shape: shape, bytes: bytes.startIndex == 0 ? bytes : Data(bytes))
  }

  /// Makes a tensor whose byte count the caller has checked against `shape`.
  init(validated dtype: SafetensorsDType, shape: [Int], bytes: Data) {
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// The number of elements: the product of the shape, 1 for a scalar.
  public var elementCount: Int { shape.reduce(1, *) }

  /// The number of elements `shape` describes; throws `invalidShape` on a negative dimension or overflow.
  static func elementCount(of shape: [Int], tensor: String?) throws(SafetensorsError) -> Int {
    var count = 1
    for dimension in shape {
      guard dimension >= 0 else {
        throw SafetensorsError(
          .invalidShape, "\(describe(tensor)) has shape \(shape) with the negative dimension \(dimension)",
          tensor: tensor)
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow else {
        throw SafetensorsError(
          .invalidShape, "\(describe(tensor)) has shape \(shape), whose element count overflows", tensor: tensor)
      }
      count = product
    }
    return count
  }

  /// The byte count of a `dtype` tensor of `shape`; throws `invalidShape` or `byteLengthMismatch` (sub-byte
  /// dtypes whose elements do not fill whole bytes).
  static func byteCount(dtype: SafetensorsDType, shape: [Int], tensor: String?) throws(SafetensorsError) -> Int {
    let count = try elementCount(of: shape, tensor: tensor)
    guard let bytes = dtype.byteCount(elementCount: count) else {
      if count.multipliedReportingOverflow(by: dtype.bitSize).overflow {
        throw SafetensorsError(
          .invalidShape, "\(describe(tensor)) has shape \(shape), whose byte count overflows", tensor: tensor)
      }
      throw SafetensorsError(
        .byteLengthMismatch,
        "\(describe(tensor)) has \(count) \(dtype.rawValue) elements of \(dtype.bitSize) bits, "
          + "which do not fill whole bytes",
        tensor: tensor)
    }
    return bytes
  }

  /// "tensor `name`", or "a tensor" when the name is not known.
  static func describe(_ tensor: String?) -> String {
    tensor.map { "tensor `\($0)`" } ?? "a tensor"
  }
}
