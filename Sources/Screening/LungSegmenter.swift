public import DICOM
public import Engine
public import Imaging
import Torch

/// Makes lung masks with a trained segmenter (a U-Net checkpoint): the mask at the input's original
/// geometry, cleaned up, measured and judged, so the screening pipeline can tell when the background
/// check would rest on a wrong mask. See docs/segmentation.md.
///
/// 1. The image is preprocessed with the segmenter's own rule (its checkpoint's `input.preprocessing`).
/// 2. The network gives the lung probability of every model pixel; padding is set to 0.
/// 3. The probabilities are brought back onto every original pixel (bilinear, through the letterbox)
///    and thresholded; the clean-up keeps the two largest regions and fills holes (``LungMaskRules``).
/// 4. Area, quality and the plausibility verdict are measured on that mask, against the lung-area
///    range of the segmenter's training masks.
public struct LungSegmenter {
  /// What the segmenter does beyond the network.
  public struct Options: Sendable, Equatable {
    /// Margin added around the lungs for the background check, as a fraction of the image's longer
    /// side (0.02: about 45 pixels on a 2,000 x 2,500 film, 4.5 at 224 x 224). Relevance within the
    /// margin counts as inside the lungs.
    public var dilationMargin: Double
    /// Clean-up and plausibility thresholds.
    public var rules: LungMaskRules
    /// The mask's longer side in pixels: a larger image gets its mask on a grid of this size covering
    /// it (the rules are fractions, so the verdict does not depend on it). nil: the image's own
    /// geometry, which masks for training need.
    public var maskLongestSide: Int?

    /// Options with isnetd's defaults.
    public init(dilationMargin: Double = 0.02, rules: LungMaskRules = LungMaskRules(), maskLongestSide: Int? = nil) {
      precondition(dilationMargin >= 0 && dilationMargin.isFinite, "the dilation margin must be finite and not negative")
      precondition(maskLongestSide.map { $0 > 0 } ?? true, "the mask has at least one pixel")
      self.dilationMargin = dilationMargin
      self.rules = rules
      self.maskLongestSide = maskLongestSide
    }

    /// The mask's size for an image of `width` x `height`.
    func maskSize(width: Int, height: Int) -> (width: Int, height: Int) {
      ImageIntake.size(width: width, height: height, longestSide: maskLongestSide)
    }
  }

  /// The network.
  public let model: any Segmenter
  /// Its checkpoint sidecar: preprocessing, training lung-area range, validation Dice.
  public let metadata: CheckpointMetadata
  /// Dilation margin and rules.
  public var options: Options

  /// A segmenter from a trained network and its checkpoint metadata.
  public init(model: any Segmenter, metadata: CheckpointMetadata, options: Options = Options()) throws {
    guard model.classCount >= 2 else { throw EngineError.invalidConfiguration("a lung segmenter needs a lung class (index 1)") }
    guard metadata.input.channels == model.inputChannels else {
      throw EngineError.invalidConfiguration("the metadata describes \(metadata.input.channels) input channels, the network takes \(model.inputChannels)")
    }
    self.model = model
    self.metadata = metadata
    self.options = options
  }

  /// Loads a segmenter checkpoint (the .safetensors file, its .json sidecar, or their common stem).
  public init(checkpoint path: String, options: Options = Options()) throws {
    let (model, metadata) = try Checkpoint(path: path).loadSegmenter()
    try self.init(model: model, metadata: metadata, options: options)
  }

  /// The input rule the segmenter was trained with.
  public var preprocessing: Preprocessing { metadata.input.preprocessing }

  /// The lung area of the training masks, when the checkpoint records it.
  public var trainingLungArea: LungAreaRange? { metadata.segmentation?.trainingLungArea }

  /// Decodes `path` (DICOM) and segments its first frame.
  public func segment(path: String, decodeOptions: DecodeOptions = DecodeOptions()) throws -> LungSegmentation {
    try segment(DICOMImage(contentsOf: path, options: decodeOptions).image)
  }

  /// Segments an image at its own geometry.
  public func segment(_ image: GrayImage) throws -> LungSegmentation {
    try segment(preprocessing(image))
  }

  /// Segments an input already made with the segmenter's preprocessing (``preprocessing``); the mask
  /// comes back at `input.geometry`'s source size.
  public func segment(_ input: ModelInput) throws -> LungSegmentation {
    try segment([input])[0]
  }

