/// The model's input: one channel of `width` x `height` samples in [0, 1], row-major, and how it was
/// made from the original image.
public struct ModelInput: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// Row-major samples in [0, 1]; `values[y * width + x]`.
  public let values: [Float]
  /// Maps model-input coordinates to the original pixels and back.
  public let geometry: LetterboxGeometry
  /// The intensity window that mapped the original values onto [0, 1].
  public let window: IntensityWindow
}

/// The one function from an image to the network's input, used alike for training and inference.
///
/// 1. The image is letterboxed: scaled by one factor on both axes so that it fits `width` x `height`
///    (``LetterboxGeometry``), by area averaging, and centred.
/// 2. The intensity window is taken from the scaled content, the image the model sees
///    (``PercentileWindow``), so pixel noise the scaling averages away does not widen it and the
///    source's resolution does not change it.
/// 3. Every content sample is mapped through the window onto [0, 1]; the padding is `padValue`
///    (0, black, by default: the image's own background after MONOCHROME2 polarity).
///
/// The result depends on nothing but the samples and these parameters.
public struct Preprocessing: Sendable, Equatable, Codable {
  public var width: Int
  public var height: Int
  public var window: PercentileWindow
  public var padValue: Float

  public init(width: Int = 224, height: Int = 224, window: PercentileWindow = PercentileWindow(), padValue: Float = 0) {
    precondition(width > 0 && height > 0, "the model input has at least one pixel")
    precondition((0...1).contains(padValue), "the padding value must lie in [0, 1]")
    self.width = width
    self.height = height
    self.window = window
    self.padValue = padValue
  }

  /// The model input for `image`; with `window`, that intensity window instead of the one this
  /// image's percentiles give (to compare two images under one mapping).
  public func callAsFunction(_ image: GrayImage, window: IntensityWindow? = nil) -> ModelInput {
    let geometry = geometry(forWidth: image.width, height: image.height)
    return finish(AreaResampler.resize(image, width: geometry.contentWidth, height: geometry.contentHeight), geometry,
                  window: window)
  }

  /// A preprocessor fed the image's rows as a decoder finishes them (``PreprocessingStream``).
  public func stream(width: Int, height: Int) -> PreprocessingStream {
    PreprocessingStream(preprocessing: self, geometry: geometry(forWidth: width, height: height))
  }

  func geometry(forWidth sourceWidth: Int, height sourceHeight: Int) -> LetterboxGeometry {
    LetterboxGeometry(sourceWidth: sourceWidth, sourceHeight: sourceHeight, targetWidth: width, targetHeight: height)
  }

  /// Steps 2 and 3, on the letterboxed content.
  func finish(_ content: GrayImage, _ geometry: LetterboxGeometry, window given: IntensityWindow? = nil) -> ModelInput {
    let window = given ?? window.window(of: content)
    var values = [Float](repeating: padValue, count: width * height)
    let scale: Float = window.upper > window.lower ? 1 / (window.upper - window.lower) : 0
    let lower = window.lower
    content.pixels.withUnsafeBufferPointer { source in
      values.withUnsafeMutableBufferPointer { target in
        for y in 0..<geometry.contentHeight {
          let row = (geometry.contentY + y) * width + geometry.contentX
          let sourceRow = y * geometry.contentWidth
          for x in 0..<geometry.contentWidth {
            let value = (source[sourceRow + x] - lower) * scale
            target[row + x] = Swift.min(Swift.max(value, 0), 1)
          }
        }
      }
    }
    return ModelInput(width: width, height: height, values: values, geometry: geometry, window: window)
  }
}

/// ``Preprocessing`` fed an image's rows in order, a strip at a time, as a decoder finishes them.
///
/// The area averaging of the rows happens while each strip is still in the cache the decoder wrote it
/// through, instead of in a second pass that reads the whole image back from memory (for a 2,000 x
/// 2,500 film, 20 MB). The result equals ``Preprocessing/callAsFunction(_:)`` on the whole image,
/// sample for sample, however the rows are split.
public struct PreprocessingStream: GrayRowConsumer {
  public let preprocessing: Preprocessing
  let geometry: LetterboxGeometry
  // An image already of the content's size passes through with weights of exactly 1, unchanged.
  private var resampler: StreamingAreaResampler

  init(preprocessing: Preprocessing, geometry: LetterboxGeometry) {
    self.preprocessing = preprocessing
    self.geometry = geometry
    resampler = StreamingAreaResampler(sourceWidth: geometry.sourceWidth, sourceHeight: geometry.sourceHeight,
                                       outputWidth: geometry.contentWidth, outputHeight: geometry.contentHeight)
  }

  /// The source's size.
  public var width: Int { geometry.sourceWidth }
  public var height: Int { geometry.sourceHeight }

  /// Takes the next whole rows of the image.
  public mutating func consume(_ strip: UnsafeBufferPointer<Float>) {
    resampler.add(strip)
  }

  /// The model input, once every row has arrived.
  public func finish() -> ModelInput {
    preprocessing.finish(resampler.result(), geometry)
  }
}

/// Takes the rows of a gray image in order, a strip of whole rows at a time (a decoder's output).
public protocol GrayRowConsumer {
  mutating func consume(_ strip: UnsafeBufferPointer<Float>)
}
