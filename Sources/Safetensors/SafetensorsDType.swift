/// The element types of the safetensors format, spelled as in the header (`"F32"`, `"BF16"`, ...).
///
/// The cases are declared in the order of the reference implementation's `Dtype` enum (increasing
/// alignment); writing sorts tensors by that order, descending, then by name, as the reference does.
public enum SafetensorsDType: String, Sendable, CaseIterable {
  /// Boolean, one byte per element (0 or 1).
  case bool = "BOOL"
  /// OCP MX 4-bit float; two elements per byte.
  case f4 = "F4"
  /// OCP MX 6-bit float, E2M3; four elements per three bytes.
  case f6E2M3 = "F6_E2M3"
  /// OCP MX 6-bit float, E3M2; four elements per three bytes.
  case f6E3M2 = "F6_E3M2"
  /// Unsigned 8-bit integer.
  case u8 = "U8"
  /// Signed 8-bit integer.
  case i8 = "I8"
  /// 8-bit float, E5M2.
  case f8E5M2 = "F8_E5M2"
  /// 8-bit float, E4M3.
  case f8E4M3 = "F8_E4M3"
  /// OCP MX 8-bit scale, E8M0.
  case f8E8M0 = "F8_E8M0"
  /// 8-bit float, E4M3, finite with no negative zero.
  case f8E4M3FNUZ = "F8_E4M3FNUZ"
  /// 8-bit float, E5M2, finite with no negative zero.
  case f8E5M2FNUZ = "F8_E5M2FNUZ"
  /// Signed 16-bit integer.
  case i16 = "I16"
  /// Unsigned 16-bit integer.
  case u16 = "U16"
  /// IEEE 754 half precision.
  case f16 = "F16"
  /// bfloat16.
  case bf16 = "BF16"
  /// Signed 32-bit integer.
  case i32 = "I32"
  /// Unsigned 32-bit integer.
  case u32 = "U32"
  /// IEEE 754 single precision.
  case f32 = "F32"
  /// Complex number of two single-precision parts (real, imaginary).
  case c64 = "C64"
  /// IEEE 754 double precision.
  case f64 = "F64"
  /// Signed 64-bit integer.
  case i64 = "I64"
  /// Unsigned 64-bit integer.
  case u64 = "U64"

  /// The size of one element in bits: 4 or 6 for the sub-byte floats, otherwise a multiple of 8.
  public var bitSize: Int {
    switch self {
    case .f4: 4
    case .f6E2M3, .f6E3M2: 6
    case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
    case .i16, .u16, .f16, .bf16: 16
    case .i32, .u32, .f32: 32
    case .c64, .f64, .i64, .u64: 64
    }
  }

  /// The byte count of `elementCount` elements, or nil when it overflows or, for the sub-byte dtypes,
  /// does not fill whole bytes.
  public func byteCount(elementCount: Int) -> Int? {
    let (bits, overflow) = elementCount.multipliedReportingOverflow(by: bitSize)
    guard !overflow, bits % 8 == 0 else { return nil }
    return bits / 8
  }

  /// The position of this dtype in the reference implementation's `Dtype` enum.
  var referenceRank: Int {
    // `allCases` is in declaration order, which is the reference's order.
    Self.allCases.firstIndex(of: self)!
  }
}
