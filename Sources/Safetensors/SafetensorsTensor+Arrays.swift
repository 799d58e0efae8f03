import Foundation

/// Conversions between tensors and Swift arrays for the dtypes checkpoints use: F32, F64 and I64.
/// Floats travel as bit patterns, so NaN payloads and negative zero are kept.
extension SafetensorsTensor {
  /// Makes an F32 tensor; throws `byteLengthMismatch` when `values.count` differs from the element count
  /// of `shape`, `invalidShape` for a negative dimension.
  public init(_ values: [Float], shape: [Int]) throws(SafetensorsError) {
    try self.init(dtype: .f32, values: values, shape: shape, bits: \.bitPattern)
  }

  /// Makes an F64 tensor; throws `byteLengthMismatch` when `values.count` differs from the element count
  /// of `shape`, `invalidShape` for a negative dimension.
  public init(_ values: [Double], shape: [Int]) throws(SafetensorsError) {
    try self.init(dtype: .f64, values: values, shape: shape, bits: \.bitPattern)
  }

  /// Makes an I64 tensor; throws `byteLengthMismatch` when `values.count` differs from the element count
  /// of `shape`, `invalidShape` for a negative dimension.
  public init(_ values: [Int64], shape: [Int]) throws(SafetensorsError) {
    try self.init(dtype: .i64, values: values, shape: shape, bits: { $0 })
  }

  /// The elements of an F32 tensor, row-major; throws `dtypeMismatch` for another dtype.
  public func floats() throws(SafetensorsError) -> [Float] {
    try values(of: .f32) { (bits: UInt32) in Float(bitPattern: bits) }
  }

  /// The elements of an F64 tensor, row-major; throws `dtypeMismatch` for another dtype.
  public func doubles() throws(SafetensorsError) -> [Double] {
    try values(of: .f64) { (bits: UInt64) in Double(bitPattern: bits) }
  }

  /// The elements of an I64 tensor, row-major; throws `dtypeMismatch` for another dtype.
  public func int64s() throws(SafetensorsError) -> [Int64] {
    try values(of: .i64) { (bits: Int64) in bits }
  }

  /// Encodes `values` little-endian; `Bits` has the size and layout of `Element`.
  private init<Element, Bits: FixedWidthInteger>(
    dtype: SafetensorsDType, values: [Element], shape: [Int], bits: (Element) -> Bits
  ) throws(SafetensorsError) {
    precondition(MemoryLayout<Element>.size == MemoryLayout<Bits>.size && dtype.bitSize == Bits.bitWidth)
    let count = try Self.elementCount(of: shape, tensor: nil)
    guard values.count == count else {
      throw SafetensorsError(
        .byteLengthMismatch, "shape \(shape) holds \(count) elements, not the \(values.count) values given")
    }
    #if _endian(little)
    let bytes = values.withUnsafeBytes { Data($0) }
    #else
    var bytes = Data(count: values.count * MemoryLayout<Bits>.size)
    bytes.withUnsafeMutableBytes { raw in
      for (index, value) in values.enumerated() {
        raw.storeBytes(of: bits(value).littleEndian, toByteOffset: index * MemoryLayout<Bits>.size, as: Bits.self)
      }
    }
    #endif
    self.init(validated: dtype, shape: shape, bytes: bytes)
  }

  /// Decodes the little-endian elements of a `dtype` tensor.
  private func values<Element, Bits: FixedWidthInteger>(
    of dtype: SafetensorsDType, _ element: (Bits) -> Element
  ) throws(SafetensorsError) -> [Element] {
    precondition(MemoryLayout<Element>.size == MemoryLayout<Bits>.size && dtype.bitSize == Bits.bitWidth)
    guard self.dtype == dtype else {
      throw SafetensorsError(.dtypeMismatch, "the tensor is \(self.dtype.rawValue), not \(dtype.rawValue)")
    }
    let count = bytes.count / MemoryLayout<Bits>.size
    return bytes.withUnsafeBytes { raw in
      #if _endian(little)
      [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
        initialized = count
      }
      #else
      (0..<count).map { index in
        element(Bits(littleEndian: raw.loadUnaligned(fromByteOffset: index * MemoryLayout<Bits>.size, as: Bits.self)))
      }
      #endif
    }
  }
}
