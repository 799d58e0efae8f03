import Crypto
import Engine
import Foundation

/// Sets the limits of both shortcut checks from labelled validation images, run through the very
/// pipeline that screens: each limit is the `quantile` of its measurement over the correctly
/// classified images with a plausible lung mask, capped at its ceiling (``CalibratedLimit``).
public struct ShortcutCalibrator: Sendable {
  /// 0.95: about one correctly classified validation image in twenty exceeds each limit.
  public var quantile: Double
  /// Calibration is refused on fewer usable images: a 95th percentile of a handful is noise.
  public var minimumImages: Int
  /// Relevance mostly outside the lungs is suspect whatever the validation set says.
  public var backgroundShareCeiling: Double
  /// Losing more than half of its probability without the background is suspect whatever the
  /// validation set says.
  public var confidenceDropCeiling: Double
  /// Another class winning by more than this without the background is suspect whatever the validation
  /// set says.
  public var predictionSwitchCeiling: Double

  public init(quantile: Double = 0.95, minimumImages: Int = 30, backgroundShareCeiling: Double = 0.5,
              confidenceDropCeiling: Double = 0.5, predictionSwitchCeiling: Double = 0.25) {
    precondition(quantile > 0 && quantile <= 1, "the quantile lies in (0, 1]")
    precondition(minimumImages > 0, "calibration needs at least one image")
    self.quantile = quantile
    self.minimumImages = minimumImages
    self.backgroundShareCeiling = backgroundShareCeiling
    self.confidenceDropCeiling = confidenceDropCeiling
    self.predictionSwitchCeiling = predictionSwitchCeiling
  }

  /// Screens every image of `folder` (class folders named as the model's classes) with `pipeline` and
  /// derives the limits. `progress(done, total)` is called after each batch, and `observe` with each
  /// image and its result (for figures of its own, without screening the folder again).
  public func calibrate(with pipeline: Pipeline, on folder: LabeledFolder, progress: (Int, Int) -> Void = { _, _ in },
                        observe: (LabeledFolder.Item, ScreeningResult) -> Void = { _, _ in }) throws -> ShortcutCalibration {
    guard folder.classNames == pipeline.models.classNames else {
      throw CalibrationError("the calibration folder's classes \(folder.classNames) are not the model's \(pipeline.models.classNames)")
    }
    guard folder.items.count >= minimumImages else {
      throw CalibrationError("\(folder.root) holds \(folder.items.count) images; at least \(minimumImages) correctly classified ones with a plausible lung mask are needed")
    }
    var fingerprint = SHA256()
    var assessed: [(label: Int, analysis: Analysis)] = []
    pipeline.screen(folder, progress: progress) { item, result in
      observe(item, result)
      fingerprint.update(data: Data("\(URL(fileURLWithPath: item.imagePath).lastPathComponent)\t\(item.label)\t\(result.file.sha256 ?? "unreadable")\n".utf8))
      if case .analysed(let analysis) = result.outcome, analysis.isAssessable {
        assessed.append((item.label, analysis))
      }
    }
    let correct = assessed.filter { $0.analysis.classification.predicted == $0.label }.map(\.analysis)
    guard correct.count >= minimumImages else {
      throw CalibrationError("only \(correct.count) of \(folder.items.count) calibration images were classified correctly with a plausible lung mask; at least \(minimumImages) are needed")
    }
    let metrics = ClassificationMetrics(probabilities: assessed.map(\.analysis.classification.probabilities),
                                        labels: assessed.map(\.label), classNames: folder.classNames)
    func limit(_ values: [Double], ceiling: Double) -> CalibratedLimit {
      CalibratedLimit(quantile: quantile, images: values.count, calibrated: Summary.quantile(values.sorted(), quantile),
                      ceiling: ceiling)
    }
    var calibration = ShortcutCalibration(
      backgroundShare: limit(correct.map { $0.backgroundShare! }, ceiling: backgroundShareCeiling),
      confidenceDrop: limit(correct.map { $0.backgroundRemoval!.confidenceDrop }, ceiling: confidenceDropCeiling),
      predictionSwitch: limit(correct.map { $0.backgroundRemoval!.switchMargin }, ceiling: predictionSwitchCeiling),
      backgroundRemovalFill: pipeline.models.backgroundFill,
      data: CalibrationData(
        description: "correctly classified validation images with a plausible lung mask",
        fingerprint: "sha256:" + fingerprint.finalize().hexadecimal,
        images: folder.items.count, assessed: assessed.count, used: correct.count,
        accuracy: metrics.accuracy, macroF1: metrics.macroF1, flaggedWhenCorrect: 0))
    let checks = ShortcutChecks(calibration: calibration, classNames: folder.classNames)
    calibration.data.flaggedWhenCorrect = Double(correct.filter { checks.verdict(for: $0)?.suspected == true }.count) / Double(correct.count)
    return calibration
  }
}

/// Calibration was not possible (too few usable images, classes that do not match).
public struct CalibrationError: Error, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
