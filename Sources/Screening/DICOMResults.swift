import DICOM
import Foundation
import Imaging

/// The optional DICOM outputs of one screened image, placed in the image's own study (its patient and
/// study attributes, a new series each): a Comprehensive SR with the findings, the verdict and the
/// model, referencing the source image, and a Secondary Capture of the report picture. Every code
/// isnetd defines is in the private scheme `99ISNETD` (docs/reports.md lists them).
struct DICOMResults {
  let report: Report
  let metadata: DICOMMetadata
  let sourcePath: String

  static let scheme = "99ISNETD"
  static let ratio = CodedConcept("1", "UCUM", "no units")
  static let seriesDescription = "isnetd screening - NOT FOR CLINICAL USE"

  /// The attributes both objects share besides the copied patient and study ones.
  var common: [Tag: String] {
    [
      .manufacturer: "isnetd", Tag(0x0018, 0x1020): "isnetd \(report.isnetdVersion); model \(report.model.id) \(report.model.version)",
      Tag(0x0020, 0x0013): "1",  // instance number
    ]
  }

  func structuredReport() throws -> Data {
    guard let study = metadata.studyInstanceUID, let series = metadata.seriesInstanceUID, let sopClass = metadata.sopClassUID,
      let sopInstance = metadata.sopInstanceUID
    else {
      throw ScreeningError(.outputFailed, "a DICOM SR needs the source's Study, Series and SOP Instance UIDs and SOP Class UID")
    }
    let object = DerivedObject(sourcePath: sourcePath, seriesInstanceUID: DerivedObject.makeUID(), sopInstanceUID: DerivedObject.makeUID(),
                               attributes: common.merging([Tag(0x0008, 0x103E): Self.seriesDescription, Tag(0x0020, 0x0011): "990"]) { $1 })
    return try object.structuredReport(root: content(sopClass: sopClass, sopInstance: sopInstance),
                                       evidence: (study, series, sopClass, sopInstance))
  }

  func secondaryCapture(_ picture: RGBCanvas) throws -> Data {
    guard let sopClass = metadata.sopClassUID, let sopInstance = metadata.sopInstanceUID else {
      throw ScreeningError(.outputFailed, "a Secondary Capture needs the source's SOP Class and SOP Instance UIDs")
    }
    let object = DerivedObject(
      sourcePath: sourcePath, seriesInstanceUID: DerivedObject.makeUID(), sopInstanceUID: DerivedObject.makeUID(),
      attributes: common.merging([
        .modality: "OT", Tag(0x0008, 0x103E): "isnetd heatmap - NOT FOR CLINICAL USE", Tag(0x0020, 0x0011): "991",
        Tag(0x0008, 0x2111): "LRP relevance of the prediction over the image, lung outline and legend, by isnetd; not for clinical use",
      ]) { $1 })
    return try object.secondaryCapture(rgb: picture.pixels, columns: picture.width, rows: picture.height,
                                       sourceSOPClassUID: sopClass, sourceSOPInstanceUID: sopInstance)
  }

  /// The content tree: notice, algorithm, finding with every class's probability, verdict, the two
  /// checks with their limits, the explanation, and the source image.
  func content(sopClass: String, sopInstance: String) -> SRItem {
    func code(_ value: String, _ meaning: String) -> CodedConcept { CodedConcept(value, Self.scheme, meaning) }
    func number(_ value: String, _ meaning: String, _ number: Double) -> SRItem {
      SRItem(code(value, meaning), .number(String(format: "%.6f", number), unit: Self.ratio))
    }
    var items: [SRItem] = [
      SRItem(CodedConcept("121106", "DCM", "Comment"), .text(report.notice)),
      SRItem(CodedConcept("111001", "DCM", "Algorithm Name"), .text("isnetd Faster ISNet screening")),
      SRItem(CodedConcept("111003", "DCM", "Algorithm Version"),
             .text("isnetd \(report.isnetdVersion), model \(report.model.id) \(report.model.version)")),
    ]
    if let classification = report.classification {
      items.append(SRItem(CodedConcept("121071", "DCM", "Finding"), .code(code(classification.prediction, classification.prediction))))
      items += classification.probabilities.map { number("P-\($0.class)", "Probability of \($0.class)", $0.probability) }
    }
    items.append(SRItem(code("VERDICT", "Screening verdict"), .code(code(report.verdict.rawValue, report.verdict.rawValue))))
    if let suspected = report.shortcutSuspected, let checks = report.shortcutChecks {
      items.append(SRItem(code("SHORTCUT", "Shortcut suspected"),
                          .code(suspected ? CodedConcept("373066001", "SCT", "Yes") : CodedConcept("373067005", "SCT", "No"))))
      items.append(number("BG-SHARE", "Relevance outside the lungs", checks.backgroundRelevance.share))
      items.append(number("BG-SHARE-LIMIT", "Relevance outside the lungs, limit", checks.backgroundRelevance.threshold))
      items.append(number("BG-REMOVAL-DROP", "Confidence drop without the background", checks.backgroundRemoval.confidenceDrop))
      items.append(number("BG-REMOVAL-LIMIT", "Confidence drop without the background, limit", checks.backgroundRemoval.confidenceDropLimit))
      items.append(number("BG-SWITCH", "Margin of another class without the background", checks.backgroundRemoval.switchMargin))
      items.append(number("BG-SWITCH-LIMIT", "Margin of another class without the background, limit",
                          checks.backgroundRemoval.switchMarginLimit))
    }
    items.append(SRItem(code("EXPLANATION", "Explanation"), .text(report.explanation)))
    items.append(SRItem(CodedConcept("121112", "DCM", "Source of Measurement"), .image(sopClassUID: sopClass, sopInstanceUID: sopInstance)))
    return SRItem(CodedConcept("18748-4", "LN", "Diagnostic Imaging Report"), .container(items))
  }
}