  /// Segments several inputs made with the segmenter's preprocessing in one forward pass; each mask
  /// equals the one the input gets alone (eval mode: no sample affects another).
  public func segment(_ inputs: [ModelInput]) throws -> [LungSegmentation] {
    guard !inputs.isEmpty else { return [] }
    for input in inputs where input.width != preprocessing.width || input.height != preprocessing.height {
      throw EngineError.invalidInput("the segmenter takes \(preprocessing.width)x\(preprocessing.height) inputs, not \(input.width)x\(input.height)")
    }
    let (width, height) = (preprocessing.width, preprocessing.height)
    let grey = try Tensor(inputs.flatMap(\.values), shape: [inputs.count, 1, height, width])
    let tensor = model.inputChannels == 1 ? grey : try grey.repeated([1, model.inputChannels, 1, 1])
    let all = try model.probabilities(tensor).floats()
    guard all.allSatisfy(\.isFinite) else { throw ScreeningError(.nonFiniteModelOutput, "lung segmenter probabilities") }
    return inputs.enumerated().map { index, input in
      var values = Array(all[(index * width * height)..<((index + 1) * width * height)])
      let geometry = input.geometry
      for y in 0..<height {
        for x in 0..<width where !geometry.isContent(x: x, y: y) { values[y * width + x] = 0 }
      }
      let probabilities = GrayImage(width: width, height: height, pixels: values)
      let size = options.maskSize(width: geometry.sourceWidth, height: geometry.sourceHeight)
      let (mask, assessment) = options.rules.clean(probabilities: geometry.mapToSource(probabilities, width: size.width, height: size.height),
                                                   trainingRange: trainingLungArea)
      let radius = options.dilationMargin * Double(Swift.max(size.width, size.height))
      return LungSegmentation(mask: mask, geometry: geometry, probabilities: probabilities, assessment: assessment,
                              dilationRadius: radius)
    }
  }
}

/// One image's lung mask, its measurements and its verdict.
public struct LungSegmentation: Sendable {
  /// The cleaned mask covering the image (true = lungs): at the image's own geometry, or on the smaller
  /// grid ``LungSegmenter/Options/maskLongestSide`` asks for.
  public let mask: BinaryMask
  /// How the image was fitted into the segmenter's input.
  public let geometry: LetterboxGeometry
  /// The network's lung probabilities at its input size (padding 0).
  public let probabilities: GrayImage
  /// Measurements and verdict of the cleaned mask.
  public let assessment: LungMaskAssessment
  /// The background check's margin in the mask's pixels.
  public let dilationRadius: Double

  /// Lung pixels of the mask.
  public var lungPixels: Int { assessment.lungPixels }
  /// The background check's margin in the original image's pixels.
  public var sourceDilationRadius: Double {
    dilationRadius * Double(Swift.max(geometry.sourceWidth, geometry.sourceHeight)) / Double(Swift.max(mask.width, mask.height))
  }
  /// Lung pixels as a fraction of the image.
  public var areaFraction: Double { assessment.areaFraction }
  /// Soft Dice between the probabilities and the cleaned mask (see ``LungMaskAssessment/quality``).
  public var quality: Double { assessment.quality }
  /// Whether the mask can be trusted for the background check.
  public var isPlausible: Bool { assessment.isPlausible }
  /// Why it cannot, when it cannot.
  public var reasons: [ImplausibilityReason] { assessment.reasons }

  /// The mask in the form training data and `LungMask.letterboxed(by:)` use (1 = lungs); at the
  /// image's own geometry only with the default ``LungSegmenter/Options/maskLongestSide``.
  public var lungMask: LungMask { LungMask(image: mask.grayImage()) }

  /// The lungs grown by the dilation margin, on the mask's grid: what the background check counts as
  /// inside.
  public func backgroundCheckMask() -> BinaryMask {
    mask.dilated(radius: dilationRadius)
  }

  /// The dilated mask letterboxed into a model's input (for example the classifier's, whose heatmap
  /// the background share is computed on): 1 inside, 0 outside and in the padding.
  public func backgroundCheckMask(letterboxedBy target: LetterboxGeometry) throws -> [Float] {
    guard target.sourceWidth == geometry.sourceWidth, target.sourceHeight == geometry.sourceHeight else {
      throw EngineError.invalidInput("the geometry is for a \(target.sourceWidth)x\(target.sourceHeight) image; the mask's is \(geometry.sourceWidth)x\(geometry.sourceHeight)")
    }
    return target.letterbox(backgroundCheckMask()).pixels.map { $0 ? 1 : 0 }
  }
}
