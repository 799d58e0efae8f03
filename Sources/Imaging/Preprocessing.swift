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

  /// The model input for `image`.
  public func callAsFunction(_ image: GrayImage) -> ModelInput {
    let geometry = LetterboxGeometry(sourceWidth: image.width, sourceHeight: image.height,
                                     targetWidth: width, targetHeight: height)
    let content = AreaResampler.resize(image, width: geometry.contentWidth, height: geometry.contentHeight)
    let window = window.window(of: content)
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
