import DICOM
import Foundation
import Imaging
import PNG
import Phantoms
import Testing
import TestSupport

@Suite("Phantoms as DICOM files")
struct DICOMRoundTripTests {
  static let acquisitions: [Acquisition] = [
    Acquisition(modality: .dx, photometric: .monochrome2, bitsStored: 12),
    Acquisition(modality: .cr, photometric: .monochrome1, bitsStored: 16, rescaleSlope: 0.25, rescaleIntercept: -1024),
    Acquisition(view: .anteroposterior, modality: .dx, photometric: .monochrome1, bitsStored: 15, compression: .jpegLossless),
    Acquisition(modality: .cr, photometric: .monochrome2, bitsStored: 13, rescaleSlope: 2, rescaleIntercept: 512,
                compression: .jpegLossless),
    Acquisition(modality: .cr, photometric: .monochrome1, bitsStored: 14, rescaleSlope: 0.5, compression: .rle),
    Acquisition(view: .lateral, modality: .dx, photometric: .monochrome2, bitsStored: 16, compression: .rle),
  ]

  @Test("isnetd's DICOM input decodes exactly the phantom's modality values, and reads the header back",
        arguments: 0..<6)
  func decodes(index: Int) throws {
    let acquisition = Self.acquisitions[index]
    let directory = try TemporaryDirectory()
    let phantom = PhantomRenderer.render(spec(seed: UInt64(100 + index), .covid19, marker: Marker(kind: .noiseSignature, style: .pneumonia),
                                              acquisition: acquisition))
    let path = directory.path("p.dcm")
    try writePhantom(phantom, dicom: path)
    let file = try DICOMFile(path: path)
    let decoded = try file.decodeFirstFrame()
    #expect(decoded.image == phantom.modalityImage)
    #expect(decoded.warnings.isEmpty)
    let metadata = decoded.metadata
    #expect(metadata.transferSyntax.uid == acquisition.compression.transferSyntaxUID)
    #expect(metadata.photometricInterpretation == acquisition.photometric.rawValue)
    #expect(metadata.bitsStored == acquisition.bitsStored)
    #expect(metadata.bitsAllocated == 16)
    #expect(metadata.modality == acquisition.modality.rawValue)
    #expect(metadata.sopClassUID == acquisition.modality.sopClassUID)
    #expect(metadata.viewPosition == acquisition.view.rawValue)
    #expect(metadata.bodyPartExamined == "CHEST")
    #expect(metadata.manufacturer == "isnetd phantom")
    #expect(metadata.spacing != nil)
    #expect(metadata.patient.name == "PHANTOM^\(phantom.spec.patientNumber)")
    #expect(try file.string(Tag(0x0008, 0x103E))?.contains("NOT FOR CLINICAL USE") == true)
    if acquisition.view.isFrontal {
      try AcceptanceRules().check(metadata)
    } else {
      #expect(throws: DICOMError.self) { try AcceptanceRules().check(metadata) }
    }
  }

  @Test("JPEG lossless and RLE files decode to the same values as the uncompressed file")
  func compressedEqualsUncompressed() throws {
    let directory = try TemporaryDirectory()
    var values: [Acquisition.Compression: GrayImage] = [:]
    for compression in Acquisition.Compression.allCases {
      let phantom = PhantomRenderer.render(spec(seed: 9, .pneumonia, size: 120, acquisition: Acquisition(
        modality: .cr, photometric: .monochrome1, bitsStored: 16, rescaleSlope: 0.5, rescaleIntercept: -1024,
        compression: compression)))
      let path = directory.path("\(compression.rawValue).dcm")
      try writePhantom(phantom, dicom: path)
      values[compression] = try DICOMImage(contentsOf: path).image
    }
    #expect(values[.none] != nil)
    #expect(values[.jpegLossless] == values[.none])
    #expect(values[.rle] == values[.none])
    let compressedSize = try FileManager.default.attributesOfItem(atPath: directory.path("jpeg-lossless.dcm"))[.size] as? Int
    let plainSize = try FileManager.default.attributesOfItem(atPath: directory.path("explicit-little-endian.dcm"))[.size] as? Int
    #expect(compressedSize! < plainSize!)
  }

  @Test("dcmdump reads every kind of file without an error or warning")
  func dcmdumpReads() throws {
    let directory = try TemporaryDirectory()
    for (index, acquisition) in Self.acquisitions.enumerated() {
      let phantom = PhantomRenderer.render(spec(seed: UInt64(200 + index), acquisition: acquisition))
      let path = directory.path("\(index).dcm")
      try writePhantom(phantom, dicom: path)
      let output = try Command.run("dcmdump", ["-dc", "+E", path])
      #expect(!output.contains("E: ") && !output.contains("W: "))
      #expect(output.contains("(0008,0070) LO [isnetd phantom]"))
      let name = switch acquisition.compression {
      case .none: "LittleEndianExplicit"
      case .jpegLossless: "JPEGLossless:Non-hierarchical-1stOrderPrediction"
      case .rle: "RLELossless"
      }
      #expect(output.contains("(0002,0010) UI =\(name)"))
    }
  }

  @Test("the mask PNG isnetd reads back is the phantom's mask")
  func maskRoundTrip() throws {
    let directory = try TemporaryDirectory()
    let phantom = PhantomRenderer.render(PhantomSpec(seed: 12, condition: .normal, width: 90, height: 70))
    try writePhantom(phantom, dicom: directory.path("m.dcm"), mask: directory.path("m.mask.png"))
    let png = try PNGImage(decoding: Array(Data(contentsOf: directory.url.appendingPathComponent("m.mask.png"))))
    #expect(png.width == 90 && png.height == 70)
    #expect(png.pixels.map { $0 > 127 ? UInt8(1) : 0 } == phantom.lungMask)
  }
}
