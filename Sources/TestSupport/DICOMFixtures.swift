import Foundation

/// DICOM files written by DCMTK's own command-line tools, so tests read what a real toolkit wrote.
public enum DICOMFixtures {
  /// Writes a MONOCHROME2 Secondary Capture with 16-bit unsigned stored values through `dump2dcm`,
  /// explicit VR little endian. `values` are row-major, rows x columns.
  public static func writeMonochrome16(
    to path: String, rows: Int, columns: Int, values: [UInt16], bitsStored: Int = 16,
    extraAttributes: [String] = []
  ) throws {
    precondition(values.count == rows * columns, "values must hold rows x columns samples")
    let rawPath = path + ".pixels.raw"
    let dumpPath = path + ".dump"
    defer {
      try? FileManager.default.removeItem(atPath: rawPath)
      try? FileManager.default.removeItem(atPath: dumpPath)
    }
    let bytes = values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    try Data(bytes).write(to: URL(fileURLWithPath: rawPath))
    let dump = """
      (0002,0010) UI =LittleEndianExplicit
      (0008,0016) UI =SecondaryCaptureImageStorage
      (0008,0060) CS [OT]
      (0010,0010) PN [Test^Phantom]
      (0028,0002) US 1
      (0028,0004) CS [MONOCHROME2]
      (0028,0010) US \(rows)
      (0028,0011) US \(columns)
      (0028,0100) US 16
      (0028,0101) US \(bitsStored)
      (0028,0102) US \(bitsStored - 1)
      (0028,0103) US 0
      \(extraAttributes.joined(separator: "\n"))
      (7fe0,0010) OW =\(rawPath)
      """
    try dump.write(toFile: dumpPath, atomically: true, encoding: .utf8)
    try Command.run("dump2dcm", ["--quiet", "+te", "+Ug", dumpPath, path])
  }
}
