internal import CDCMTK
public import Foundation

/// A coded concept (code value, coding scheme designator, code meaning), as SR content items use them.
public struct CodedConcept: Sendable, Equatable {
  public let value: String
  public let scheme: String
  public let meaning: String

  public init(_ value: String, _ scheme: String, _ meaning: String) {
    self.value = value
    self.scheme = scheme
    self.meaning = meaning
  }
}

/// One content item of a structured report: its relationship to its parent ("CONTAINS"), its concept
/// name and its value.
public struct SRItem: Sendable, Equatable {
  public indirect enum Value: Sendable, Equatable {
    case container([SRItem])
    case text(String)
    case code(CodedConcept)
    /// A decimal string and its unit.
    case number(String, unit: CodedConcept)
    /// A reference to an image: SOP Class and SOP Instance UIDs.
    case image(sopClassUID: String, sopInstanceUID: String)
  }

  public let relationship: String
  public let concept: CodedConcept
  public let value: Value

  public init(_ concept: CodedConcept, _ value: Value, relationship: String = "CONTAINS") {
    self.relationship = relationship
    self.concept = concept
    self.value = value
  }

  var valueType: String {
    switch value {
    case .container: "CONTAINER"
    case .text: "TEXT"
    case .code: "CODE"
    case .number: "NUM"
    case .image: "IMAGE"
    }
  }
}

/// A new DICOM object derived from a source image and placed in its study: the Patient and General
/// Study attributes copied from the source, a new series and instance. Written as a Comprehensive SR
/// (DCMTK's dcmsr) or an RGB Secondary Capture, so results can go back to a PACS beside the image.
public struct DerivedObject: Sendable {
  /// Patient and General Study module attributes copied from the source, so the object files under the
  /// same patient and study.
  public static let copiedTags: [Tag] = [
    Tag(0x0010, 0x0010), Tag(0x0010, 0x0020), Tag(0x0010, 0x0030), Tag(0x0010, 0x0040),  // patient name, ID, birth date, sex
    Tag(0x0020, 0x000D), Tag(0x0008, 0x0020), Tag(0x0008, 0x0030), Tag(0x0008, 0x0090),  // study UID, date, time, referring physician
    Tag(0x0020, 0x0010), Tag(0x0008, 0x0050), Tag(0x0008, 0x1030),  // study ID, accession number, study description
  ]

  public static let comprehensiveSR = "1.2.840.10008.5.1.4.1.1.88.33"
  public static let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"

  /// The source image.
  public let sourcePath: String
  public let seriesInstanceUID: String
  public let sopInstanceUID: String
  /// Attributes of the new object: Series Description, Series Number, Manufacturer, ...
  public let attributes: [Tag: String]

  public init(sourcePath: String, seriesInstanceUID: String, sopInstanceUID: String, attributes: [Tag: String]) {
    self.sourcePath = sourcePath
    self.seriesInstanceUID = seriesInstanceUID
    self.sopInstanceUID = sopInstanceUID
    self.attributes = attributes
  }

  /// A new UID under the 2.25 root (ISO/IEC 9834-8: the decimal form of a random 128-bit number).
  public static func makeUID() -> String {
    "2.25.\(UInt128(UInt64.random(in: 0...UInt64.max)) << 64 | UInt128(UInt64.random(in: 0...UInt64.max)))"
  }

  /// Writes a Comprehensive SR whose content tree is `root` (a container), listing `evidence` (the
  /// source: study, series, SOP class and instance UIDs) as Current Requested Procedure Evidence, and
  /// returns the Part 10 bytes.
  public func structuredReport(root: SRItem, evidence: (study: String, series: String, sopClass: String, sopInstance: String))
    throws(DICOMError) -> Data
  {
    var status = CDcmStatus()
    guard let sr = cdcm_sr_create(&status) else { throw DICOMError(status: status, context: "creating an SR document") }
    defer { cdcm_sr_free(sr) }
    try add(root, to: sr, below: false)
    cdcm_sr_add_evidence(sr, evidence.study, evidence.series, evidence.sopClass, evidence.sopInstance, &status)
    try Self.check(status, "adding the evidence")
    guard let file = cdcm_sr_write(sr, &status) else { throw DICOMError(status: status, context: "writing the SR document") }
    defer { cdcm_close(file) }
    return try finish(file, extra: [:])
  }

