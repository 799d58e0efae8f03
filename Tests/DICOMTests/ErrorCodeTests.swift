import DICOM
import Foundation
import Testing
import TestSupport

/// Each error code, the decoding ones and the acceptance ones, is produced by at least one real file:
/// from the pydicom corpora, or written by DCMTK's tools from one.
@Suite("error codes from real files")
struct ErrorCodeTests {
  /// How a file meets a code: decoding (with options) or the default acceptance rules.
  enum Stage {
    case decode(DecodeOptions)
    case accept
  }

  struct Case: Sendable {
    let code: DICOMError.Code
    let file: String
    /// Writes a derived file from `corpus` into `directory` and returns its path.
    let make: @Sendable (PydicomCorpus, TemporaryDirectory) throws -> String
    let stage: Stage
  }

  static func corpusFile(_ code: DICOMError.Code, _ path: String, stage: Stage = .decode(DecodeOptions())) -> Case {
    Case(code: code, file: path, make: { corpus, _ in corpus.corpus.appendingPathComponent(path).path }, stage: stage)
  }

  /// A copy of a corpus file changed by `dcmodify` with `arguments`.
  static func modified(_ code: DICOMError.Code, _ path: String, _ arguments: [String], stage: Stage) -> Case {
    Case(code: code, file: "\(path) + dcmodify \(arguments.joined(separator: " "))", make: { corpus, directory in
      let target = directory.path(URL(fileURLWithPath: path).lastPathComponent)
      try FileManager.default.copyItem(atPath: corpus.corpus.appendingPathComponent(path).path, toPath: target)
      try Command.run("dcmodify", ["--quiet", "-nb"] + arguments + [target])
      return target
    }, stage: stage)
  }

  static let cases: [Case] = [
    Case(code: .unreadable, file: "a directory", make: { _, directory in directory.url.path }, stage: .decode(DecodeOptions())),
    corpusFile(.notDICOM, "pydicom/no_meta.dcm"),
    corpusFile(.notDICOM, "pydicom/zipMR.gz"),
    corpusFile(.truncated, "pydicom/MR_truncated.dcm"),
    corpusFile(.truncated, "pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm"),
    corpusFile(.noPixelData, "pydicom/dicomdirtests/TINY_ALPHA/PT000000/ST000000/SE000000/IM000000"),
    Case(code: .unsupportedTransferSyntax, file: "MR_small.dcm rewrapped as MPEG2 by DCMTK", make: { corpus, directory in
      let target = directory.path("mpeg2.dcm")
      try DICOMFile(path: corpus.corpus.appendingPathComponent("pydicom/MR_small.dcm").path).writeEncapsulatedCopy(
        to: target, transferSyntaxUID: "1.2.840.10008.1.2.4.100", frames: [[0, 0, 1, 0xB3, 0, 0]])
      return target
    }, stage: .decode(DecodeOptions())),
    corpusFile(.notAnImage, "pydicom/test-SR.dcm"),
    corpusFile(.notAnImage, "pydicom/nested_priv_SQ.dcm"),
    modified(.unsupportedPhotometricInterpretation, "pydicom-data/SC_rgb.dcm", ["-m", "(0028,0004)=YBR_PARTIAL_420"],
             stage: .decode(DecodeOptions())),
    corpusFile(.tooLarge, "pydicom-data/RG1_UNCR.dcm", stage: .decode(DecodeOptions(maximumPixelCount: 3_000_000))),
    modified(.tooLarge, "pydicom/CT_small.dcm", ["-m", "(0028,0010)=65535", "-m", "(0028,0011)=65535", "-i", "(0028,0008)=1000"],
             stage: .decode(DecodeOptions())),
    corpusFile(.corruptPixelData, "pydicom/JPEG2000-embedded-sequence-delimiter.dcm"),
    corpusFile(.corrupt, "pydicom/badVR.dcm"),
    Case(code: .corruptPixelData, file: "MR_small.dcm rewrapped as RLE with an empty fragment", make: { corpus, directory in
      let target = directory.path("rle-empty.dcm")
      try DICOMFile(path: corpus.corpus.appendingPathComponent("pydicom/MR_small.dcm").path).writeEncapsulatedCopy(
        to: target, transferSyntaxUID: "1.2.840.10008.1.2.5", frames: [[]])
      return target
    }, stage: .decode(DecodeOptions())),
    modified(.nonFiniteValue, "pydicom/MR_small.dcm", ["-i", "(0028,1053)=NaN", "-i", "(0028,1052)=0"],
             stage: .decode(DecodeOptions())),
    corpusFile(.modalityNotScreened, "pydicom/CT_small.dcm", stage: .accept),
    modified(.sopClassNotScreened, "pydicom-data/RG1_UNCR.dcm", ["-m", "(0008,0016)=1.2.840.10008.5.1.4.1.1.7"], stage: .accept),
    corpusFile(.bodyPartNotScreened, "pydicom/dicomdirtests/77654033/CR1/6154", stage: .accept),
    modified(.viewNotScreened, "pydicom-data/RG1_UNCR.dcm", ["-m", "(0018,5101)=LL"], stage: .accept),
  ]

  @Test("every code in the closed set has a file that produces it")
  func everyCodeCovered() {
    let covered = Set(Self.cases.map(\.code))
    for code in DICOMError.Code.allCases {
      #expect(covered.contains(code), "no real file produces \(code.rawValue)")
    }
  }

  @Test("each file produces its code", arguments: cases.indices)
  func fileProducesCode(_ index: Int) throws {
    let item = Self.cases[index]
    let corpus = try PydicomCorpus.shared()
    let directory = try TemporaryDirectory()
    let path = try item.make(corpus, directory)
    let error = #expect(throws: DICOMError.self, "\(item.file)") {
      switch item.stage {
      case .decode(let options): _ = try DICOMFile(path: path).decodeFirstFrame(options: options)
      case .accept: try AcceptanceRules().check(DICOMFile(path: path).metadata())
      }
    }
    #expect(error?.code == item.code, "\(item.file): \(error.map(String.init(describing:)) ?? "no error")")
    #expect(error?.message.isEmpty == false)
  }

  @Test("the unmodified chest radiograph is screened and decodes")
  func chestIsScreened() throws {
    let corpus = try PydicomCorpus.shared()
    let file = try DICOMFile(path: corpus.corpus.appendingPathComponent("pydicom-data/RG1_UNCR.dcm").path)
    try AcceptanceRules().check(file.metadata())
    let image = try file.decodeFirstFrame()
    #expect(image.rows == 1955 && image.columns == 1841)
    #expect(image.inversionPivot == 32_767)
    #expect(image.voi.windows == [VOIWindow(center: 15_000, width: 30_000, explanation: nil, function: nil)])
    #expect(image.metadata.spacing == nil, "RG1 stores Pixel Spacing 0\\0 and no Imager Pixel Spacing")
  }

  @Test("codes and sentences are stable: snake_case raw values, one sentence each")
  func codesAreStable() {
    for code in DICOMError.Code.allCases {
      #expect(code.rawValue.allSatisfy { $0.isLowercase || $0 == "_" }, "\(code.rawValue)")
      #expect(code.sentence.hasSuffix("."))
      #expect(DICOMError.Code(rawValue: code.rawValue) == code)
    }
    #expect(DICOMError.Code.allCases.filter(\.isNotScreened).count == 4)
  }
}
