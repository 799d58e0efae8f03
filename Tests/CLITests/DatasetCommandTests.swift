import Foundation
import Testing
import TestSupport

@Suite("isnetd dataset check")
struct DatasetCommandTests {
  @Test("prints per class the parts and masks, repeated instances and unusable files; exits 1 when any file is unusable")
  func check() throws {
    let directory = try TemporaryDirectory(prefix: "isnetd-dataset")
    let fixtures = try InstanceFixtures(folder: directory.path(""))
    let root = directory.path("site")
    for name in ["normal", "pneumonia"] { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
    for index in 0..<30 {
      try fixtures.valid(index).write(to: URL(fileURLWithPath: "\(root)/\(index < 20 ? "normal" : "pneumonia")/\(index).dcm"))
    }
    let clean = try Command.run(isnetdExecutable, ["dataset", "check", root])
    let lines = clean.split(separator: "\n").map(String.init)
    #expect(lines.first == "\(root): 2 classes, 30 usable images, 0 unusable; validation: 20 % of instances, by SOP Instance UID")
    let normal = try #require(lines.first { $0.hasPrefix("normal") }).split(separator: " ").compactMap { Int($0) }
    #expect(normal.count == 4 && normal[0] + normal[1] == 20 && normal[2] == 0 && normal[3] == 20, "\(lines)")

    try fixtures.valid(4).write(to: URL(fileURLWithPath: "\(root)/pneumonia/copy.dcm"))
    try InstanceFixtures.garbage(2).write(to: URL(fileURLWithPath: "\(root)/normal/garbage.dcm"))
    let failure = try #require(throws: Command.Failure.self) { try Command.run(isnetdExecutable, ["dataset", "check", root]) }
    #expect(failure.status == 1)
    #expect(failure.output.contains("instances present more than once (kept in one part): 1"))
    #expect(failure.output.contains("\(root)/normal/garbage.dcm: not_dicom:"))

    let json = try JSONSerialization.jsonObject(with: Data(try #require(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["dataset", "check", root, "--json"])
    }.output.utf8)) as? [String: Any]
    #expect((json?["unusable"] as? [[String: Any]])?.first?["code"] as? String == "not_dicom")
  }
}
