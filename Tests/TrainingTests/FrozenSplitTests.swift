import DICOM
import Foundation
import Screening
import Testing
import TestSupport
import Training

@Suite("Frozen validation split and the site dataset")
struct FrozenSplitTests {
  @Test("the part depends on the SOP Instance UID alone, and about the asked share lands in validation")
  func shares() throws {
    let split = try FrozenSplit(validationFraction: 0.2)
    let uids = (0..<20_000).map { "1.2.826.0.1.3680043.10.99.\($0)" }
    let parts = uids.map(split.part(ofInstance:))
    let share = Double(parts.filter { $0 == .validation }.count) / Double(uids.count)
    #expect(abs(share - 0.2) < 0.01, "\(share)")
    #expect(uids.map(split.part(ofInstance:)) == parts)
    // Pinned positions of the rule (SHA-256 of "isnetd-split-v1:" + UID, computed with Python's hashlib:
    // 1.2.3 at 0.0366, 2.25.4 at 0.2761, 1.2.840.10008.1 at 0.7725): a change of the rule would move
    // images between the parts of every site, so it must fail here first.
    #expect(split.part(ofInstance: "1.2.3") == .validation)
    #expect(split.part(ofInstance: "2.25.4") == .train)
    #expect(try FrozenSplit(validationFraction: 0.3).part(ofInstance: "2.25.4") == .validation)
    #expect(try FrozenSplit(validationFraction: 0.77).part(ofInstance: "1.2.840.10008.1") == .train)
    #expect(try FrozenSplit(validationFraction: 0.78).part(ofInstance: "1.2.840.10008.1") == .validation)
    for fraction in [0.0, 1.0, -0.1, .nan] { #expect(throws: SplitError.self) { try FrozenSplit(validationFraction: fraction) } }
  }

  @Test("adding 20 % more images moves no image between the parts; copies of one instance stay together")
  func stableAsDataGrows() throws {
    let directory = try TemporaryDirectory(prefix: "isnetd-site")
    let fixtures = try InstanceFixtures(folder: directory.path(""))
    let root = directory.path("site")
    for name in ["normal", "pneumonia"] { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
    func add(_ indices: Range<Int>) throws {
      for index in indices {
        try fixtures.valid(index).write(to: URL(fileURLWithPath: "\(root)/\(index % 2 == 0 ? "normal" : "pneumonia")/image-\(index).dcm"))
      }
    }
    try add(0..<100)
    let split = try FrozenSplit(validationFraction: 0.2)
    let before = try SiteDataset(root: root, split: split)
    #expect(before.images.count == 100)
    #expect(Set(before.images.map(\.part)) == [.train, .validation])
    try add(100..<120)
    // A copy of one instance under another name (and class) goes where the instance goes.
    try fixtures.valid(3).write(to: URL(fileURLWithPath: "\(root)/normal/copy-of-3.dcm"))
    let after = try SiteDataset(root: root, split: split)
    #expect(after.images.count == 121)
    let partsBefore = Dictionary(uniqueKeysWithValues: before.images.map { ($0.path, $0.part) })
    for image in after.images where partsBefore[image.path] != nil {
      #expect(image.part == partsBefore[image.path], "\(image.path) moved")
    }
    let copies = try #require(after.repeatedInstances[fixtures.uid(3)])
    #expect(copies.count == 2)
    #expect(Set(after.images.filter { $0.sopInstanceUID == fixtures.uid(3) }.map(\.part)).count == 1)
  }

  @Test("unusable files are listed with their code and do not stop the load; counts per class and mask")
  func unusableAndCounts() throws {
    let directory = try TemporaryDirectory(prefix: "isnetd-site")
    let fixtures = try InstanceFixtures(folder: directory.path(""))
    let root = directory.path("site")
    for name in ["covid-19", "normal"] { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
    for index in 0..<10 { try fixtures.valid(index).write(to: URL(fileURLWithPath: "\(root)/covid-19/\(index).dcm")) }
    try Data([0x89, 0x50]).write(to: URL(fileURLWithPath: "\(root)/covid-19/0.mask.png"))
    try fixtures.valid(10).write(to: URL(fileURLWithPath: "\(root)/normal/ok.dcm"))
    try InstanceFixtures.garbage(1).write(to: URL(fileURLWithPath: "\(root)/normal/garbage.dcm"))
    try fixtures.truncated(11).write(to: URL(fileURLWithPath: "\(root)/normal/cut.dcm"))
    let dataset = try SiteDataset(root: root, split: FrozenSplit())
    #expect(dataset.images.count == 11)
    #expect(Dictionary(uniqueKeysWithValues: dataset.unreadable.map { (($0.path as NSString).lastPathComponent, $0.problem.code) })
      == ["garbage.dcm": "not_dicom", "cut.dcm": "truncated"])
    let counts = dataset.countsPerClass
    #expect(counts.map(\.className) == ["covid-19", "normal"])
    #expect(counts[0].train + counts[0].validation == 10)
    #expect(counts[0].withMask == 1 && counts[0].needingPseudoMask == 9)
    #expect(counts[1].train + counts[1].validation == 1)
  }
}
