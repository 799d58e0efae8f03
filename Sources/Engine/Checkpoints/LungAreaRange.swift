/// The lung area of a segmenter's training masks, as fractions of their images' areas, recorded in its
/// checkpoint so masks it makes later can be compared with what it learned from.
public struct LungAreaRange: Codable, Sendable, Equatable {
  /// The smallest lung fraction of a training mask.
  public var minimum: Double
  /// The largest lung fraction of a training mask.
  public var maximum: Double
  /// The mean lung fraction.
  public var mean: Double
  /// Number of masks measured.
  public var count: Int

  /// A range from its values.
  public init(minimum: Double, maximum: Double, mean: Double, count: Int) {
    self.minimum = minimum
    self.maximum = maximum
    self.mean = mean
    self.count = count
  }

  /// The range of `fractions`; nil when there are none.
  public init?(fractions: [Double]) {
    guard let low = fractions.min(), let high = fractions.max() else { return nil }
    self.init(minimum: low, maximum: high, mean: fractions.reduce(0, +) / Double(fractions.count), count: fractions.count)
  }

  /// What a frontal chest radiograph's lungs cover when a checkpoint records no range: 5 % to 45 % of
  /// the image (typical adult PA films: 15 % to 35 %).
  public static let chestDefault = LungAreaRange(minimum: 0.05, maximum: 0.45, mean: 0.25, count: 0)
}
