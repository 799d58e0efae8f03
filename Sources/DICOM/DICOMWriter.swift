internal import CDCMTK

/// Writes new single-frame monochrome images as Part 10 files through DCMTK: the attributes given, an
/// Image Pixel module for 16-bit allocated unsigned samples, and the file meta information DCMTK
/// creates. Compressed transfer syntaxes go through DCMTK's own encoders (JPEG Lossless SV1 in true
/// lossless mode, RLE Lossless), registered once per process.
///
/// Nothing here invents identifiers: the attributes must carry the SOP Class and SOP Instance UIDs
/// (and whatever else the object needs), so that the same input always gives the same bytes.
public struct DICOMWriter: Sendable {
  /// The transfer syntaxes the writer produces.
  public enum Encoding: String, Sendable, Codable, CaseIterable {
    /// Explicit VR Little Endian, uncompressed.
    case explicitLittleEndian = "explicit-little-endian"
    /// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).
    case jpegLossless = "jpeg-lossless"
    /// RLE Lossless.
    case rle

    /// The transfer syntax UID.
    public var transferSyntaxUID: String {
      switch self {
      case .explicitLittleEndian: "1.2.840.10008.1.2.1"
      case .jpegLossless: "1.2.840.10008.1.2.4.70"
      case .rle: "1.2.840.10008.1.2.5"
      }
    }

    /// The encoding whose transfer syntax is `uid`, or nil.
    public init?(transferSyntaxUID uid: String) {
      guard let match = Self.allCases.first(where: { $0.transferSyntaxUID == uid }) else { return nil }
      self = match
    }
  }

  /// Photometric Interpretation (0028,0004) of a monochrome image.
  public enum Photometric: String, Sendable, Codable {
    /// The lowest value is white.
    case monochrome1 = "MONOCHROME1"
    /// The lowest value is black.
    case monochrome2 = "MONOCHROME2"
  }

  /// The pixels of a monochrome image: `columns` x `rows` unsigned samples, row-major, each below
  /// 2^`bitsStored`; stored in 16-bit words, high bit `bitsStored - 1`.
  public struct Pixels: Sendable, Equatable {
    /// Columns and Rows.
    public let columns: Int
    public let rows: Int
    /// Bits Stored, 1 to 16; High Bit is one less.
    public let bitsStored: Int
    /// Photometric Interpretation.
    public let photometric: Photometric
    /// The samples, row-major.
    public let samples: [UInt16]

    /// Pixels from row-major samples. Traps unless `samples.count == columns * rows`, the size fits the
    /// Rows and Columns attributes, `bitsStored` is 1 to 16 and every sample fits in it.
    public init(columns: Int, rows: Int, bitsStored: Int, photometric: Photometric, samples: [UInt16]) {
      precondition(columns > 0 && rows > 0 && columns <= 65_535 && rows <= 65_535, "Rows and Columns are 1 to 65535")
      precondition((1...16).contains(bitsStored), "Bits Stored is 1 to 16 for 16-bit words")
      precondition(samples.count == columns * rows, "samples must hold columns x rows values")
      let limit = bitsStored == 16 ? UInt16.max : UInt16((1 << bitsStored) - 1)
      precondition(samples.allSatisfy { $0 <= limit }, "a sample exceeds Bits Stored")
      self.columns = columns
      self.rows = rows
      self.bitsStored = bitsStored
      self.photometric = photometric
      self.samples = samples
    }
  }

  /// Attributes written besides the Image Pixel module, as DICOM strings (several values separated by
  /// "\"), with the data dictionary's VR; an empty string writes an empty (type 2) element.
  public var attributes: [Tag: String]

  /// The Image Pixel module tags the writer sets from ``Pixels``; ``attributes`` must not hold them.
  public static let pixelModuleTags: Set<Tag> = [
    .samplesPerPixel, .photometricInterpretation, .rows, .columns, .bitsAllocated, .bitsStored, .highBit,
    .pixelRepresentation, .pixelData,
  ]

  /// A writer for `attributes`. Traps when they include an Image Pixel module tag (``pixelModuleTags``)
  /// or a file meta information tag (group 0002), which DCMTK writes itself.
  public init(attributes: [Tag: String]) {
    precondition(attributes.keys.allSatisfy { !Self.pixelModuleTags.contains($0) && $0.group != 0x0002 },
                 "the Image Pixel module and the file meta information are written by DICOMWriter")
    self.attributes = attributes
  }

  /// Writes `pixels` with the attributes to `path` (replacing any file there; not atomic) in `encoding`:
  /// `cdcm_create`, `cdcm_put_*`, then `cdcm_save`, which compresses through DCMTK's encoder.
  public func write(_ pixels: Pixels, to path: String, encoding: Encoding) throws(DICOMError) {
    cdcm_initialize_encoders()
    var status = CDcmStatus()
    guard let file = cdcm_create(&status) else { throw DICOMError(status: status, context: "creating a dataset") }
    defer { cdcm_close(file) }
    for (tag, value) in attributes.sorted(by: { ($0.key.group, $0.key.element) < ($1.key.group, $1.key.element) }) {
      cdcm_put_string(file, tag.group, tag.element, value, &status)
      if status.failure != CDCM_OK { throw DICOMError(status: status, context: "writing \(tag)") }
    }
    let module: [(Tag, UInt16)] = [
      (.samplesPerPixel, 1), (.rows, UInt16(pixels.rows)), (.columns, UInt16(pixels.columns)), (.bitsAllocated, 16),
      (.bitsStored, UInt16(pixels.bitsStored)), (.highBit, UInt16(pixels.bitsStored - 1)), (.pixelRepresentation, 0),
    ]
    for (tag, value) in module {
      cdcm_put_uint16(file, tag.group, tag.element, value, &status)
      if status.failure != CDCM_OK { throw DICOMError(status: status, context: "writing \(tag)") }
    }
    cdcm_put_string(file, Tag.photometricInterpretation.group, Tag.photometricInterpretation.element,
                    pixels.photometric.rawValue, &status)
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "writing Photometric Interpretation") }
    pixels.samples.withUnsafeBufferPointer { samples in
      cdcm_put_pixel_data16(file, samples.baseAddress, samples.count, &status)
    }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "writing Pixel Data") }
    cdcm_save(file, encoding.transferSyntaxUID, path, &status)
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "writing \(path)") }
  }
}
