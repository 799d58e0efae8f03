import Foundation
import Safetensors

/// Tensors and crafted files shared by the tests.
enum Fixtures {
  /// Float bit patterns a lossy path would change: NaNs with payloads (quiet, signalling, negative),
  /// negative zero, infinities, the smallest subnormal, the largest finite value.
  static let floatBits: [UInt32] = [
    0x7FC0_1234, 0x7F80_0001, 0xFFC0_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x0000_0001, 0x7F7F_FFFF,
    0x3FC0_0000, 0xBF80_0000, 0x0000_0000, 0x4049_0FDB,
  ]
  static let doubleBits: [UInt64] = [
    0x7FF8_0000_0000_BEEF, 0x7FF0_0000_0000_0001, 0x8000_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x0000_0000_0000_0001,
    0x4009_21FB_5444_2D18,
  ]
  static let int64s: [Int64] = [.min, .max, -1, 0, 1, 0x0102_0304_0506_0708]

  /// `count` bytes of a fixed pattern, different per `seed`.
  static func pattern(_ count: Int, seed: Int) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ seed &* 17 &+ 7) })
  }

  /// A file with every dtype, empty tensors, scalars, awkward names and metadata.
  static func everything() throws -> SafetensorsFile {
    var file = SafetensorsFile(metadata: [
      "format": "pt", "epoch": "12", "naïve ünïcode": "日本語", "escapes": "quote \" backslash \\ newline \n tab \t bell \u{07}",
    ])
    file["features.denseblock1.denselayer1.conv1.weight"] = try SafetensorsTensor(
      floatBits.map(Float.init(bitPattern:)), shape: [3, 4])
    file["f64"] = try SafetensorsTensor(doubleBits.map(Double.init(bitPattern:)), shape: [2, 3])
    file["i64"] = try SafetensorsTensor(int64s, shape: [6])
    file["scalar.f64"] = try SafetensorsTensor([-0.0], shape: [])
    file["scalar.i8"] = try SafetensorsTensor(dtype: .i8, shape: [], bytes: Data([0x80]))
    file["empty"] = try SafetensorsTensor([Float](), shape: [0])
    file["empty.3d"] = try SafetensorsTensor(dtype: .i64, shape: [3, 0, 2], bytes: Data())
    file["f4"] = try SafetensorsTensor(dtype: .f4, shape: [2, 2], bytes: Data([0x1F, 0xE2]))
    file["f6"] = try SafetensorsTensor(dtype: .f6E3M2, shape: [4], bytes: Data([0xAB, 0xCD, 0xEF]))
    file[""] = try SafetensorsTensor(dtype: .u8, shape: [1], bytes: Data([42]))
    file["naïve/ünïcode \"quoted\" \\ \n"] = try SafetensorsTensor(dtype: .u8, shape: [3], bytes: Data([1, 2, 3]))
    for (index, dtype) in SafetensorsDType.allCases.enumerated() where dtype.bitSize % 8 == 0 {
      let shape = [2, 3]
      file["all.\(dtype.rawValue)"] = try SafetensorsTensor(
        dtype: dtype, shape: shape, bytes: pattern(6 * dtype.bitSize / 8, seed: index))
    }
    return file
  }

  /// A file from a header given as text and the data after it; the header is padded with spaces to a
  /// multiple of 8 and its length declared unless `declaredLength` says otherwise.
  static func crafted(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    crafted(bytes: Array(header.utf8), data: data, declaredLength: declaredLength)
  }

  /// A file from header bytes (possibly not UTF-8) and data.
  static func crafted(bytes header: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    let padded = header + [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var file = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(padded.count)).littleEndian) { file.append(contentsOf: $0) }
    file.append(contentsOf: padded)
    file.append(contentsOf: data)
    return file
  }
}
