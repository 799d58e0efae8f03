import DICOM
public import Foundation

/// Many distinct instances cheaply (daemon and dataset tests): a small frontal chest CR written once by
/// DCMTK's dump2dcm, and copies of it that differ only in their SOP Instance UID (patched in place,
/// same length), so a thousand distinct valid files cost one dump2dcm run.
public struct InstanceFixtures {
  public let template: Data
  public let sopInstanceUID: String
  public let lateralTemplate: Data

  public init(folder: String, size: Int = 96) throws {
    let path = folder + "/template.dcm"
    // The SOP Instance UID ends in six digits that copies replace.
    let attributes = DICOMFixtures.chestRadiographAttributes.map {
      $0.hasPrefix("(0008,0018)") ? "(0008,0018) UI [1.2.826.0.1.3680043.10.1234.1.1000000]" : $0
    }
    try DICOMFixtures.writeMonochrome16(
      to: path, rows: size, columns: size, values: DICOMFixtures.chestPhantom(rows: size, columns: size, bitsStored: 12),
      bitsStored: 12, extraAttributes: attributes)
    template = try Data(contentsOf: URL(fileURLWithPath: path))
    let lateralPath = folder + "/lateral.dcm"
    try DICOMFixtures.writeMonochrome16(
      to: lateralPath, rows: size, columns: size, values: DICOMFixtures.chestPhantom(rows: size, columns: size, bitsStored: 12, seed: 2),
      bitsStored: 12, extraAttributes: attributes.map { $0.hasPrefix("(0018,5101)") ? "(0018,5101) CS [LL]" : $0 })
    lateralTemplate = try Data(contentsOf: URL(fileURLWithPath: lateralPath))
    let uid = try DICOMFile(path: path).metadata().sopInstanceUID ?? ""
    guard uid.count > 8, uid.suffix(6).allSatisfy(\.isNumber) else { throw FixtureError("unexpected SOP Instance UID \(uid)") }
    sopInstanceUID = uid
  }

  public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  /// The UID of copy `index` (0..<100,000): the template's with its last 6 digits replaced.
  public func uid(_ index: Int) -> String {
    String(sopInstanceUID.dropLast(6)) + "1" + String(format: "%05d", index)
  }

  /// A valid file whose SOP Instance UID is `uid(index)` everywhere it occurs (file meta and dataset).
  public func valid(_ index: Int, lateral: Bool = false) -> Data {
    var bytes = [UInt8](lateral ? lateralTemplate : template)
    let old = Array(sopInstanceUID.utf8)
    let new = Array(uid(index).utf8)
    var start = 0
    while let range = bytes[start...].firstRange(of: old) {
      bytes.replaceSubrange(range, with: new)
      start = range.upperBound
    }
    return Data(bytes)
  }

  /// Not DICOM at all.
  public static func garbage(_ index: Int) -> Data {
    Data("not a DICOM file, number \(index)\n".utf8) + Data(repeating: UInt8(index % 251), count: 300 + index % 97)
  }

  /// A valid file cut short inside its pixel data.
  public func truncated(_ index: Int) -> Data {
    valid(index).prefix(template.count - 1000)
  }
}

/// Writes `data` into `folder/name` the way a careful producer does: a dotfile first, then a rename.
public func drop(_ data: Data, named name: String, into folder: String) throws {
  let (subfolder, base) = ((name as NSString).deletingLastPathComponent, (name as NSString).lastPathComponent)
  let temporary = folder + "/" + (subfolder.isEmpty ? "" : subfolder + "/") + "." + base + ".part"
  try data.write(to: URL(fileURLWithPath: temporary))
  guard rename(temporary, folder + "/" + name) == 0 else { throw InstanceFixtures.FixtureError("cannot rename into \(folder)") }
}