  /// Writes an RGB Secondary Capture of `pixels` (`columns` x `rows`, three samples per pixel) that
  /// names the source in its Source Image Sequence, and returns the Part 10 bytes.
  public func secondaryCapture(rgb pixels: [UInt8], columns: Int, rows: Int, sourceSOPClassUID: String,
                               sourceSOPInstanceUID: String) throws(DICOMError) -> Data {
    precondition(pixels.count == columns * rows * 3 && (1...65_535).contains(columns) && (1...65_535).contains(rows),
                 "an RGB picture of at most 65535 x 65535 pixels")
    cdcm_initialize()
    var status = CDcmStatus()
    guard let file = cdcm_create(&status) else { throw DICOMError(status: status, context: "creating a dataset") }
    defer { cdcm_close(file) }
    for (tag, value) in [(Tag.samplesPerPixel, UInt16(3)), (.rows, UInt16(rows)), (.columns, UInt16(columns)), (.bitsAllocated, 8),
                         (.bitsStored, 8), (.highBit, 7), (.pixelRepresentation, 0), (.planarConfiguration, 0)] {
      cdcm_put_uint16(file, tag.group, tag.element, value, &status)
      try Self.check(status, "writing \(tag)")
    }
    let sourceImage = Tag(0x0008, 0x2112)
    for (tag, value) in [(Tag(0x0008, 0x1150), sourceSOPClassUID), (Tag(0x0008, 0x1155), sourceSOPInstanceUID)] {
      cdcm_put_sequence_string(file, sourceImage.group, sourceImage.element, 0, tag.group, tag.element, value, &status)
      try Self.check(status, "writing the Source Image Sequence")
    }
    pixels.withUnsafeBufferPointer { cdcm_put_pixel_data8(file, $0.baseAddress, $0.count, &status) }
    try Self.check(status, "writing Pixel Data")
    return try finish(file, extra: [
      .sopClassUID: Self.secondaryCapture, .photometricInterpretation: "RGB", Tag(0x0008, 0x0064): "WSD",  // conversion type
      Tag(0x0008, 0x0008): "DERIVED\\SECONDARY", Tag(0x0028, 0x0301): "YES",  // image type, burned-in annotation
    ])
  }

  private func add(_ item: SRItem, to sr: OpaquePointer, below: Bool) throws(DICOMError) {
    var status = CDcmStatus()
    cdcm_sr_add_item(sr, item.relationship, item.valueType, below, item.concept.value, item.concept.scheme, item.concept.meaning, &status)
    try Self.check(status, "adding \(item.concept.meaning)")
    switch item.value {
    case .container(let children):
      for (index, child) in children.enumerated() { try add(child, to: sr, below: index == 0) }
      if !children.isEmpty {
        cdcm_sr_go_up(sr, &status)
        try Self.check(status, "closing \(item.concept.meaning)")
      }
    case .text(let text): cdcm_sr_set_text(sr, text, &status)
    case .code(let code): cdcm_sr_set_code(sr, code.value, code.scheme, code.meaning, &status)
    case .number(let value, let unit): cdcm_sr_set_number(sr, value, unit.value, unit.scheme, unit.meaning, &status)
    case .image(let sopClass, let sopInstance): cdcm_sr_set_image(sr, sopClass, sopInstance, &status)
    }
    try Self.check(status, "setting \(item.concept.meaning)")
  }

  /// Copies the source's patient and study attributes, sets the new series and instance and the
  /// attributes, and returns the file's bytes (written by DCMTK in explicit VR little endian).
  private func finish(_ file: OpaquePointer, extra: [Tag: String]) throws(DICOMError) -> Data {
    let source = try DICOMFile(path: sourcePath)
    var status = CDcmStatus()
    for tag in Self.copiedTags {
      cdcm_copy_element(file, source.handle, tag.group, tag.element, &status)
      try Self.check(status, "copying \(tag)")
    }
    let values = attributes.merging(extra) { $1 }.merging([.seriesInstanceUID: seriesInstanceUID, .sopInstanceUID: sopInstanceUID]) { $1 }
    for (tag, value) in values.sorted(by: { ($0.key.group, $0.key.element) < ($1.key.group, $1.key.element) }) {
      cdcm_put_string(file, tag.group, tag.element, value, &status)
      try Self.check(status, "writing \(tag)")
    }
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("isnetd-derived-\(UUID().uuidString).dcm").path
    defer { unlink(temporary) }
    cdcm_save(file, "1.2.840.10008.1.2.1", temporary, &status)
    try Self.check(status, "writing the object")
    guard let bytes = FileManager.default.contents(atPath: temporary) else {
      throw DICOMError(.unreadable, "cannot read back the object written to \(temporary)")
    }
    return bytes
  }

  private static func check(_ status: CDcmStatus, _ context: String) throws(DICOMError) {
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: context) }
  }
}
