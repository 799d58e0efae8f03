import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a small seedable generator whose output depends on the seed
/// alone, so a phantom drawn from a seed is the same on every run and every machine with the same build.
///
/// The conversions to `Double` are defined here rather than taken from the standard library
/// (`Double.random(in:using:)`), whose algorithm is free to change between Swift releases.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator that starts from `seed`.
  public init(seed: UInt64) {
    state = seed
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return Self.finalize(state)
  }

  /// SplitMix64's output function: a bijective mix of 64 bits.
  static func finalize(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A seed derived from `values` (order matters): the way one dataset seed fans out into one seed per
  /// split, sample and purpose without the streams overlapping in practice.
  public static func derive(_ values: UInt64...) -> UInt64 {
    derive(values)
  }

  /// A seed derived from `values` (order matters).
  public static func derive(_ values: [UInt64]) -> UInt64 {
    var hash: UInt64 = 0x6A09_E667_F3BC_C908
    for value in values {
      hash = finalize(hash ^ finalize(value &+ 0x9E37_79B9_7F4A_7C15))
    }
    return hash
  }

  /// A stable 64-bit code of a short purpose name, for ``derive(_:)-(UInt64...)``.
  static func code(_ name: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
  }

  /// Uniform in [0, 1), 53 random bits.
  mutating func unit() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// Uniform in `range`.
  mutating func uniform(_ range: ClosedRange<Double>) -> Double {
    range.lowerBound + unit() * (range.upperBound - range.lowerBound)
  }

  /// Uniform integer in `range`.
  mutating func integer(_ range: ClosedRange<Int>) -> Int {
    let span = UInt64(range.upperBound - range.lowerBound) + 1
    return range.lowerBound + Int(next().multipliedFullWidth(by: span).high)
  }

  /// True with probability `probability`.
  mutating func chance(_ probability: Double) -> Bool {
    unit() < probability
  }

  /// A standard normal deviate (Box-Muller, one of the pair).
  mutating func normal() -> Double {
    let u = 1 - unit()  // (0, 1]
    let v = unit()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }

  /// A normal deviate with `mean` and standard deviation `deviation`.
  mutating func normal(mean: Double, deviation: Double) -> Double {
    mean + deviation * normal()
  }

  /// One element of a non-empty array.
  mutating func pick<Element>(_ elements: [Element]) -> Element {
    elements[integer(0...(elements.count - 1))]
  }
}
