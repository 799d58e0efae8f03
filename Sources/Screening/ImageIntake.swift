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
  /// The longer side of the view kept for pictures (``PreparedImage/view``); nil keeps the frame's size.
  public let viewLongestSide: Int?

  public init(input: InputDescription, segmenterPreprocessing: Preprocessing? = nil,
              acceptanceRules: AcceptanceRules = AcceptanceRules(), decodeOptions: DecodeOptions = DecodeOptions(),
              viewLongestSide: Int? = nil) {
    precondition(viewLongestSide.map { $0 > 0 } ?? true, "the view has at least one pixel")
    self.input = input
    self.segmenterPreprocessing = segmenterPreprocessing
    self.acceptanceRules = acceptanceRules
    self.decodeOptions = decodeOptions
    self.viewLongestSide = viewLongestSide
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
      let size = Self.size(width: image.columns, height: image.rows, longestSide: viewLongestSide)
      let view = image.image.resized(width: size.width, height: size.height)
      return .prepared(PreparedImage(file: file, metadata: image.metadata, warnings: image.warnings, view: view,
                                     viewWindow: Self.viewingWindow(image, view: view), classifierInput: classifierInput,
                                     segmenterInput: segmenterInput, intakeSeconds: seconds(since: start, clock)))
    } catch {
      return .refused(file, metadata, Problem(error))
    }
  }

  /// `width` x `height` scaled down so the longer side is at most `longestSide`.
  static func size(width: Int, height: Int, longestSide: Int?) -> (width: Int, height: Int) {
    guard let side = longestSide, Swift.max(width, height) > side else { return (width, height) }
    let scale = Double(side) / Double(Swift.max(width, height))
    return (Swift.max(1, Int((Double(width) * scale).rounded())), Swift.max(1, Int((Double(height) * scale).rounded())))
  }

  /// The file's first VOI window (in the decoded polarity) when it has a usable one, else the
  /// 0.5/99.5 percentile window of the view.
  static func viewingWindow(_ decoded: DICOMImage, view: GrayImage) -> IntensityWindow {
    if let window = decoded.voi.windows.first, window.width > 1, window.width.isFinite, window.center.isFinite {
      let center = decoded.inversionPivot.map { Double($0) - window.center } ?? window.center
      return IntensityWindow(lower: Float(center - window.width / 2), upper: Float(center + window.width / 2))
    }
    return PercentileWindow().window(of: view)
  }
}
