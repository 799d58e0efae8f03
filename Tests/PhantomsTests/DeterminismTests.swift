import DICOM
import Foundation
import Imaging
import Phantoms
import Testing
import TestSupport

@Suite("Phantoms are deterministic")
struct DeterminismTests {
  @Test("the same spec renders the same pixels, mask, stored values and header")
  func sameSpecSameRendering() {
    let acquisition = Acquisition(view: .anteroposterior, modality: .cr, photometric: .monochrome1, bitsStored: 14,
                                  rescaleSlope: 0.5, rescaleIntercept: -1024)
    let a = PhantomRenderer.render(spec(seed: 42, .pneumonia, marker: Marker(kind: .text, style: .pneumonia), acquisition: acquisition))
    let b = PhantomRenderer.render(spec(seed: 42, .pneumonia, marker: Marker(kind: .text, style: .pneumonia), acquisition: acquisition))
    #expect(a.image == b.image)
    #expect(a.lungMask == b.lungMask)
    #expect(a.storedValues == b.storedValues)
    #expect(a.attributes == b.attributes)
    #expect(a.finding == b.finding)
  }

  @Test("different seeds give different anatomy, pixels and identifiers")
  func differentSeedsDiffer() {
    let a = PhantomRenderer.render(spec(seed: 1))
    let b = PhantomRenderer.render(spec(seed: 2))
    #expect(a.lungMask != b.lungMask)
    #expect(a.storedValues != b.storedValues)
    let uid = { (p: Phantom) in p.attributes.first { $0.keyword == "SOPInstanceUID" }!.value }
    #expect(uid(a) != uid(b))
  }

  @Test("rendering on several threads gives what one thread gives, in order")
  func threadCountDoesNotMatter() throws {
    let specs = (0..<6).map { spec(seed: UInt64($0), PhantomClass.allCases[$0 % 3], size: 64) }
    let one = try PhantomRenderer.render(specs, threads: 1) { $0.storedValues }
    let three = try PhantomRenderer.render(specs, threads: 3) { $0.storedValues }
    #expect(one == three)
    #expect(one[0] == PhantomRenderer.render(specs[0]).storedValues)
  }

  @Test("the same phantom writes the same DICOM and mask bytes", arguments: Acquisition.Compression.allCases)
  func sameBytes(compression: Acquisition.Compression) throws {
    let directory = try TemporaryDirectory()
    let acquisition = Acquisition(modality: .cr, bitsStored: 16, rescaleSlope: 2, rescaleIntercept: 512, compression: compression)
    for name in ["a", "b"] {
      let phantom = PhantomRenderer.render(spec(seed: 7, .covid19, marker: Marker(kind: .tag, style: .normal), acquisition: acquisition))
      try writePhantom(phantom, dicom: directory.path("\(name).dcm"), mask: directory.path("\(name).mask.png"))
    }
    let a = try Data(contentsOf: directory.url.appendingPathComponent("a.dcm"))
    let b = try Data(contentsOf: directory.url.appendingPathComponent("b.dcm"))
    #expect(a == b)
    #expect(a.count > 1000)
    #expect(try Data(contentsOf: directory.url.appendingPathComponent("a.mask.png"))
      == Data(contentsOf: directory.url.appendingPathComponent("b.mask.png")))
    let other = PhantomRenderer.render(spec(seed: 8, .covid19, marker: Marker(kind: .tag, style: .normal), acquisition: acquisition))
    try writePhantom(other, dicom: directory.path("c.dcm"))
    #expect(try Data(contentsOf: directory.url.appendingPathComponent("c.dcm")) != a)
  }

  @Test("UIDs are 2.25 UIDs derived from the spec: stable, valid, and new for any change")
  func identifiers() {
    let base = spec(seed: 11)
    let uids = { (s: PhantomSpec) -> [String] in
      PhantomRenderer.render(s).attributes.filter { $0.keyword.hasSuffix("InstanceUID") }.map(\.value)
    }
    let first = uids(base)
    #expect(first.count == 3)
    #expect(Set(first).count == 3)
    for uid in first {
      #expect(uid.hasPrefix("2.25."))
      #expect(uid.count <= 64)
      #expect(uid.dropFirst(5).allSatisfy { $0.isNumber })
      #expect(uid.dropFirst(5).first != "0" || uid.count == 6)
    }
    #expect(uids(base) == first)
    var changed = base
    changed.acquisition.compression = .rle
    #expect(Set(uids(changed)).isDisjoint(with: first))
    changed = base
    changed.marker = Marker(kind: .laterality, style: .normal)
    #expect(Set(uids(changed)).isDisjoint(with: first))
  }
}
