internal import CDCMTK
import Durable
import Foundation

/// One DICOM file read by DCMTK (`DcmFileFormat`). Values longer than 4 KiB, the pixel data above
/// all, stay in the file until they are needed, so opening a file and reading its metadata is cheap
/// whatever the image size.
public final class DICOMFile: @unchecked Sendable {
  // @unchecked Sendable: DCMTK reads are not thread-safe on one object (loading a value changes it),
  // so a file is used by one task at a time; nothing else is mutable.
  let handle: OpaquePointer
  /// The path the file was read from.
  public let path: String

  /// DCMTK's version ("3.6.7").
  public static var dcmtkVersion: String { String(cString: cdcm_version()) }

  /// Reads `path`, a regular file with the Part 10 preamble and file meta information. Its element
  /// structure is checked against `limits` before DCMTK parses it.
  public init(path: String, limits: StructureLimits = StructureLimits()) throws(DICOMError) {
    cdcm_initialize()
    let file = try RegularFile.opened(path)
    let findings = try FileStructure.check(file, limits: limits)
    var status = CDcmStatus()
    let handle = cdcm_open(path, &status)
    guard let handle else {
      let error = DICOMError(status: status)
      if let offset = findings.trailingDataOffset, error.code != .notDICOM {
        throw StructureFindings.trailingData(from: offset, size: file.size, detail: error.message)
      }
      throw error
    }
    self.handle = handle
    self.path = path
  }

  deinit {
    cdcm_close(handle)
  }

  /// The dataset, or the file meta information for group 0x0002 tags.
  func elements(for tag: Tag) -> Elements {
    Elements(file: self, item: tag.group == 0x0002 ? cdcm_meta_information(handle) : cdcm_dataset(handle))
  }

  /// The main dataset.
  var dataset: Elements { Elements(file: self, item: cdcm_dataset(handle)) }

  /// The string value of `tag` (all values joined by "\"), or nil when absent.
  public func string(_ tag: Tag) throws(DICOMError) -> String? {
    try elements(for: tag).string(tag)
  }

  /// Value `index` of a numeric attribute, or nil when absent.
  public func number(_ tag: Tag, index: Int = 0) throws(DICOMError) -> Double? {
    try elements(for: tag).number(tag, index: index)
  }

  /// All values of a numeric attribute, or nil when absent or empty.
  public func numbers(_ tag: Tag) throws(DICOMError) -> [Double]? {
    try elements(for: tag).numbers(tag)
  }

  /// Item `index` of the encapsulated Pixel Data (0 is the Basic Offset Table), copied.
  func pixelItem(_ index: Int) throws(DICOMError) -> [UInt8] {
    var status = CDcmStatus()
    var pointer: UnsafePointer<UInt8>?
    let length = cdcm_pixel_item(handle, UInt32(index), &pointer, &status)
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading pixel item \(index)") }
    guard let pointer, length > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: pointer, count: length))
  }

  /// Whether the attribute is present, empty or not.
  public func contains(_ tag: Tag) -> Bool {
    elements(for: tag).contains(tag)
  }
}

/// Element access on one item of a file: the dataset, the meta information or a sequence item.
struct Elements {
  /// Keeps the file, and so `item`, alive.
  let file: DICOMFile
  let item: OpaquePointer?

