import Foundation
import Testing
import TestSupport

@Suite("isnetd inspect")
struct InspectTests {
  @Test("--json reports metadata and outcome per file; --pixels writes the modality values; a broken file fails with its code")
  func inspect() throws {
    let directory = try TemporaryDirectory()
    let good = directory.path("chest.dcm")
    let values = (0..<(20 * 30)).map { UInt16($0 * 5 % 4000) }
    try DICOMFixtures.writeMonochrome16(to: good, rows: 20, columns: 30, values: values, bitsStored: 12,
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes)
    let pixels = directory.path("chest.f32")
    let output = try Command.run(isnetdExecutable, ["inspect", good, "--json", "--pixels", pixels])
    let report = try #require(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    let text = output.lowercased()
    #expect(text.contains("\"rows\":20") || text.contains("\"rows\" : 20"))
    #expect(!text.contains("phantom"))  // the patient name never appears
    #expect(report.isEmpty == false)
    let data = try Data(contentsOf: URL(fileURLWithPath: pixels))
    #expect(data.count == 20 * 30 * 4)
    let decoded = data.withUnsafeBytes { bytes in
      (0..<(20 * 30)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
    #expect(decoded == values.map(Float.init))

    let broken = directory.path("notes.dcm")
    try "not an image".write(toFile: broken, atomically: true, encoding: .utf8)
    let error = #expect(throws: Command.Failure.self) { try Command.run(isnetdExecutable, ["inspect", broken]) }
    #expect(error?.output.contains("not_dicom") == true)
  }
}
