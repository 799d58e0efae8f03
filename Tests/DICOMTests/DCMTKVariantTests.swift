import DICOM
import Foundation
import Testing
import TestSupport

/// One synthetic 16-bit image, re-encoded by DCMTK's own tools (and OpenJPEG's), must decode to the
/// same modality values every time; MONOCHROME1 comes out inverted, rescale applied in Float32.
@Suite("DCMTK-generated variants of one 16-bit image")
struct DCMTKVariantTests {
  static let rows = 40
  static let columns = 36

  /// A chest phantom with the extremes 0 and 65535 present, so a lost bit or a wrong sign shows.
  static let values: [UInt16] = {
    var values = DICOMFixtures.chestPhantom(rows: rows, columns: columns, seed: 7)
    values[0] = 0
    values[1] = 65_535
    values[2] = 32_768
    return values
  }()

  /// Writes the source file (explicit VR little endian, CR chest attributes) into `directory`.
  static func source(in directory: TemporaryDirectory) throws -> String {
    let path = directory.path("source.dcm")
    try DICOMFixtures.writeMonochrome16(to: path, rows: rows, columns: columns, values: values,
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes)
    return path
  }

  static let lossless: [DICOMFixtures.Variant] = [
    .implicitLittleEndian, .explicitBigEndian, .deflated, .jpegLossless, .jpegLSLossless, .rle,
  ]

  @Test("the source decodes to the exact stored values, with no transform")
  func sourceDecodes() throws {
    let directory = try TemporaryDirectory()
    let image = try DICOMImage(contentsOf: Self.source(in: directory))
    #expect(image.rows == Self.rows && image.columns == Self.columns)
    #expect(image.values == Self.values.map(Float.init))
    #expect(image.modalityTransform == .identity)
    #expect(image.inversionPivot == nil)
    #expect(image.valueRange == 0...65_535)
    #expect(image.metadata.transferSyntax.decoder == .native)
  }

  @Test("every lossless re-encoding decodes to identical values", arguments: lossless)
  func losslessVariant(_ variant: DICOMFixtures.Variant) throws {
    let directory = try TemporaryDirectory()
    let target = directory.path("\(variant.rawValue).dcm")
    try variant.write(from: Self.source(in: directory), to: target)
    let image = try DICOMImage(contentsOf: target)
    #expect(image.values == Self.values.map(Float.init))
    let expectedDecoder: TransferSyntax.Decoder = switch variant {
    case .jpegLossless, .rle: .dcmtk
    case .jpegLSLossless: .charLS
    default: .native
    }
    #expect(image.metadata.transferSyntax.decoder == expectedDecoder)
  }

  @Test("JPEG 2000 lossless from OpenJPEG, wrapped by DCMTK, decodes to identical values")
  func jpeg2000Lossless() throws {
    let directory = try TemporaryDirectory()
    let target = directory.path("j2k.dcm")
    let codestream = try DICOMFixtures.jpeg2000Codestream(values: Self.values, rows: Self.rows, columns: Self.columns)
    try DICOMFile(path: Self.source(in: directory)).writeEncapsulatedCopy(
      to: target, transferSyntaxUID: "1.2.840.10008.1.2.4.90", frames: [Array(codestream)])
    let image = try DICOMImage(contentsOf: target)
    #expect(image.metadata.transferSyntax.uid == "1.2.840.10008.1.2.4.90")
    #expect(image.metadata.transferSyntax.decoder == .openJPEG)
    #expect(image.values == Self.values.map(Float.init))
  }

  @Test("lossy JPEG 2000 decodes to what opj_decompress decodes, close to the original")
  func jpeg2000Lossy() throws {
    let directory = try TemporaryDirectory()
    let codestream = try DICOMFixtures.jpeg2000Codestream(
      values: Self.values, rows: Self.rows, columns: Self.columns, lossyRatio: 4)
    let target = directory.path("j2k-lossy.dcm")
    try DICOMFile(path: Self.source(in: directory)).writeEncapsulatedCopy(
      to: target, transferSyntaxUID: "1.2.840.10008.1.2.4.91", frames: [Array(codestream)])
    let image = try DICOMImage(contentsOf: target)

    let j2k = directory.path("frame.j2k")
    let raw = directory.path("frame.rawl")
    try codestream.write(to: URL(fileURLWithPath: j2k))
    try Command.run("opj_decompress", ["-quiet", "-i", j2k, "-o", raw])
    #expect(image.values == (try Self.readLittleEndian16(raw)).map(Float.init))

    let errors = zip(image.values, Self.values).map { abs($0 - Float($1)) }
    let mean = errors.reduce(0, +) / Float(errors.count)
    #expect(mean > 0, "an irreversible wavelet at 4:1 changes some values")
    #expect(mean < 0.05 * 65_535, "mean error \(mean)")
  }

