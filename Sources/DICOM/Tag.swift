/// A DICOM attribute tag (group, element).
public struct Tag: Hashable, Sendable, CustomStringConvertible {
  public let group: UInt16
  public let element: UInt16

  public init(_ group: UInt16, _ element: UInt16) {
    self.group = group
    self.element = element
  }

  public var description: String {
    "(\(hex(group)),\(hex(element)))"
  }

  private func hex(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
  }
}

extension Tag {
  // File meta information.
  public static let transferSyntaxUID = Tag(0x0002, 0x0010)

  // Identification.
  public static let sopClassUID = Tag(0x0008, 0x0016)
  public static let sopInstanceUID = Tag(0x0008, 0x0018)
  public static let accessionNumber = Tag(0x0008, 0x0050)
  public static let modality = Tag(0x0008, 0x0060)
  public static let manufacturer = Tag(0x0008, 0x0070)
  public static let patientName = Tag(0x0010, 0x0010)
  public static let patientID = Tag(0x0010, 0x0020)
  public static let patientSex = Tag(0x0010, 0x0040)
  public static let patientAge = Tag(0x0010, 0x1010)
  public static let bodyPartExamined = Tag(0x0018, 0x0015)
  public static let imagerPixelSpacing = Tag(0x0018, 0x1164)
  public static let viewPosition = Tag(0x0018, 0x5101)
  public static let studyInstanceUID = Tag(0x0020, 0x000D)
  public static let seriesInstanceUID = Tag(0x0020, 0x000E)

  // Image Pixel module.
  public static let samplesPerPixel = Tag(0x0028, 0x0002)
  public static let photometricInterpretation = Tag(0x0028, 0x0004)
  public static let planarConfiguration = Tag(0x0028, 0x0006)
  public static let numberOfFrames = Tag(0x0028, 0x0008)
  public static let rows = Tag(0x0028, 0x0010)
  public static let columns = Tag(0x0028, 0x0011)
  public static let pixelSpacing = Tag(0x0028, 0x0030)
  public static let bitsAllocated = Tag(0x0028, 0x0100)
  public static let bitsStored = Tag(0x0028, 0x0101)
  public static let highBit = Tag(0x0028, 0x0102)
  public static let pixelRepresentation = Tag(0x0028, 0x0103)

  // Modality LUT and VOI LUT modules.
  public static let windowCenter = Tag(0x0028, 0x1050)
  public static let windowWidth = Tag(0x0028, 0x1051)
  public static let rescaleIntercept = Tag(0x0028, 0x1052)
  public static let rescaleSlope = Tag(0x0028, 0x1053)
  public static let windowExplanation = Tag(0x0028, 0x1055)
  public static let voiLUTFunction = Tag(0x0028, 0x1056)
  public static let modalityLUTSequence = Tag(0x0028, 0x3000)
  public static let lutDescriptor = Tag(0x0028, 0x3002)
  public static let lutExplanation = Tag(0x0028, 0x3003)
  public static let lutData = Tag(0x0028, 0x3006)
  public static let voiLUTSequence = Tag(0x0028, 0x3010)

  // Palette Color Lookup Table module.
  public static let redPaletteDescriptor = Tag(0x0028, 0x1101)
  public static let greenPaletteDescriptor = Tag(0x0028, 0x1102)
  public static let bluePaletteDescriptor = Tag(0x0028, 0x1103)
  public static let redPaletteData = Tag(0x0028, 0x1201)
  public static let greenPaletteData = Tag(0x0028, 0x1202)
  public static let bluePaletteData = Tag(0x0028, 0x1203)
  public static let segmentedRedPaletteData = Tag(0x0028, 0x1221)
  public static let segmentedGreenPaletteData = Tag(0x0028, 0x1222)
  public static let segmentedBluePaletteData = Tag(0x0028, 0x1223)

  public static let pixelData = Tag(0x7FE0, 0x0010)
}
