import Crypto
import Foundation

/// Which part of a site's labelled data an image belongs to, decided by its SOP Instance UID alone:
/// a stable hash, so the validation split never changes as data grows (an image in validation today
/// is in validation after every retrain), and two copies of one instance never straddle the split.
public struct FrozenSplit: Sendable, Equatable {
  public enum Part: String, Sendable, Codable, CaseIterable {
    case train
    case validation
  }

  /// The rule's name, recorded with every retrain; a new rule gets a new name.
  public static let rule = "isnetd-split-v1"

  /// The share of instances in validation, in (0, 1).
  public let validationFraction: Double

  public init(validationFraction: Double = 0.2) throws {
    guard validationFraction.isFinite, validationFraction > 0, validationFraction < 1 else {
      throw SplitError("the validation fraction must lie strictly between 0 and 1, not \(validationFraction)")
    }
    self.validationFraction = validationFraction
  }

  /// The part of the instance `sopInstanceUID`: the first 8 bytes of SHA-256("isnetd-split-v1:" + UID)
  /// as a fraction of 2^64, below `validationFraction` for validation. The prefix versions the rule:
  /// changing it would move images between the parts, which it must never do silently.
  public func part(ofInstance sopInstanceUID: String) -> Part {
    let digest = SHA256.hash(data: Data((Self.rule + ":" + sopInstanceUID).utf8))
    let position = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return Double(position) / 18_446_744_073_709_551_616.0 < validationFraction ? .validation : .train
  }
}

/// A split that cannot be made as asked.
public struct SplitError: Error, Sendable, Equatable, CustomStringConvertible {
  public let description: String

  init(_ description: String) { self.description = description }
}
