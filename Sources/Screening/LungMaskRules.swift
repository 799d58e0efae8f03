public import Engine
public import Imaging

/// Why a lung mask is not to be trusted. The raw values are stable, for reports and journald.
public enum ImplausibilityReason: String, Codable, Sendable, CaseIterable {
  case noLungs = "no_lungs"
  case oneLung = "one_lung"
  case areaBelowTrainingRange = "area_below_training_range"
  case areaAboveTrainingRange = "area_above_training_range"
  case lungsNotSideBySide = "lungs_not_side_by_side"
  case fragmented
  case lowConfidence = "low_confidence"

  /// A fixed human sentence for the reason.
  public var sentence: String {
    switch self {
    case .noLungs: "No lungs were found in the image."
    case .oneLung: "Only one lung was found: the second region is missing or much smaller than the first."
    case .areaBelowTrainingRange: "The lung area is far below the range of the segmenter's training masks."
    case .areaAboveTrainingRange: "The lung area is far above the range of the segmenter's training masks."
    case .lungsNotSideBySide: "The two lung regions are not side by side, as they are in a frontal chest view."
    case .fragmented: "A large share of the predicted lung area lies in small scattered regions."
    case .lowConfidence: "The segmenter is unsure of this mask: its probabilities stay far from 0 and 1."
    }
  }
}

/// A cleaned lung mask's measurements and verdict.
public struct LungMaskAssessment: Codable, Sendable, Equatable {
  /// Lung pixels of the cleaned mask.
  public var lungPixels: Int
  /// Lung pixels as a fraction of all pixels.
  public var areaFraction: Double
  /// Areas of the kept regions (at most two), largest first.
  public var lungAreas: [Int]
  /// Share of the thresholded foreground that lay outside the two kept regions.
  public var discardedFraction: Double
  /// Soft Dice between the foreground probabilities and the cleaned mask, 2ΣP·M / (ΣP + ΣM), in
  /// [0, 1]: 1 when the segmenter is certain everywhere and the clean-up removed nothing; 0 without
  /// lungs.
  public var quality: Double
  /// Why the mask is implausible; empty when it is plausible.
  public var reasons: [ImplausibilityReason]

  /// True when no rule fired.
  public var isPlausible: Bool { reasons.isEmpty }
}

/// How a segmenter's probabilities become a lung mask, and when that mask is implausible. Every
/// threshold is a fraction, so the rules mean the same at any resolution.
///
/// Clean-up: threshold the probabilities, keep the two largest 8-connected regions, fill holes (4-connected
/// background regions that do not reach the border). Verdict, each rule adding its reason:
///
/// | reason | when |
/// | --- | --- |
/// | `no_lungs` | the cleaned mask covers less than `minimumLungFraction` of the image |
/// | `one_lung` | there is one region, or the smaller region is under `minimumSecondLungRatio` of the larger |
/// | `area_below_training_range` | area fraction < training minimum x (1 − `areaTolerance`) |
/// | `area_above_training_range` | area fraction > training maximum x (1 + `areaTolerance`) |
/// | `lungs_not_side_by_side` | the two regions' centroids are further apart vertically than horizontally |
/// | `fragmented` | more than `maximumDiscardedFraction` of the thresholded area lay outside the two regions |
/// | `low_confidence` | quality below `minimumQuality` |
public struct LungMaskRules: Codable, Sendable, Equatable {
  /// Probabilities strictly above this are lungs.
  public var threshold: Float
  /// Below this lung fraction of the image: `no_lungs`.
  public var minimumLungFraction: Double
  /// The smaller region under this share of the larger: `one_lung`.
  public var minimumSecondLungRatio: Double
  /// How far outside the training range the area may lie, relative to its ends.
  public var areaTolerance: Double
  /// More of the thresholded area outside the two kept regions: `fragmented`.
  public var maximumDiscardedFraction: Double
  /// Quality below this: `low_confidence`.
  public var minimumQuality: Double

  /// The rules with isnetd's defaults (docs/segmentation.md).
  public init(threshold: Float = 0.5, minimumLungFraction: Double = 0.01, minimumSecondLungRatio: Double = 0.2,
              areaTolerance: Double = 0.5, maximumDiscardedFraction: Double = 0.2, minimumQuality: Double = 0.8) {
    self.threshold = threshold
    self.minimumLungFraction = minimumLungFraction
    self.minimumSecondLungRatio = minimumSecondLungRatio
    self.areaTolerance = areaTolerance
    self.maximumDiscardedFraction = maximumDiscardedFraction
    self.minimumQuality = minimumQuality
  }

  /// The cleaned mask of foreground `probabilities` (one value per pixel, in [0, 1]) and its assessment
  /// against `trainingRange` (``LungAreaRange/chestDefault`` when nil).
  public func clean(probabilities: GrayImage, trainingRange: LungAreaRange?) -> (mask: BinaryMask, assessment: LungMaskAssessment) {
    let raw = BinaryMask(probabilities, above: threshold)
    let labelled = raw.components(connectivity: .eight)
    let kept = labelled.bySize.prefix(2)
    let mask = labelled.mask(keeping: Set(kept.map(\.label))).fillingHoles(connectivity: .eight)

    let rawCount = labelled.components.reduce(0) { $0 + $1.area }
    let keptCount = kept.reduce(0) { $0 + $1.area }
    var overlap = 0.0
    var probabilitySum = 0.0
    var lungPixels = 0
    probabilities.pixels.withUnsafeBufferPointer { values in
      mask.pixels.withUnsafeBufferPointer { lungs in
        for index in 0..<values.count {
          let value = Double(values[index])
          probabilitySum += value
          if lungs[index] {
            overlap += value
            lungPixels += 1
          }
        }
      }
    }
    let denominator = probabilitySum + Double(lungPixels)
    let quality = denominator > 0 ? 2 * overlap / denominator : 0
    var assessment = LungMaskAssessment(
      lungPixels: lungPixels, areaFraction: Double(lungPixels) / Double(mask.pixels.count), lungAreas: kept.map(\.area),
      discardedFraction: rawCount > 0 ? Double(rawCount - keptCount) / Double(rawCount) : 0,
      quality: quality.isFinite ? quality : 0, reasons: [])  // non-finite probabilities count as no confidence
    assessment.reasons = reasons(for: assessment, regions: Array(kept), trainingRange: trainingRange ?? .chestDefault)
    return (mask, assessment)
  }

  /// The rules of the table above, in its order.
  func reasons(for assessment: LungMaskAssessment, regions: [MaskComponent], trainingRange: LungAreaRange) -> [ImplausibilityReason] {
    guard assessment.areaFraction >= minimumLungFraction else { return [.noLungs] }
    var reasons: [ImplausibilityReason] = []
    let twoLungs = regions.count == 2 && Double(regions[1].area) >= minimumSecondLungRatio * Double(regions[0].area)
    if !twoLungs { reasons.append(.oneLung) }
    if assessment.areaFraction < trainingRange.minimum * (1 - areaTolerance) { reasons.append(.areaBelowTrainingRange) }
    if assessment.areaFraction > trainingRange.maximum * (1 + areaTolerance) { reasons.append(.areaAboveTrainingRange) }
    if twoLungs, abs(regions[0].centroidY - regions[1].centroidY) >= abs(regions[0].centroidX - regions[1].centroidX) {
      reasons.append(.lungsNotSideBySide)
    }
    if assessment.discardedFraction > maximumDiscardedFraction { reasons.append(.fragmented) }
    if assessment.quality < minimumQuality { reasons.append(.lowConfidence) }
    return reasons
  }
}
