public import DICOM
public import Engine
import Foundation
public import Imaging

/// The first stage of screening, shared by the pipeline and `isnetd explain`: read and hash the file,
/// read its metadata, apply the acceptance rules, decode the first frame and make the networks'
/// inputs, keeping the geometry that maps them back onto the image.
public struct ImageIntake: Sendable {
  /// The classifier's input: channels and preprocessing rule.
  public let input: InputDescription
  /// The segmenter's input rule, when it differs from the classifier's.
  public let segmenterPreprocessing: Preprocessing?
  public let acceptanceRules: AcceptanceRules
  public let decodeOptions: DecodeOptions

  public init(input: InputDescription, segmenterPreprocessing: Preprocessing? = nil,
              acceptanceRules: AcceptanceRules = AcceptanceRules(), decodeOptions: DecodeOptions = DecodeOptions()) {
    self.input = input
    self.segmenterPreprocessing = segmenterPreprocessing
    self.acceptanceRules = acceptanceRules
    self.decodeOptions = decodeOptions
  }

  /// Never throws: a file that cannot be screened comes back refused with its problem (an acceptance
  /// rule's code, or why it could not be read or decoded), with its metadata when that could be read.
  public func prepare(_ path: String) -> Intake {
    let clock = ContinuousClock()
    let start = clock.now
    let file: InputFile
    do {
      file = try InputFile(reading: path)
    } catch {
      return .refused(InputFile(unreadable: path), nil, Problem(error))
    }
    var metadata: DICOMMetadata?
    do {
      let dicom = try DICOMFile(path: path)
      let read = try dicom.metadata()
      metadata = read
      try acceptanceRules.check(read)
      // The classifier's input is made while the rows are decoded.
      let (image, stream) = try dicom.decodeFirstFrame(options: decodeOptions, rowsTo: input.preprocessing.stream)
      let classifierInput = stream.finish()
      let segmenterInput = segmenterPreprocessing.flatMap { $0 == input.preprocessing ? nil : $0(image.image) } ?? classifierInput
      return .prepared(PreparedImage(file: file, decoded: image, classifierInput: classifierInput, segmenterInput: segmenterInput,
                                     intakeSeconds: seconds(since: start, clock)))
    } catch {
      return .refused(file, metadata, Problem(error))
    }
  }
}