  func string(_ tag: Tag) throws(DICOMError) -> String? {
    var status = CDcmStatus()
    var buffer = [CChar](repeating: 0, count: 256)
    var length = cdcm_get_string(item, tag.group, tag.element, &buffer, buffer.count, &status)
    if status.failure == CDCM_TAG_NOT_FOUND { return nil }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading \(tag)") }
    if length >= buffer.count {
      buffer = [CChar](repeating: 0, count: length + 1)
      length = cdcm_get_string(item, tag.group, tag.element, &buffer, buffer.count, &status)
      if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading \(tag)") }
    }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The string value with surrounding spaces removed; nil when absent or empty.
  func trimmed(_ tag: Tag) throws(DICOMError) -> String? {
    guard let value = try string(tag)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
    return value
  }

  func number(_ tag: Tag, index: Int = 0) throws(DICOMError) -> Double? {
    var status = CDcmStatus()
    let value = cdcm_get_float64(item, tag.group, tag.element, UInt32(index), &status)
    if status.failure == CDCM_TAG_NOT_FOUND { return nil }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading \(tag)") }
    guard value.isFinite else { throw DICOMError(.nonFiniteValue, "\(tag) value \(index + 1) is \(value)") }
    return value
  }

  func numbers(_ tag: Tag) throws(DICOMError) -> [Double]? {
    let count = valueCount(tag)
    guard count > 0 else { return nil }
    var values: [Double] = []
    values.reserveCapacity(count)
    for index in 0..<count {
      guard let value = try number(tag, index: index) else { return nil }
      values.append(value)
    }
    return values
  }

  /// Like ``numbers(_:)`` but nil when the values cannot be read, for attributes that must not stop a
  /// file from being decoded; a value that is not finite still throws `non_finite_value`.
  func lenientNumbers(_ tag: Tag) throws(DICOMError) -> [Double]? {
    do {
      return try numbers(tag)
    } catch where error.code == .nonFiniteValue {
      throw error
    } catch {
      return nil
    }
  }

  /// An integer attribute; nil when absent or empty. A value that is not a whole number throws.
  func integer(_ tag: Tag) throws(DICOMError) -> Int? {
    guard valueCount(tag) > 0, let value = try number(tag) else { return nil }
    guard value.rounded() == value, abs(value) < 1e15 else {
      throw DICOMError(.corrupt, "\(tag) holds \(value), not an integer")
    }
    return Int(value)
  }

  /// An IS (integer string) attribute parsed strictly: "1A" throws rather than reading as 1.
  func integerString(_ tag: Tag) throws(DICOMError) -> Int? {
    guard let text = try trimmed(tag) else { return nil }
    guard let value = Int(text) else { throw DICOMError(.corrupt, "\(tag) holds '\(text)', not an integer") }
    return value
  }

  /// Like ``trimmed(_:)`` but nil when the value cannot be read: for descriptive attributes that must
  /// not stop a file from being decoded.
  func lenient(_ tag: Tag) -> String? {
    (try? trimmed(tag)) ?? nil
  }

  func valueCount(_ tag: Tag) -> Int { Int(cdcm_value_count(item, tag.group, tag.element)) }

  func contains(_ tag: Tag) -> Bool { cdcm_contains(item, tag.group, tag.element) }

  /// The raw value bytes of a binary element, little endian (multi-byte values swapped by their VR).
  func bytes(_ tag: Tag) throws(DICOMError) -> [UInt8]? {
    var status = CDcmStatus()
    let length = cdcm_get_bytes(item, tag.group, tag.element, true, nil, 0, &status)
    if status.failure == CDCM_TAG_NOT_FOUND { return nil }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading \(tag)") }
    var bytes = [UInt8](repeating: 0, count: length)
    _ = bytes.withUnsafeMutableBytes { buffer in
      cdcm_get_bytes(item, tag.group, tag.element, true, buffer.baseAddress, length, &status)
    }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading \(tag)") }
    return bytes
  }

  func sequenceCount(_ tag: Tag) -> Int { Int(cdcm_sequence_count(item, tag.group, tag.element)) }

  /// Item `index` of sequence `tag`, or nil.
  func sequenceItem(_ tag: Tag, _ index: Int) -> Elements? {
    guard let found = cdcm_sequence_item(item, tag.group, tag.element, UInt32(index)) else { return nil }
    return Elements(file: file, item: found)
  }
}

extension DICOMError {
  init(status: CDcmStatus, context: String? = nil) {
    let text = withUnsafeBytes(of: status.message) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    let message = context.map { "\($0): \(text)" } ?? text
    switch status.failure {
    case CDCM_META_HEADER_MISSING: self.init(.notDICOM, message)
    case CDCM_PREMATURE_END: self.init(.truncated, message)
    case CDCM_CANNOT_DECODE: self.init(.unsupportedTransferSyntax, message)
    default: self.init(.corrupt, message)
    }
  }
}

extension DICOMFile {
  /// Registers DCMTK's JPEG and RLE decoders once per process (thread-safe; also done by
  /// the first `init(path:)`).
  public static func initializeCodecs() {
    cdcm_initialize()
  }

  /// Whether DCMTK found its data dictionary; without it no file can be read correctly.
  public static var isDictionaryLoaded: Bool { cdcm_dictionary_loaded() }
}
