import Foundation

/// One limit of a shortcut check and how it was set: the `quantile` of a measurement over `images`
/// correctly classified calibration images (`calibrated`), kept within 0 and a fixed `ceiling`; that
/// `value` is what the check compares with.
///
/// The ceiling is what the quantile cannot learn: a model that uses a shortcut on every calibration
/// image (a classifier trained on marker-biased data, validated on the same bias) has a high share on
/// all of them, and a quantile of its own shares would call that normal.
public struct CalibratedLimit: Codable, Sendable, Equatable {
  public var quantile: Double
  public var images: Int
  public var calibrated: Double
  public var ceiling: Double
  public var value: Double

  public init(quantile: Double, images: Int, calibrated: Double, ceiling: Double) {
    self.quantile = quantile
    self.images = images
    self.calibrated = calibrated
    self.ceiling = ceiling
    value = Self.value(calibrated: calibrated, ceiling: ceiling)
  }

  static func value(calibrated: Double, ceiling: Double) -> Double { Swift.min(Swift.max(calibrated, 0), ceiling) }

  /// Whether every field is finite and in range, and `value` is `calibrated` kept within 0 and `ceiling`.
  var isConsistent: Bool {
    [quantile, calibrated, ceiling, value].allSatisfy(\.isFinite) && quantile > 0 && quantile <= 1 && images > 0
      && ceiling >= 0 && value == Self.value(calibrated: calibrated, ceiling: ceiling)
  }
}

/// The data the limits were calibrated on, and how the bundle did on it.
public struct CalibrationData: Codable, Sendable, Equatable {
  /// Which images: "correctly classified validation images with a plausible lung mask".
  public var description: String
  /// SHA-256 over the calibration files' names, labels and contents.
  public var fingerprint: String
  /// Images in the calibration folder.
  public var images: Int
  /// Images the pipeline screened with a plausible lung mask (the rest: not screened, failed or not
  /// assessable).
  public var assessed: Int
  /// Of those, the correctly classified ones: the images the limits come from.
  public var used: Int
  /// Accuracy and macro F1 of the whole pipeline on the assessed images.
  public var accuracy: Double
  public var macroF1: Double
  /// The share of the used images that either check flags with the limits set: each check's quantile
  /// leaves some out, and two checks leave out up to twice as many.
  public var flaggedWhenCorrect: Double
}

/// The limits of both shortcut checks, stored in a bundle (``BundleManifest/shortcutChecks``).
public struct ShortcutCalibration: Codable, Sendable, Equatable {
  /// The background share Σ|R|·(1−M)/Σ|R| above which the relevance check fires.
  public var backgroundShare: CalibratedLimit
  /// The drop of the predicted class's probability, when the background is removed, above which the
  /// background-removal check fires.
  public var confidenceDrop: CalibratedLimit
  /// The margin by which another class wins once the background is removed (``BackgroundRemoval/switchMargin``)
  /// above which the background-removal check fires: a changed prediction, beyond the flips between
  /// near-equal classes that removing any part of the image causes on correctly classified images.
  public var predictionSwitch: CalibratedLimit
  /// The model-input value that replaces the background for the removal check.
  public var backgroundRemovalFill: Float
  public var data: CalibrationData
}

/// The two independent checks that set `shortcut_suspected`.
public enum ShortcutCheck: String, Codable, Sendable, CaseIterable {
  /// Too much of the heatmap's relevance lies outside the dilated lung mask.
  case backgroundRelevance = "background_relevance"
  /// Removing everything outside the dilated lung mask changes the prediction (by more than the
  /// calibrated margin) or drops its confidence by more than the limit. Catches what relevance misses: a shortcut that works by
  /// switching units off carries little relevance.
  case backgroundRemoval = "background_removal"
}

/// The shortcut verdict of one assessable image.
public struct ShortcutVerdict: Sendable, Equatable {
  /// The checks that fired, in ``ShortcutCheck`` order; empty when none did.
  public let fired: [ShortcutCheck]
  public var suspected: Bool { !fired.isEmpty }
}

/// Judges analysed images against a bundle's limits and explains the verdict in one sentence.
public struct ShortcutChecks: Sendable {
  public let calibration: ShortcutCalibration
  public let classNames: [String]

  public init(calibration: ShortcutCalibration, classNames: [String]) {
    self.calibration = calibration
    self.classNames = classNames
  }

  /// nil when the analysis is not assessable (implausible lung mask): no check can be made.
  public func verdict(for analysis: Analysis) -> ShortcutVerdict? {
    guard let share = analysis.backgroundShare, let removal = analysis.backgroundRemoval else { return nil }
    var fired: [ShortcutCheck] = []
    if share > calibration.backgroundShare.value { fired.append(.backgroundRelevance) }
    if removal.switchMargin > calibration.predictionSwitch.value || removal.confidenceDrop > calibration.confidenceDrop.value {
      fired.append(.backgroundRemoval)
    }
    return ShortcutVerdict(fired: fired)
  }

  /// One sentence a radiographer understands: what the checks saw and what it means.
  public func explanation(for analysis: Analysis) -> String {
    guard let verdict = verdict(for: analysis), let share = analysis.backgroundShare,
      let removal = analysis.backgroundRemoval
    else {
      let reasons = analysis.segmentation.reasons.map { $0.sentence.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
      return "The lung outline found in this image is not plausible (\(reasons.joined(separator: "; "))), so whether the prediction rests on the lungs could not be checked."
    }
    let sharePercent = Self.percent(share)
    let limitPercent = Self.percent(calibration.backgroundShare.value)
    let original = analysis.classification
    let removalSentence = removal.switchMargin > calibration.predictionSwitch.value
      ? "the prediction changes from \(classNames[original.predicted]) to \(classNames[removal.classification.predicted]) when everything outside the lungs is removed"
      : String(format: "the model's confidence in %@ falls from %.2f to %.2f when everything outside the lungs is removed",
               classNames[original.predicted], original.confidence, original.confidence - removal.confidenceDrop)
    switch (verdict.fired.contains(.backgroundRelevance), verdict.fired.contains(.backgroundRemoval)) {
    case (false, false):
      return "The model's evidence lies mainly in the lungs (\(sharePercent) outside, limit \(limitPercent)), and removing everything outside the lungs does not change its answer."
    case (true, false):
      return "\(sharePercent) of the model's evidence lies outside the lungs (limit \(limitPercent)): the prediction may rest on markers, text or borders rather than on the lungs."
    case (false, true):
      return "Although most of the model's evidence lies in the lungs (\(sharePercent) outside), \(removalSentence): the prediction may rest on markers, text or borders rather than on the lungs."
    case (true, true):
      return "\(sharePercent) of the model's evidence lies outside the lungs (limit \(limitPercent)) and \(removalSentence): the prediction likely rests on markers, text or borders rather than on the lungs."
    }
  }

  static func percent(_ fraction: Double) -> String { String(format: "%.0f%%", fraction * 100) }
}
