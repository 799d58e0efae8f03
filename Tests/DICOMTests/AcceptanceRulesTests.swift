import DICOM
import Foundation
import Testing
import TestSupport

@Suite("acceptance rules and patient fields")
struct AcceptanceRulesTests {
  /// Metadata of a small CR chest file written by dump2dcm, with `attributes` added.
  static func metadata(_ attributes: [String] = []) throws -> DICOMMetadata {
    let directory = try TemporaryDirectory()
    let path = directory.path("cr.dcm")
    try DICOMFixtures.writeMonochrome16(to: path, rows: 2, columns: 2, values: [0, 1, 2, 3],
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes + attributes)
    return try DICOMFile(path: path).metadata()
  }

  static func code(_ metadata: DICOMMetadata, _ rules: AcceptanceRules = AcceptanceRules()) -> DICOMError.Code? {
    do {
      try rules.check(metadata)
      return nil
    } catch {
      return error.code
    }
  }

  @Test("a CR chest PA is screened; AP too; a lateral is not, and says so")
  func views() throws {
    var metadata = try Self.metadata()
    #expect(Self.code(metadata) == nil)
    metadata.viewPosition = "ap "
    #expect(Self.code(metadata) == nil, "values compare trimmed and upper-cased")
    metadata.viewPosition = "LL"
    let error = #expect(throws: DICOMError.self) { try AcceptanceRules().check(metadata) }
    #expect(error?.code == .viewNotScreened)
    #expect(error?.message.contains("lateral") == true)
    metadata.viewPosition = "RLO"
    #expect(Self.code(metadata) == .viewNotScreened)
  }

  @Test("a missing view is screened by default, refused when configured")
  func missingView() throws {
    var metadata = try Self.metadata()
    metadata.viewPosition = nil
    #expect(Self.code(metadata) == nil)
    #expect(Self.code(metadata, AcceptanceRules(acceptMissingView: false)) == .viewNotScreened)
  }

  @Test("body part: chest synonyms pass, others fail, absence passes")
  func bodyPart() throws {
    var metadata = try Self.metadata()
    for part in ["CHEST", "THORAX", "lung"] {
      metadata.bodyPartExamined = part
      #expect(Self.code(metadata) == nil, "\(part)")
    }
    metadata.bodyPartExamined = "HAND"
    #expect(Self.code(metadata) == .bodyPartNotScreened)
    metadata.bodyPartExamined = nil
    #expect(Self.code(metadata) == nil)
  }

  @Test("modality and SOP class are checked in that order, and configurable")
  func modalityAndSOPClass() throws {
    var metadata = try Self.metadata()
    metadata.modality = "DX"
    metadata.sopClassUID = SOPClass.digitalXRayForPresentation
    #expect(Self.code(metadata) == nil)
    metadata.modality = "MR"
    metadata.sopClassUID = "1.2.840.10008.5.1.4.1.1.4"
    #expect(Self.code(metadata) == .modalityNotScreened)
    metadata.modality = "CR"
    #expect(Self.code(metadata) == .sopClassNotScreened)
    metadata.modality = nil
    #expect(Self.code(metadata) == .modalityNotScreened)
    let rules = AcceptanceRules(modalities: ["MR"], sopClassUIDs: ["1.2.840.10008.5.1.4.1.1.4"])
    metadata.modality = "MR"
    #expect(Self.code(metadata, rules) == nil)
    metadata.sopClassUID = "1.2.840.10008.5.1.4.1.1.88.11"  // Basic Text SR: never an image class
    #expect(Self.code(metadata, AcceptanceRules(modalities: ["MR"], sopClassUIDs: ["1.2.840.10008.5.1.4.1.1.88.11"]))
      == .sopClassNotScreened)
  }

  @Test("patient fields are read but never printed, dumped or encoded")
  func patientRedacted() throws {
    let metadata = try Self.metadata(["(0010,0020) LO [PID-4711]"])
    #expect(metadata.patient.name == "Test^Phantom")
    #expect(metadata.patient.id == "PID-4711")
    var dumped = ""
    dump(metadata, to: &dumped)
    let json = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
    for text in [String(describing: metadata), String(reflecting: metadata), "\(metadata.patient)", dumped, json] {
      #expect(!text.contains("Phantom") && !text.contains("PID-4711"), "\(text)")
    }
    #expect(json.contains("1.2.826.0.1.3680043.10.1234.1.1"), "the rest is encoded")
  }

  @Test("metadata reports spacing, transfer syntax and identifiers")
  func metadataFields() throws {
    let metadata = try Self.metadata(["(0008,0050) SH [ACC-1]", "(0008,0070) LO [Phantom Works]"])
    #expect(metadata.sopClassName == "ComputedRadiographyImageStorage")
    #expect(metadata.modality == "CR" && metadata.bodyPartExamined == "CHEST" && metadata.viewPosition == "PA")
    #expect(metadata.rows == 2 && metadata.columns == 2 && metadata.bitsStored == 16 && metadata.numberOfFrames == 1)
    #expect(metadata.imagerPixelSpacing == [0.15, 0.15])
    #expect(metadata.spacing?.row == 0.15)
    #expect(metadata.accessionNumber == "ACC-1" && metadata.manufacturer == "Phantom Works")
    #expect(metadata.transferSyntax.uid == "1.2.840.10008.1.2.1")
    #expect(metadata.transferSyntax.decoder == .native)
    #expect(metadata.studyInstanceUID == "1.2.826.0.1.3680043.10.1234.2")
  }
}
