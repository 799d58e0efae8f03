import DICOM
import Foundation
import Testing
import TestSupport

/// isnetd against pydicom on the public pydicom test corpora (pydicom 3.0.2 and pydicom-data 1.0.0):
/// every file pydicom decodes, isnetd decodes to the same values; every file it cannot decode gets one
/// of isnetd's error codes, without a crash. Each deviation is listed below with its evidence.
@Suite("pydicom corpora")
struct PydicomCorpusTests {
  /// Files pydicom decodes that isnetd refuses, and the code it gives.
  static let refusedThoughPydicomDecodes: [String: DICOMError.Code] = [
    // The dataset is encoded implicit VR under an explicit-VR transfer syntax (JPEG Baseline); pydicom
    // guesses the VR per element, DCMTK parses it as declared and runs off the end of the file.
    "pydicom/SC_rgb_jpeg.dcm": .truncated
  ]

  /// Files whose pydicom reference is wrong, compared with the reference of a twin instead.
  static let comparedWithTwin: [String: String] = [
    // Big endian palette data: pydicom reads the 16-bit entries of OW palettes as if little endian
    // (255 where the little-endian twin has 65280); both twins hold the same instance.
    "pydicom-data/OBXXXX1A_expb.dcm": "pydicom-data/OBXXXX1A.dcm",
    "pydicom-data/OBXXXX1A_expb_2frame.dcm": "pydicom-data/OBXXXX1A_2frame.dcm",
    // pydicom's libjpeg refuses the non-standard SOS parameters; DCMTK's IJG decoder reads them. Same
    // SOP Instance UID as JPGExtended.dcm, which pydicom decodes.
    "pydicom/JPEG-lossy.dcm": "pydicom/JPGExtended.dcm",
  ]

  @Test("every file pydicom decodes, isnetd decodes to the same values")
  func decodedFilesMatch() throws {
    let corpus = try PydicomCorpus.shared()
    let decoded = corpus.entries.filter { $0.isDecoded }
    #expect(decoded.count >= 150, "pydicom decoded only \(decoded.count) files; is the corpus complete?")
    var compared = 0
    for entry in decoded {
      let path = corpus.path(of: entry)
      if let code = Self.refusedThoughPydicomDecodes[entry.path] {
        let error = #expect(throws: DICOMError.self, "\(entry.path)") { try DICOMImage(contentsOf: path) }
        #expect(error?.code == code, "\(entry.path)")
        continue
      }
      let reference = corpus.entry(Self.comparedWithTwin[entry.path] ?? entry.path)!
      do {
        let image = try DICOMImage(contentsOf: path)
        try Self.compare(image, with: corpus.referenceValues(of: reference), entry: reference, name: entry.path)
        compared += 1
      } catch {
        Issue.record("\(entry.path): pydicom decodes it, isnetd says \(error)")
      }
    }
    #expect(compared == decoded.count - Self.refusedThoughPydicomDecodes.count)
  }

  @Test("every file pydicom cannot decode gets an error code, and no crash")
  func undecodedFilesGetCodes() throws {
    let corpus = try PydicomCorpus.shared()
    let failed = corpus.entries.filter { !$0.isDecoded }
    #expect(failed.count >= 80)
    for entry in failed {
      let path = corpus.path(of: entry)
      if let twin = Self.comparedWithTwin[entry.path] {
        let image = try DICOMImage(contentsOf: path)
        let reference = corpus.entry(twin)!
        try Self.compare(image, with: corpus.referenceValues(of: reference), entry: reference, name: entry.path)
        continue
      }
      let error = #expect(throws: DICOMError.self, "\(entry.path) (pydicom: \(entry.error ?? ""))") {
        try DICOMImage(contentsOf: path)
      }
      if let error { #expect(!error.code.isNotScreened && !error.message.isEmpty, "\(entry.path)") }
    }
  }

  /// Compares with pydicom's values: monochrome through the same MONOCHROME1 inversion, to Float32
  /// rounding (2^-20 of the largest magnitude); lossy JPEG to within one stored level (two decoders'
  /// inverse DCTs differ); colour luminance to two 8-bit levels (pydicom rounds YBR to RGB integers
  /// first, isnetd takes Y as is), and on average to a quarter level.
  static func compare(_ image: DICOMImage, with reference: [Float], entry: PydicomCorpus.Entry, name: String) throws {
    guard image.rows == entry.rows, image.columns == entry.columns, reference.count == image.values.count else {
      Issue.record("\(name): isnetd \(image.columns) x \(image.rows), pydicom \(entry.columns ?? 0) x \(entry.rows ?? 0)")
      return
    }
    let expected = image.inversionPivot.map { pivot in reference.map { pivot - $0 } } ?? reference
    let magnitude = max(expected.map(abs).max() ?? 1, abs(image.inversionPivot ?? 0), 1)
    let rounding = magnitude / Float(1 << 20)
    let isColour = entry.colour ?? false
    let isLossyJPEG = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"].contains(entry.transferSyntax ?? "")
    var level: Float = 1
    if case .rescale(let slope, _) = image.modalityTransform { level = Float(abs(slope)) }
    let tolerance = isColour ? max(2, rounding) : (isLossyJPEG ? level + rounding : rounding)
    var worst: Float = 0
    var total: Float = 0
    for (value, wanted) in zip(image.values, expected) {
      let difference = abs(value - wanted)
      worst = max(worst, difference)
      total += difference
    }
    let mean = total / Float(expected.count)
    #expect(worst <= tolerance, "\(name): largest difference \(worst), allowed \(tolerance)")
    if isColour || isLossyJPEG {
      #expect(mean <= 0.25 * (isColour ? 1 : level) + rounding, "\(name): mean difference \(mean)")
    }
    #expect((image.convertedColour != nil) == isColour, "\(name): colour conversion")
  }
}
