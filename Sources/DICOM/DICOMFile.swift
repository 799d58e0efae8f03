internal import CDCMTK
import Foundation

/// One DICOM file loaded in full by DCMTK (`DcmFileFormat`).
public final class DICOMFile: @unchecked Sendable {
  // @unchecked Sendable: the dataset is never modified after loading; DCMTK reads are not thread-safe
  // on one object, so a file is used by one task at a time.
  private let handle: OpaquePointer

  /// DCMTK's version ("3.6.7").
  public static var dcmtkVersion: String { String(cString: cdcm_version()) }

  /// Loads `path`. `requireMetaHeader` refuses files without the Part 10 preamble, which is how
  /// arbitrary non-DICOM bytes are told apart from a dataset.
  public init(path: String, requireMetaHeader: Bool = true) throws(DICOMError) {
    cdcm_initialize()
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw DICOMError(.unreadable, "cannot read \(path)")
    }
    var status = CDcmStatus()
    let handle = cdcm_open(path, requireMetaHeader, &status)
    guard let handle else { throw DICOMError(status: status) }
    self.handle = handle
  }

  deinit {
    cdcm_close(handle)
  }

  /// The string value of `tag` (all values joined by "\"), or nil when absent.
  public func string(_ tag: Tag) throws(DICOMError) -> String? {
    var status = CDcmStatus()
    var buffer = [CChar](repeating: 0, count: 256)
    var length = cdcm_get_string(handle, tag.group, tag.element, &buffer, buffer.count, &status)
    if status.failure == CDCM_TAG_NOT_FOUND { return nil }
    if status.failure != CDCM_OK { throw DICOMError(status: status) }
    if length >= buffer.count {
      buffer = [CChar](repeating: 0, count: length + 1)
      length = cdcm_get_string(handle, tag.group, tag.element, &buffer, buffer.count, &status)
      if status.failure != CDCM_OK { throw DICOMError(status: status) }
    }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Value `index` of a numeric attribute, or nil when absent.
  public func number(_ tag: Tag, index: Int = 0) throws(DICOMError) -> Double? {
    var status = CDcmStatus()
    let value = cdcm_get_float64(handle, tag.group, tag.element, UInt32(index), &status)
    if status.failure == CDCM_TAG_NOT_FOUND { return nil }
    if status.failure != CDCM_OK { throw DICOMError(status: status) }
    return value
  }

  /// The stored values of frame `frame` (before any modality transform, original polarity), decoded
  /// through DCMTK's registered codecs.
  public func storedValues(frame: Int = 0) throws(DICOMError) -> StoredFrame {
    var status = CDcmStatus()
    var info = CDcmFrameInfo()
    cdcm_decode_frame(handle, UInt32(frame), &info, nil, 0, &status)
    if status.failure != CDCM_OK { throw DICOMError(status: status) }
    let count = Int(info.rows) * Int(info.columns)
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { buffer in
      cdcm_decode_frame(handle, UInt32(frame), &info, buffer.baseAddress, count, &status)
    }
    if status.failure != CDCM_OK { throw DICOMError(status: status) }
    return StoredFrame(rows: Int(info.rows), columns: Int(info.columns), bitsStored: Int(info.bits),
                       isSigned: info.is_signed, values: values)
  }
}

/// The stored pixel values of one frame, row-major.
public struct StoredFrame: Sendable, Equatable {
  public let rows: Int
  public let columns: Int
  /// Effective depth of the values as DCMTK reports it.
  public let bitsStored: Int
  public let isSigned: Bool
  public let values: [Float]
}

extension DICOMError {
  init(status: CDcmStatus) {
    let message = withUnsafeBytes(of: status.message) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    switch status.failure {
    case CDCM_META_HEADER_MISSING: self.init(.notDICOM, message)
    case CDCM_PREMATURE_END: self.init(.truncated, message)
    case CDCM_TAG_NOT_FOUND: self.init(.missingAttribute, message)
    case CDCM_CANNOT_DECODE: self.init(.unsupportedTransferSyntax, message)
    default: self.init(.corrupt, message)
    }
  }
}

extension DICOMFile {
  /// Registers DCMTK's JPEG, JPEG-LS and RLE decoders once per process (thread-safe; also done by
  /// the first `init(path:)`).
  public static func initializeCodecs() {
    cdcm_initialize()
  }

  /// Whether DCMTK found its data dictionary; without it no file can be read correctly.
  public static var isDictionaryLoaded: Bool { cdcm_dictionary_loaded() }
}
