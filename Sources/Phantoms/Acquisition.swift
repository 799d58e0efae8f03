/// How a phantom is acquired and stored: view, modality, pixel encoding and transfer syntax. Drawn per
/// sample independently of its class (``AcquisitionMix``), so none of it carries the label.
public struct Acquisition: Sendable, Codable, Equatable, Hashable {
  /// Modality (0008,0060) and with it the SOP class.
  public enum Modality: String, Sendable, Codable, CaseIterable {
    /// Digital X-Ray Image Storage - For Presentation; rescale slope 1 and intercept 0, as the DX IOD
    /// requires.
    case dx = "DX"
    /// Computed Radiography Image Storage; any rescale.
    case cr = "CR"

    /// The SOP Class UID.
    public var sopClassUID: String {
      switch self {
      case .dx: "1.2.840.10008.5.1.4.1.1.1.1"
      case .cr: "1.2.840.10008.5.1.4.1.1.1"
      }
    }
  }

  /// Photometric Interpretation (0028,0004).
  public enum Photometric: String, Sendable, Codable, CaseIterable {
    case monochrome1 = "MONOCHROME1"
    case monochrome2 = "MONOCHROME2"
  }

  /// The transfer syntax the file is written in.
  public enum Compression: String, Sendable, Codable, CaseIterable {
    /// Explicit VR Little Endian.
    case none = "explicit-little-endian"
    /// JPEG Lossless, Process 14, Selection Value 1.
    case jpegLossless = "jpeg-lossless"
    /// RLE Lossless.
    case rle

    /// The transfer syntax UID.
    public var transferSyntaxUID: String {
      switch self {
      case .none: "1.2.840.10008.1.2.1"
      case .jpegLossless: "1.2.840.10008.1.2.4.70"
      case .rle: "1.2.840.10008.1.2.5"
      }
    }
  }

  /// View Position: PA, AP or LL.
  public var view: View
  /// DX or CR, and with it the SOP class.
  public var modality: Modality
  /// MONOCHROME1 stores bright (dense) as low values, MONOCHROME2 as high.
  public var photometric: Photometric
  /// Bits Stored, 12 to 16 (Bits Allocated is 16, samples unsigned).
  public var bitsStored: Int
  /// Rescale Slope; a power of two, so modality values are exact in Float32.
  public var rescaleSlope: Double
  /// Rescale Intercept; a whole number.
  public var rescaleIntercept: Double
  /// The transfer syntax of the file.
  public var compression: Compression

  /// An acquisition; traps on Bits Stored outside 12...16, a slope that is not positive, or a DX rescale
  /// other than slope 1, intercept 0.
  public init(view: View = .posteroanterior, modality: Modality = .dx, photometric: Photometric = .monochrome2,
              bitsStored: Int = 12, rescaleSlope: Double = 1, rescaleIntercept: Double = 0,
              compression: Compression = .none) {
    precondition((12...16).contains(bitsStored), "Bits Stored is 12 to 16")
    precondition(rescaleSlope > 0, "the rescale slope is positive")
    precondition(modality == .cr || (rescaleSlope == 1 && rescaleIntercept == 0), "DX images have slope 1, intercept 0")
    self.view = view
    self.modality = modality
    self.photometric = photometric
    self.bitsStored = bitsStored
    self.rescaleSlope = rescaleSlope
    self.rescaleIntercept = rescaleIntercept
    self.compression = compression
  }

  /// The largest stored value.
  public var maximumStored: Int { (1 << bitsStored) - 1 }
}

/// The proportions acquisitions are drawn with, one independent draw per sample.
public struct AcquisitionMix: Sendable, Codable, Equatable, Hashable {
  /// Fraction of MONOCHROME1 files.
  public var monochrome1Fraction: Double
  /// Fraction of compressed files, half JPEG Lossless and half RLE.
  public var compressedFraction: Double
  /// Fraction of CR files (the rest DX); CR files get a rescale slope of 1/4, 1/2, 1 or 2 and an
  /// intercept of 0, -1024 or 512.
  public var computedRadiographyFraction: Double
  /// Fraction of AP views among frontal ones.
  public var anteroposteriorFraction: Double
  /// Fraction of (crude) lateral views; 0 keeps every image screenable.
  public var lateralFraction: Double
  /// Bits Stored is drawn uniformly from this range (within 12...16).
  public var bitsStored: ClosedRange<Int>

  /// The proportions; each fraction must be in [0, 1] and the Bits Stored range within 12...16.
  public init(monochrome1Fraction: Double = 0.2, compressedFraction: Double = 0.25,
              computedRadiographyFraction: Double = 0.5, anteroposteriorFraction: Double = 0.3,
              lateralFraction: Double = 0, bitsStored: ClosedRange<Int> = 12...16) {
    for fraction in [monochrome1Fraction, compressedFraction, computedRadiographyFraction, anteroposteriorFraction, lateralFraction] {
      precondition((0...1).contains(fraction), "fractions are in [0, 1]")
    }
    precondition(bitsStored.lowerBound >= 12 && bitsStored.upperBound <= 16, "Bits Stored is 12 to 16")
    self.monochrome1Fraction = monochrome1Fraction
    self.compressedFraction = compressedFraction
    self.computedRadiographyFraction = computedRadiographyFraction
    self.anteroposteriorFraction = anteroposteriorFraction
    self.lateralFraction = lateralFraction
    self.bitsStored = bitsStored
  }

  /// The acquisition of the sample with `seed`: a fixed number of draws from its own stream, so
  /// changing one fraction does not reshuffle the others.
  public func draw(seed: UInt64) -> Acquisition {
    var random = SplitMix64(seed: SplitMix64.derive(seed, SplitMix64.code("acquisition")))
    let lateral = random.chance(lateralFraction)
    let anteroposterior = random.chance(anteroposteriorFraction)
    let computed = random.chance(computedRadiographyFraction)
    let monochrome1 = random.chance(monochrome1Fraction)
    let compressed = random.chance(compressedFraction)
    let jpeg = random.chance(0.5)
    let bits = random.integer(bitsStored)
    let slope = random.pick([0.25, 0.5, 1, 2])
    let intercept = random.pick([0.0, -1024, 512])
    return Acquisition(
      view: lateral ? .lateral : anteroposterior ? .anteroposterior : .posteroanterior,
      modality: computed ? .cr : .dx, photometric: monochrome1 ? .monochrome1 : .monochrome2, bitsStored: bits,
      rescaleSlope: computed ? slope : 1, rescaleIntercept: computed ? intercept : 0,
      compression: compressed ? (jpeg ? .jpegLossless : .rle) : .none)
  }
}
