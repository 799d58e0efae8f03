/// Why a DICOM file was not decoded or not screened: a closed set of machine-readable codes, each with
/// a fixed human sentence, plus a detail message (DCMTK's or OpenJPEG's text, or ours).
///
/// Messages never carry patient names or IDs: they name attributes, values of the image pixel module
/// and library text only. The raw values are stable; the daemon writes them into quarantine sidecars.
public struct DICOMError: Error, Equatable, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable, Codable {
    /// The file cannot be opened (missing, a directory, no permission).
    case unreadable
    /// The file has no DICOM Part 10 header ("DICM" preamble and file meta information).
    case notDICOM = "not_dicom"
    /// The data ends inside an element or before the pixel data does: truncated, or still being written.
    case truncated
    /// An image object without Pixel Data (7FE0,0010).
    case noPixelData = "no_pixel_data"
    /// The pixel data is encoded in a transfer syntax that isnetd cannot decode (named in the message).
    case unsupportedTransferSyntax = "unsupported_transfer_syntax"
    /// The object is not an image (a structured report, a plan, a directory), or its Image Pixel module
    /// lacks what is needed to read the pixels.
    case notAnImage = "not_an_image"
    /// The Photometric Interpretation is one isnetd cannot turn into gray values.
    case unsupportedPhotometricInterpretation = "unsupported_photometric_interpretation"
    /// Rows x Columns x frames exceeds the configured limit; nothing was allocated.
    case tooLarge = "too_large"
    /// The file or its pixel data is damaged or inconsistent (DCMTK's or OpenJPEG's text in the message).
    case corrupt
    /// The pixel data of a transfer syntax isnetd decodes is damaged: a codestream or RLE segment that
    /// does not match the dataset's geometry, or one its codec refuses.
    case corruptPixelData = "corrupt_pixel_data"
    /// A numeric attribute (rescale, window, spacing, ...) is NaN or infinite, or the modality transform
    /// takes the stored values beyond the range of 32-bit floats.
    case nonFiniteValue = "non_finite_value"

    /// Not screened by the acceptance rules: the modality is not one the model reads.
    case modalityNotScreened = "modality_not_screened"
    /// Not screened by the acceptance rules: the SOP class is not an accepted image class.
    case sopClassNotScreened = "sop_class_not_screened"
    /// Not screened by the acceptance rules: the body part is not the chest.
    case bodyPartNotScreened = "body_part_not_screened"
    /// Not screened by the acceptance rules: the view is not frontal (PA or AP); laterals land here.
    case viewNotScreened = "view_not_screened"

    /// One sentence for people, fixed per code.
    public var sentence: String {
      switch self {
      case .unreadable: "The file could not be opened."
      case .notDICOM: "The file is not a DICOM file: it has no DICOM preamble and file meta information."
      case .truncated: "The file ends early: it is truncated or still being written."
      case .noPixelData: "The DICOM object holds no pixel data."
      case .unsupportedTransferSyntax: "The pixel data is encoded in a transfer syntax isnetd cannot decode."
      case .notAnImage: "The DICOM object is not an image isnetd can read."
      case .unsupportedPhotometricInterpretation: "The image's photometric interpretation cannot be turned into gray values."
      case .tooLarge: "The image is larger than the configured limit."
      case .corrupt: "The file or its pixel data is damaged."
      case .corruptPixelData: "The pixel data is damaged: it cannot be decoded into the image the file describes."
      case .nonFiniteValue: "A numeric value in the file is not a finite number."
      case .modalityNotScreened: "Not screened: the modality is not a radiograph the model reads (CR or DX)."
      case .sopClassNotScreened: "Not screened: the SOP class is not an accepted radiograph image class."
      case .bodyPartNotScreened: "Not screened: the body part is not the chest."
      case .viewNotScreened: "Not screened: the view is not a frontal (PA or AP) chest view."
      }
    }

    /// Whether this code is an acceptance-rule outcome (the file is fine but not for this model)
    /// rather than a failure to read it.
    public var isNotScreened: Bool {
      switch self {
      case .modalityNotScreened, .sopClassNotScreened, .bodyPartNotScreened, .viewNotScreened: true
      default: false
      }
    }
  }

  public let code: Code
  /// The detail: DCMTK's or OpenJPEG's own message, or ours where the check is ours.
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// The same detail under another code.
  func `as`(_ code: Code) -> DICOMError { DICOMError(code, message) }

  /// The code's sentence followed by the detail.
  public var sentence: String { message.isEmpty ? code.sentence : "\(code.sentence) \(message)" }

  public var description: String { "\(code.rawValue): \(message)" }
}
