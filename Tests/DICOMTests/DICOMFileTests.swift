import DICOM
import Foundation
import Testing
import TestSupport

@Suite("DCMTK bridge")
struct DICOMFileTests {
  /// A 6x4 ramp that uses the full 16 bits, so a byte-order or sign mistake changes values.
  let rows = 4
  let columns = 6
  var values: [UInt16] { (0..<24).map { UInt16(($0 * 2731 + 17) % 65536) } }

  @Test("a 16-bit MONOCHROME2 file written by dump2dcm reads back with equal pixels and tags")
  func roundTrip() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("ramp.dcm")
    try DICOMFixtures.writeMonochrome16(to: path, rows: rows, columns: columns, values: values)

    let file = try DICOMFile(path: path)
    #expect(try file.string(.photometricInterpretation) == "MONOCHROME2")
    #expect(try file.string(.modality) == "OT")
    #expect(try file.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
    #expect(try file.number(.rows) == Double(rows))
    #expect(try file.string(Tag(0x0018, 0x5101)) == nil)  // ViewPosition absent

    let image = try file.decodeFirstFrame()
    #expect(image.rows == rows)
    #expect(image.columns == columns)
    #expect(image.modalityTransform == .identity)
    #expect(image.inversionPivot == nil)
    #expect(image.values == values.map(Float.init))
  }

  @Test("a truncated file is reported as truncated, naming the element it ends in, before DCMTK allocates it")
  func truncated() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("ramp.dcm")
    try DICOMFixtures.writeMonochrome16(to: path, rows: 64, columns: 64, values: [UInt16](repeating: 1000, count: 4096))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let cut = directory.path("cut.dcm")
    try bytes.prefix(bytes.count - 3000).write(to: URL(fileURLWithPath: cut))

    let error = #expect(throws: DICOMError.self) { try DICOMFile(path: cut) }
    #expect(error?.code == .truncated)
    #expect(error?.message.hasPrefix("the file ends inside element (7FE0,0010)") == true, "\(String(describing: error))")
    #expect(error?.message.hasSuffix("its value declares 8192 bytes, 5192 remain") == true)
  }

  @Test("a file that is not DICOM is reported as not_dicom, distinct from truncated")
  func notDICOM() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("notes.txt")
    try String(repeating: "this is a radiology note, not an image\n", count: 20).write(toFile: path, atomically: true, encoding: .utf8)

    let error = #expect(throws: DICOMError.self) { try DICOMFile(path: path) }
    #expect(error?.code == .notDICOM)
    #expect(error?.message.contains("meta information header missing") == true)
  }

  @Test("a missing path is unreadable")
  func missing() {
    let error = #expect(throws: DICOMError.self) { try DICOMFile(path: "/nonexistent/x.dcm") }
    #expect(error?.code == .unreadable)
  }
}
