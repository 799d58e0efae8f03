public import DICOM
public import Imaging
public import Torch

/// The one path from a DICOM file to the network's input tensor, shared by `explain`, training-data
/// loading and screening: decode the first frame (DICOM), apply the documented preprocessing (Imaging),
/// and repeat the grey channel when the model takes three.
public struct InputLoader: Sendable {
  public var preprocessing: Preprocessing
  public var channels: Int
  public var decodeOptions: DecodeOptions

  public init(preprocessing: Preprocessing, channels: Int, decodeOptions: DecodeOptions = DecodeOptions()) {
    self.preprocessing = preprocessing
    self.channels = channels
    self.decodeOptions = decodeOptions
  }

  /// Decodes and preprocesses `path`, the preprocessing fed the rows as they are decoded.
  public func load(path: String) throws -> LoadedInput {
    let (image, stream) = try DICOMFile(path: path)
      .decodeFirstFrame(options: decodeOptions, rowsTo: preprocessing.stream)
    let input = stream.finish()
    return LoadedInput(image: image, input: input, tensor: try modelTensor(input))
  }

  /// [1, channels, height, width] from one preprocessed grey image.
  public func modelTensor(_ input: ModelInput) throws -> Tensor {
    let grey = try Tensor(input.values, shape: [1, 1, input.height, input.width])
    return channels == 1 ? grey : try grey.repeated([1, channels, 1, 1])
  }
}

/// A decoded file and the model input made from it.
public struct LoadedInput: Sendable {
  public let image: DICOMImage
  public let input: ModelInput
  /// [1, C, H, W] in [0, 1].
  public let tensor: Tensor
}
