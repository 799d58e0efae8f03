import DICOM
import Foundation
public import Imaging

/// The picture of one screened image: the X-ray windowed for viewing at its own aspect ratio (longest
/// side `longestSide`), the relevance of the predicted class over it (red: evidence for, blue:
/// against), the lung outline in green, and a legend strip below with the prediction, the shortcut
/// checks against their limits, the verdict, the model version and "not for clinical use".
public struct OverlayRenderer: Sendable {
  /// The picture's longer image side in pixels; smaller images are enlarged to it too, so the legend
  /// stays readable.
  public var longestSide: Int
  public var heatmap = HeatmapImage(opacity: 0.6)
  /// The |R| quantile that gets full colour: a few extreme pixels must not wash out the rest.
  public var relevanceScaleQuantile: Float = 0.995

  static let outlineColour: RGBCanvas.Colour = (40, 220, 90)
  static let legendBackground: RGBCanvas.Colour = (24, 24, 24)
  static let textColour: RGBCanvas.Colour = (235, 235, 235)
  static let warningColour: RGBCanvas.Colour = (255, 90, 70)

  public init(longestSide: Int = 1024) {
    precondition(longestSide >= 64, "the picture is at least 64 pixels")
    self.longestSide = longestSide
  }

  /// The picture of `analysis` for `image`, its legend made from `report`.
  public func render(image: PreparedImage, analysis: Analysis, report: Report) -> RGBCanvas {
    let source = image.view
    let scale = Double(longestSide) / Double(Swift.max(source.width, source.height))
    let width = Swift.max(1, Int((Double(source.width) * scale).rounded()))
    let height = Swift.max(1, Int((Double(source.height) * scale).rounded()))

    let view = source.resized(width: width, height: height)
    let grey = GrayImage(width: width, height: height, pixels: view.pixels.map(image.viewWindow.normalize))
    let modelRelevance = analysis.relevance.summed
    let relevance = image.classifierInput.geometry.mapToSource(modelRelevance, width: width, height: height)
    let magnitudes = modelRelevance.pixels.map(Swift.abs).sorted()
    let colourScale = magnitudes[Int(Float(magnitudes.count - 1) * relevanceScaleQuantile)]
    var picture = heatmap.blend(image: grey, heatmap: relevance, scale: colourScale > 0 ? colourScale : nil)
    let outline = analysis.segmentation.mask.sampled(width: width, height: height).outline
    for index in outline.pixels.indices where outline.pixels[index] {
      (picture[index * 3], picture[index * 3 + 1], picture[index * 3 + 2]) = Self.outlineColour
    }

    let lines = legend(report)
    // One text size for the strip: the larger one when every line fits.
    let textScale = lines.allSatisfy { BitmapFont.size(of: $0.text, scale: 2).width + 16 <= width } ? 2 : 1
    let lineHeight = 10 * textScale
    var canvas = RGBCanvas(width: width, height: height + lineHeight * lines.count + 12, background: Self.legendBackground)
    canvas.paste(rgb: picture, width: width, height: height, x: 0, y: 0)
    for (index, line) in lines.enumerated() {
      canvas.text(line.text, x: 8, y: height + 6 + index * lineHeight, scale: textScale, colour: line.colour)
    }
    return canvas
  }

  /// The legend's lines, top first.
  func legend(_ report: Report) -> [(text: String, colour: RGBCanvas.Colour)] {
    var lines: [(String, RGBCanvas.Colour)] = []
    if let classification = report.classification {
      let others = classification.probabilities.filter { $0.class != classification.prediction }
        .map { "\($0.class) \(Self.decimal($0.probability))" }.joined(separator: ", ")
      lines.append(("Prediction: \(classification.prediction) \(Self.decimal(classification.confidence)) (\(others))", Self.textColour))
    }
    if let checks = report.shortcutChecks {
      let relevance = checks.backgroundRelevance
      let removal = checks.backgroundRemoval
      lines.append(("Relevance outside lungs: \(ShortcutChecks.percent(relevance.share)) (limit \(ShortcutChecks.percent(relevance.threshold)))",
                    relevance.fired ? Self.warningColour : Self.textColour))
      lines.append(("Without background: \(removal.prediction), drop \(Self.decimal(removal.confidenceDrop))/\(Self.decimal(removal.confidenceDropLimit)), switch \(Self.decimal(removal.switchMargin))/\(Self.decimal(removal.switchMarginLimit))",
                    removal.fired ? Self.warningColour : Self.textColour))
    }
    switch report.verdict {
    case .screened:
      let suspected = report.shortcutSuspected == true
      let fired = report.shortcutChecks!.checksFired.map { $0 == .backgroundRelevance ? "relevance" : "removal" }
      lines.append((suspected ? "Verdict: SHORTCUT SUSPECTED (\(fired.joined(separator: ", ")))" : "Verdict: screened, no shortcut suspected",
                    suspected ? Self.warningColour : Self.textColour))
    case .notAssessable:
      let reasons = report.lungMask?.reasons.map(\.code.rawValue).joined(separator: ", ") ?? ""
      lines.append(("Verdict: not assessable, lung mask implausible (\(reasons))", Self.warningColour))
    case .notScreened, .error:
      lines.append(("Verdict: \(report.verdict.rawValue) (\(report.problem?.code ?? ""))", Self.warningColour))
    }
    lines.append(("Model \(report.model.id) \(report.model.version)", Self.textColour))
    lines.append(("Red: evidence for, blue: against, green: lungs", Self.textColour))
    lines.append(("Not for clinical use", Self.warningColour))
    return lines
  }

  static func decimal(_ value: Double) -> String { String(format: "%.2f", value) }
}
