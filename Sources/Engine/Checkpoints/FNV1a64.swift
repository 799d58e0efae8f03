import Foundation

/// FNV-1a, 64 bits: a fast fingerprint for weights files and training data (integrity and
/// traceability, not security).
struct FNV1a64 {
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  mutating func combine(_ bytes: UnsafeRawBufferPointer) {
    for byte in bytes {
      value ^= UInt64(byte)
      value = value &* 0x100_0000_01b3
    }
  }

  mutating func combine<Element>(_ values: [Element]) {
    values.withUnsafeBytes { combine($0) }
  }

  mutating func combine(_ data: Data) {
    data.withUnsafeBytes { combine($0) }
  }

  /// "fnv1a64:" followed by 16 hexadecimal digits.
  var digest: String {
    let hex = String(value, radix: 16)
    return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
  }

  static func digest(of data: Data) -> String {
    var hasher = FNV1a64()
    hasher.combine(data)
    return hasher.digest
  }
}