  @Test("MONOCHROME1 comes out inverted: 65535 - stored, for native and JPEG lossless data")
  func monochrome1() throws {
    let directory = try TemporaryDirectory()
    let inverted = directory.path("mono1.dcm")
    try DICOMFixtures.Variant.monochrome1.write(from: Self.source(in: directory), to: inverted)
    let compressed = directory.path("mono1-jpeg.dcm")
    try DICOMFixtures.Variant.jpegLossless.write(from: inverted, to: compressed)
    for path in [inverted, compressed] {
      let image = try DICOMImage(contentsOf: path)
      #expect(image.metadata.photometricInterpretation == "MONOCHROME1")
      #expect(image.inversionPivot == 65_535)
      #expect(image.values == Self.values.map { 65_535 - Float($0) }, "\(path)")
    }
  }

  @Test("Rescale Slope and Intercept are applied in Float32 arithmetic")
  func rescale() throws {
    let directory = try TemporaryDirectory()
    let rescaled = directory.path("rescale.dcm")
    try DICOMFixtures.Variant.rescale.write(from: Self.source(in: directory), to: rescaled)
    let image = try DICOMImage(contentsOf: rescaled)
    #expect(image.modalityTransform == .rescale(slope: 0.5, intercept: -1024))
    #expect(image.values == Self.values.map { Float($0) * 0.5 - 1024 })
    #expect(image.valueRange == -1024...31_743.5)

    // Both at once: the pivot is the sum of the modality range's ends.
    let both = directory.path("rescale-mono1.dcm")
    try DICOMFixtures.Variant.monochrome1.write(from: rescaled, to: both)
    let inverted = try DICOMImage(contentsOf: both)
    #expect(inverted.inversionPivot == -1024 + 31_743.5)
    #expect(inverted.values == Self.values.map { (-1024 + 31_743.5) - (Float($0) * 0.5 - 1024) })
  }

  @Test("a Modality LUT Sequence maps stored values, clamping below the first mapped value and past the end")
  func modalityLUT() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("lut.dcm")
    let stored: [UInt16] = (0..<64).map { UInt16($0 * 4) }  // 0 ... 252, 8 bits stored
    let entries = (0..<200).map { 1000 + 3 * $0 }
    try DICOMFixtures.writeMonochrome16(
      to: path, rows: 8, columns: 8, values: stored, bitsStored: 8,
      extraAttributes: [
        "(0028,3000) SQ (Sequence with undefined length)",
        "(fffe,e000) na (Item with undefined length)",
        "(0028,3002) US 200\\20\\16",
        "(0028,3003) LO [test LUT]",
        "(0028,3006) US \(entries.map(String.init).joined(separator: "\\"))",
        "(fffe,e00d) na (ItemDelimitationItem)",
        "(fffe,e0dd) na (SequenceDelimitationItem)",
        "(0028,1052) DS [-5000]",  // ignored: the LUT takes precedence
        "(0028,1053) DS [7]",
      ])
    let image = try DICOMImage(contentsOf: path)
    guard case .lookupTable(let table) = image.modalityTransform else {
      Issue.record("expected a lookup table, got \(image.modalityTransform)")
      return
    }
    #expect(table.firstMapped == 20 && table.entries.count == 200 && table.explanation == "test LUT")
    #expect(image.values == stored.map { Float(entries[min(max(Int($0) - 20, 0), 199)]) })
    #expect(image.valueRange == 1000...1597)
  }

  /// Reads raw little-endian 16-bit samples, as opj_decompress writes a .rawl file.
  static func readLittleEndian16(_ path: String) throws -> [UInt16] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return stride(from: 0, to: data.count - 1, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
  }
}
