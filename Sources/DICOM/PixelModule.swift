/// Photometric interpretations isnetd turns into gray values.
enum Photometric: String, Sendable {
  case monochrome1 = "MONOCHROME1"
  case monochrome2 = "MONOCHROME2"
  case palette = "PALETTE COLOR"
  case rgb = "RGB"
  case ybrFull = "YBR_FULL"
  case ybrFull422 = "YBR_FULL_422"
  case ybrRCT = "YBR_RCT"
  case ybrICT = "YBR_ICT"

  var samplesPerPixel: Int {
    switch self {
    case .monochrome1, .monochrome2, .palette: 1
    default: 3
    }
  }

  var isMonochrome: Bool { self == .monochrome1 || self == .monochrome2 }
}

/// The Image Pixel module of a dataset, checked: everything needed to read samples from pixel data.
struct PixelModule: Sendable {
  let rows: Int
  let columns: Int
  let samplesPerPixel: Int
  let bitsAllocated: Int
  let bitsStored: Int
  let highBit: Int
  let isSigned: Bool
  /// Planar Configuration 1: all samples of one colour plane, then the next plane.
  let isPlanar: Bool
  let photometric: Photometric
  let frames: Int
  /// Attributes that were absent or odd and were given their usual values.
  let warnings: [String]

  var pixelCount: Int { rows * columns }

  /// The bytes one native frame occupies.
  var nativeFrameBytes: Int {
    if bitsAllocated == 1 { return (pixelCount * samplesPerPixel + 7) / 8 }
    let samples = photometric == .ybrFull422 ? pixelCount * 2 : pixelCount * samplesPerPixel
    return samples * bitsAllocated / 8
  }

  /// About the most memory decoding one frame takes: the decoded samples as the codec delivers them
  /// (OpenJPEG: 32-bit integers), one Float per sample, and the Float gray image.
  func decodeBytes(codec: TransferSyntax.Decoder) -> Int {
    let sampleBytes = codec == .openJPEG ? 4 : Swift.max(1, bitsAllocated / 8)
    return pixelCount * (samplesPerPixel * (sampleBytes + 4) + 4)
  }

  /// Reads and checks the module. `maximumPixelCount` bounds Rows x Columns x frames; it is checked
  /// before anything is allocated for the pixels.
  init(_ elements: Elements, maximumPixelCount: Int) throws(DICOMError) {
    var warnings: [String] = []
    func required(_ tag: Tag, _ name: String) throws(DICOMError) -> Int {
      guard let value = try elements.integer(tag) else {
        throw DICOMError(.notAnImage, "\(name) \(tag) is missing")
      }
      return value
    }
    rows = try required(.rows, "Rows")
    columns = try required(.columns, "Columns")
    guard rows > 0, columns > 0 else {
      throw DICOMError(.notAnImage, "the image has \(rows) rows and \(columns) columns")
    }
    frames = Swift.max(1, try elements.integerString(.numberOfFrames) ?? 1)
    let (product, overflow) = rows.multipliedReportingOverflow(by: columns)
    let (total, overflowFrames) = product.multipliedReportingOverflow(by: frames)
    if overflow || overflowFrames || total > maximumPixelCount {
      throw DICOMError(
        .tooLarge,
        "\(rows) rows x \(columns) columns x \(frames) frame(s) exceeds the limit of \(maximumPixelCount) pixels")
    }
    bitsAllocated = try required(.bitsAllocated, "Bits Allocated")
    samplesPerPixel = try required(.samplesPerPixel, "Samples per Pixel")
    guard let interpretation = try elements.trimmed(.photometricInterpretation) else {
      throw DICOMError(.notAnImage, "Photometric Interpretation \(Tag.photometricInterpretation) is missing")
    }
    guard [1, 8, 16, 32].contains(bitsAllocated) else {
      throw DICOMError(.corrupt, "Bits Allocated is \(bitsAllocated); integer pixel data has 1, 8, 16 or 32")
    }
    if let stored = try elements.integer(.bitsStored) {
      bitsStored = stored
    } else {
      bitsStored = bitsAllocated
      warnings.append("Bits Stored is missing; assumed equal to Bits Allocated (\(bitsAllocated))")
    }
    guard (1...bitsAllocated).contains(bitsStored) else {
      throw DICOMError(.corrupt, "Bits Stored \(bitsStored) does not fit Bits Allocated \(bitsAllocated)")
    }
    if let high = try elements.integer(.highBit), (bitsStored - 1..<bitsAllocated).contains(high) {
      highBit = high
    } else {
      highBit = bitsStored - 1
      if elements.contains(.highBit) {
        warnings.append("High Bit does not fit Bits Stored \(bitsStored); assumed \(bitsStored - 1)")
      }
    }
    switch try elements.integer(.pixelRepresentation) {
    case 0: isSigned = false
    case 1: isSigned = true
    case nil:
      isSigned = false
      warnings.append("Pixel Representation is missing; assumed unsigned")
    case let other?:
      throw DICOMError(.corrupt, "Pixel Representation is \(other); it is 0 or 1")
    }
    guard let photometric = Photometric(rawValue: interpretation) else {
      throw DICOMError(.unsupportedPhotometricInterpretation, "Photometric Interpretation is \(interpretation)")
    }
    self.photometric = photometric
    guard samplesPerPixel == photometric.samplesPerPixel else {
      throw DICOMError(
        .corrupt, "\(interpretation) has \(photometric.samplesPerPixel) sample(s) per pixel, not \(samplesPerPixel)")
    }
    if bitsAllocated == 1 && samplesPerPixel != 1 {
      throw DICOMError(.corrupt, "1-bit pixel data with \(samplesPerPixel) samples per pixel")
    }
    if photometric == .ybrFull422 && columns % 2 != 0 {
      throw DICOMError(.corrupt, "YBR_FULL_422 needs an even number of columns, not \(columns)")
    }
    let planarConfiguration = try elements.integer(.planarConfiguration) ?? 0
    isPlanar = samplesPerPixel > 1 && planarConfiguration == 1
    self.warnings = warnings
  }
}
