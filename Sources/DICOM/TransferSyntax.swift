internal import CDCMTK
import Foundation

/// The transfer syntax of a file and how isnetd decodes its pixel data.
public struct TransferSyntax: Sendable, Equatable, Codable {
  /// Who turns the stored pixel data into samples.
  public enum Decoder: String, Sendable, Codable {
    /// Native (uncompressed) pixel data, read through DCMTK.
    case native
    /// A codec registered with DCMTK: JPEG (baseline, extended, lossless) and RLE.
    case dcmtk
    /// JPEG-LS frames extracted through DCMTK and decoded by CharLS 2.
    case charLS = "charls"
    /// JPEG 2000 frames extracted through DCMTK and decoded by OpenJPEG.
    case openJPEG = "openjpeg"
    /// Nothing isnetd has can decode it.
    case none
  }

  /// The UID (from the file meta information when present, else as DCMTK detected it).
  public let uid: String
  /// DCMTK's name for it, or "unknown transfer syntax" when DCMTK does not know the UID.
  public let name: String
  public let isEncapsulated: Bool
  /// Values are stored big endian (Explicit VR Big Endian).
  public let isBigEndian: Bool
  public let decoder: Decoder

  /// JPEG-LS Lossless and JPEG-LS Lossy (Near-Lossless) Image Compression.
  static let jpegLSUIDs: Set<String> = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"]

  /// JPEG 2000 Image Compression (Lossless Only) and JPEG 2000 Image Compression.
  static let jpeg2000UIDs: Set<String> = ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"]

  /// RLE Lossless.
  static let rleUID = "1.2.840.10008.1.2.5"

  /// Transfer syntaxes whose decoded values can differ from the encoded image.
  static let lossyUIDs: Set<String> = [
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",  // JPEG baseline, extended
    "1.2.840.10008.1.2.4.81",  // JPEG-LS near-lossless
    "1.2.840.10008.1.2.4.91",  // JPEG 2000 (lossless or lossy)
  ]

  /// Transfer syntaxes defined after DCMTK 3.6.7, named so that a rejection says what arrived.
  static let namesUnknownToDCMTK: [String: String] = [
    "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
    "1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
    "1.2.840.10008.1.2.4.112": "JPEG XL",
    "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000 Image Compression",
    "1.2.840.10008.1.2.4.204": "JPIP HTJ2K Referenced",
    "1.2.840.10008.1.2.4.205": "JPIP HTJ2K Referenced Deflate",
    "1.2.840.10008.1.2.8.1": "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
  ]

  /// Whether the encoding may be lossy, so decoders may legitimately differ by small amounts.
  public var mayBeLossy: Bool { Self.lossyUIDs.contains(uid) }

  init(file: DICOMFile) throws(DICOMError) {
    var syntax = CDcmTransferSyntax()
    cdcm_transfer_syntax(file.handle, &syntax)
    let parsedUID = withUnsafeBytes(of: syntax.uid) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let parsedName = withUnsafeBytes(of: syntax.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let declared = try file.string(.transferSyntaxUID)?.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
    if let declared, !declared.isEmpty, declared != parsedUID, cdcm_uid_name(declared) == nil {
      // DCMTK did not recognise the declared UID and fell back to guessing the encoding.
      uid = declared
      name = Self.namesUnknownToDCMTK[declared] ?? "unknown transfer syntax"
      isEncapsulated = false
      isBigEndian = false
      decoder = .none
      return
    }
    uid = parsedUID
    name = syntax.known ? parsedName : "unknown transfer syntax"
    isEncapsulated = syntax.encapsulated
    isBigEndian = syntax.big_endian
    if !syntax.known {
      decoder = .none
    } else if !syntax.encapsulated {
      decoder = .native
    } else if Self.jpeg2000UIDs.contains(parsedUID) {
      decoder = .openJPEG
    } else if Self.jpegLSUIDs.contains(parsedUID) {
      decoder = .charLS
    } else if syntax.codec_registered {
      decoder = .dcmtk
    } else {
      decoder = .none
    }
  }
}
