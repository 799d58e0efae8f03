@testable import DICOM
import Foundation
import Phantoms
import Testing
import TestSupport

/// Each class of hostile file in `../shared/reproducers/dicom` (found by fuzzing), rebuilt here from a
/// file the tests write, a few bytes changed: every one ends in a code, never a signal, a hang or a
/// blowup, and the limits that stop them leave ordinary files alone.
@Suite("hostile DICOM input")
struct HostileInputTests {
  static let rows = DCMTKVariantTests.rows
  static let columns = DCMTKVariantTests.columns
  static let rleUID = "1.2.840.10008.1.2.5"

  /// The source file of the variant tests, and the image it decodes to.
  static func source(_ directory: TemporaryDirectory) throws -> String {
    try DCMTKVariantTests.source(in: directory)
  }

  static func decodeError(_ path: String, options: DecodeOptions = DecodeOptions()) -> DICOMError? {
    do {
      _ = try DICOMImage(contentsOf: path, options: options)
      return nil
    } catch {
      return error
    }
  }

  /// A copy of `path` with `edits` applied by dcmodify (`-i` inserts or replaces).
  static func modified(_ path: String, _ edits: [String], in directory: TemporaryDirectory, name: String) throws -> String {
    let target = directory.path(name)
    try FileManager.default.copyItem(atPath: path, toPath: target)
    try Command.run("dcmodify", ["--quiet", "-nb"] + edits.flatMap { ["-i", $0] } + [target])
    return target
  }

  // MARK: Structure: nesting, element and fragment counts, deflate

  /// Sequences of a private element nested `depth` deep, in explicit VR little endian, as appended
  /// after the Pixel Data of a file (the private group 7FE1 sorts after it).
  static func nestedSequences(depth: Int, definedLength: Bool) -> [UInt8] {
    func u16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    func u32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }
    let sequenceHeader = u16(0x7FE1) + u16(0x1010) + Array("SQ".utf8) + [0, 0]
    let itemTag = u16(0xFFFE) + u16(0xE000)
    if definedLength {
      var content: [UInt8] = []
      for _ in 0..<depth {
        let item = itemTag + u32(UInt32(content.count)) + content
        content = sequenceHeader + u32(UInt32(item.count)) + item
      }
      return content
    }
    let open = sequenceHeader + u32(0xFFFF_FFFF) + itemTag + u32(0xFFFF_FFFF)
    let close = u16(0xFFFE) + u16(0xE00D) + u32(0) + u16(0xFFFE) + u16(0xE0DD) + u32(0)
    return Array([[UInt8]](repeating: open, count: depth).joined()) + Array([[UInt8]](repeating: close, count: depth).joined())
  }

  static func withNesting(depth: Int, definedLength: Bool, in directory: TemporaryDirectory) throws -> String {
    let target = directory.path("nested-\(depth)-\(definedLength).dcm")
    var bytes = try Data(contentsOf: URL(fileURLWithPath: source(directory)))
    bytes.append(contentsOf: nestedSequences(depth: depth, definedLength: definedLength))
    try bytes.write(to: URL(fileURLWithPath: target))
    return target
  }

  @Test("sequences nested thousands deep are refused before DCMTK's recursive parser runs out of stack",
        arguments: [false, true])
  func deepNesting(definedLength: Bool) throws {
    let directory = try TemporaryDirectory()
    let error = Self.decodeError(try Self.withNesting(depth: 10_000, definedLength: definedLength, in: directory))
    #expect(error?.code == .corrupt)
    #expect(error?.message.contains("nested more than 32 levels") == true)
  }

  @Test("nesting within the bound decodes as before; one level past it is refused")
  func nestingBound() throws {
    let directory = try TemporaryDirectory()
    let image = try DICOMImage(contentsOf: Self.withNesting(depth: 32, definedLength: false, in: directory))
    #expect(image.values == DCMTKVariantTests.values.map(Float.init))
    #expect(Self.decodeError(try Self.withNesting(depth: 33, definedLength: true, in: directory))?.code == .corrupt)
  }

  @Test("a deflated dataset is walked after inflating: nesting inside it is found; a bomb is too_large")
  func deflated() throws {
    let directory = try TemporaryDirectory()
    let nested = try Self.withNesting(depth: 40, definedLength: false, in: directory)
    let deflated = directory.path("nested-deflated.dcm")
    try DICOMFixtures.Variant.deflated.write(from: nested, to: deflated)
    #expect(Self.decodeError(deflated)?.message.contains("nested more than 32 levels") == true)

    let plain = directory.path("deflated.dcm")
    try DICOMFixtures.Variant.deflated.write(from: try Self.source(directory), to: plain)
    #expect(try DICOMImage(contentsOf: plain).values == DCMTKVariantTests.values.map(Float.init))
    let bomb = Self.decodeError(plain, options: DecodeOptions(structure: StructureLimits(maximumInflatedBytes: 1_000)))
    #expect(bomb?.code == .tooLarge)
  }

  @Test("a file meta element of undefined length or longer than the file is refused before DCMTK reads it")
  func metaElements() throws {
    let directory = try TemporaryDirectory()
    let source = try Data(contentsOf: URL(fileURLWithPath: try Self.source(directory)))
    // (0002,0001) OB put first in the file meta information, with the length given.
    func withMetaElement(length: [UInt8], name: String) throws -> String {
      var bytes = source
      bytes.insert(contentsOf: [0x02, 0x00, 0x01, 0x00] + Array("OB".utf8) + [0, 0] + length, at: 132)
      let path = directory.path(name)
      try bytes.write(to: URL(fileURLWithPath: path))
      return path
    }
    #expect(Self.decodeError(try withMetaElement(length: [0xFF, 0xFF, 0xFF, 0xFF], name: "undefined.dcm"))
      == DICOMError(.corrupt, "file meta element (0002,0001) has undefined length"))
    let long = Self.decodeError(try withMetaElement(length: [0xF0, 0xFF, 0xFF, 0x7F], name: "long.dcm"))
    #expect(long?.code == .truncated)
    #expect(long?.message.hasPrefix("the file ends inside file meta element (0002,0001) at offset 144") == true)
  }

  @Test("a transfer syntax DCMTK does not know is walked in every encoding DCMTK may guess: implicit nesting is found")
  func unknownTransferSyntax() throws {
    let directory = try TemporaryDirectory()
    let implicit = directory.path("nested-implicit.dcm")
    try DICOMFixtures.Variant.implicitLittleEndian.write(
      from: try Self.withNesting(depth: 40, definedLength: false, in: directory), to: implicit)
    var bytes = try Data(contentsOf: URL(fileURLWithPath: implicit))
    let declared = Data("1.2.840.10008.1.2\0".utf8)
    let range = try #require(bytes.range(of: declared))
    bytes.replaceSubrange(range, with: Data("1.2.840.99999.1.2\0".utf8))
    let unknown = directory.path("unknown-syntax.dcm")
    try bytes.write(to: URL(fileURLWithPath: unknown))
    let error = Self.decodeError(unknown)
    #expect(error?.code == .corrupt)
    #expect(error?.message.contains("nested more than 32 levels") == true, "\(String(describing: error))")
  }

  @Test("more fragments than the bound are refused by the walk, before DCMTK lists them (100,000 took 15 s)")
  func manyFragments() throws {
    let directory = try TemporaryDirectory()
    let codestream = try Self.firstFragment(of: .jpegLSLossless, in: directory)
    let target = directory.path("fragments.dcm")
    try DICOMFile(path: Self.source(directory)).writeEncapsulatedCopy(
      to: target, transferSyntaxUID: "1.2.840.10008.1.2.4.80",
      frames: [codestream] + [[UInt8]](repeating: [], count: 20_000))
    let error = Self.decodeError(target)
    #expect(error?.code == .corruptPixelData)
    #expect(error?.message.contains("more than 16384 items") == true)
  }

  @Test("bytes after the last element are named as trailing data, not as truncation")
  func trailingData() throws {
    let directory = try TemporaryDirectory()
    let source = try Self.source(directory)
    let size = try FileManager.default.attributesOfItem(atPath: source)[.size] as! Int
    var bytes = try Data(contentsOf: URL(fileURLWithPath: source))
    bytes.append(contentsOf: [UInt8](repeating: 0, count: 100))
    let target = directory.path("trailing.dcm")
    try bytes.write(to: URL(fileURLWithPath: target))
    let error = Self.decodeError(target)
    #expect(error?.code == .corrupt)
    #expect(error?.message.hasPrefix("100 bytes from offset \(size) to the end of the file are not DICOM elements") == true)
  }

  @Test("a value declaring more bytes than the file holds is truncated before DCMTK allocates them (a 3 GB malloc)")
  func lengthPastTheEnd() throws {
    let directory = try TemporaryDirectory()
    var bytes = try Data(contentsOf: URL(fileURLWithPath: try Self.source(directory)))
    let size = bytes.count
    // (7FE1,1010) OB, 0x70000000 bytes declared, 16 present.
    bytes.append(contentsOf: [0xE1, 0x7F, 0x10, 0x10] + Array("OB".utf8) + [0, 0, 0, 0, 0, 0x70])
    bytes.append(contentsOf: [UInt8](repeating: 7, count: 16))
    let target = directory.path("long.dcm")
    try bytes.write(to: URL(fileURLWithPath: target))
    let error = Self.decodeError(target)
    #expect(error == DICOMError(.truncated, "the file ends inside element (7FE1,1010) at offset \(size + 12): its value "
      + "declares 1879048192 bytes, 16 remain"))

    // The same length in trailing garbage (a tag lower than the one before) is trailing data.
    var trailing = try Data(contentsOf: URL(fileURLWithPath: try Self.source(directory)))
    trailing.append(contentsOf: [0x08, 0x00, 0x10, 0x10] + Array("OB".utf8) + [0, 0, 0, 0, 0, 0x70])
    let garbage = directory.path("garbage.dcm")
    try trailing.write(to: URL(fileURLWithPath: garbage))
    #expect(Self.decodeError(garbage) == DICOMError(.corrupt, "12 bytes from offset \(size) to the end of the file are not "
      + "DICOM elements (trailing data)"))
  }

  @Test("damaged JPEG-LS scan data is decoded or corrupt_pixel_data, never an abort")
  func damagedJPEGLS() throws {
    let directory = try TemporaryDirectory()
    let valid = try Self.firstFragment(of: .jpegLSLossless, in: directory)
    var generator = SplitMix64(seed: 11)
    var outcomes: [DICOMError.Code?: Int] = [:]
    for index in 0..<300 {
      var damaged = valid
      // Past the headers (the first 40 bytes), so CharLS reaches the scan with damaged data.
      for _ in 0..<3 {
        damaged[Int.random(in: 40..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
      }
      let path = try Self.withFragments([damaged], syntax: "1.2.840.10008.1.2.4.80", in: directory)
      outcomes[Self.decodeError(path)?.code, default: 0] += 1
      if index % 50 == 0 { try? FileManager.default.removeItem(atPath: path) }
    }
    #expect(Set(outcomes.keys).isSubset(of: [nil, .corruptPixelData]), "\(outcomes)")
    #expect(outcomes[.corruptPixelData, default: 0] > 0)
  }

  @Test("segmented palette data whose indirect segments fan out seven levels deep is refused, not expanded for days")
  func segmentedPaletteBomb() {
    // A discrete entry, then an indirect segment into level 0; levels 0-5 hold `fanOut` indirect segments
    // each into the next level, level 6 `fanOut` empty discrete segments: fanOut^7 visits, no entries.
    let fanOut = 50
    // Each level ends with an empty segment: an indirect segment may not point right behind itself.
    let levelSize = fanOut * 4 + 2
    func start(_ level: Int) -> Int { 9 + level * levelSize }
    var words = [0, 1, 7, 2, fanOut, start(0) & 0xFFFF, start(0) >> 16, 0, 0]
    for level in 0..<6 {
      for _ in 0..<fanOut { words += [2, fanOut, start(level + 1) & 0xFFFF, start(level + 1) >> 16] }
      words += [0, 0]
    }
    for _ in 0..<fanOut { words += [0, 0] }
    let bytes = words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    let clock = ContinuousClock()
    let start = clock.now
    #expect(throws: DICOMError(.corrupt, "the segmented palette takes more than 1048576 segments to expand")) {
      _ = try Palette.expandSegmented(bytes, bits: 16)
    }
    #expect(clock.now - start < .seconds(5))
  }

  // MARK: Codestreams against the dataset

  /// The first fragment of `variant` of the source, as DCMTK's encoder wrote it.
  static func firstFragment(of variant: DICOMFixtures.Variant, in directory: TemporaryDirectory) throws -> [UInt8] {
    let encoded = directory.path("\(variant.rawValue)-source.dcm")
    try variant.write(from: try source(directory), to: encoded)
    return try DICOMFile(path: encoded).pixelItem(1)
  }

  static func withFragments(_ fragments: [[UInt8]], syntax: String, in directory: TemporaryDirectory) throws -> String {
    let target = directory.path("fragments-\(UUID().uuidString).dcm")
    try DICOMFile(path: source(directory)).writeEncapsulatedCopy(to: target, transferSyntaxUID: syntax, frames: fragments)
    return target
  }

  @Test("RLE: an empty fragment, bad segment offsets, a short segment or a fragment per frame missing is corrupt_pixel_data")
  func rle() throws {
    let directory = try TemporaryDirectory()
    let valid = try Self.firstFragment(of: .rle, in: directory)
    #expect(try DICOMImage(contentsOf: Self.withFragments([valid], syntax: Self.rleUID, in: directory)).values
      == DCMTKVariantTests.values.map(Float.init))

    var badOffset = valid
    badOffset.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0xFF, 0x7F])  // segment 2 starts far past the end
    var shortSegment = valid
    shortSegment.removeLast(100)
    let cases: [(fragments: [[UInt8]], message: String)] = [
      ([[]], "RLE frame 0: the fragment holds 0 bytes"),
      ([badOffset], "segment offsets"),
      ([shortSegment], "segment 1 decodes to"),
      ([valid, valid], "2 fragment(s) for 1 frame(s)"),
    ]
    for item in cases {
      let error = Self.decodeError(try Self.withFragments(item.fragments, syntax: Self.rleUID, in: directory))
      #expect(error?.code == .corruptPixelData, "\(item.message)")
      #expect(error?.message.contains(item.message) == true, "\(String(describing: error)) lacks \(item.message)")
    }
  }

  @Test("PackBits lengths: literal runs, replicate runs, the no-op byte, and a cut literal")
  func packBits() {
    #expect(CodestreamCheck.packBitsLength([0x02, 1, 2, 3], needed: 10) == 3)
    #expect(CodestreamCheck.packBitsLength([0xFE, 7], needed: 10) == 3)
    #expect(CodestreamCheck.packBitsLength([0x80, 0x00, 9], needed: 10) == 1)
    #expect(CodestreamCheck.packBitsLength([0x05, 1, 2], needed: 10) == 2)
    // Counting stops at the bytes the segment needs: what follows is padding.
    #expect(CodestreamCheck.packBitsLength([0xFE, 7, 0x00], needed: 3) == 3)
  }

  @Test("JPEG and JPEG-LS (CharLS) codestreams smaller than Rows x Columns are corrupt_pixel_data, never zero-filled")
  func jpegGeometry() throws {
    let directory = try TemporaryDirectory()
    for variant in [DICOMFixtures.Variant.jpegLossless, .jpegLSLossless] {
      let encoded = directory.path("\(variant.rawValue).dcm")
      try variant.write(from: try Self.source(directory), to: encoded)
      let wider = try Self.modified(encoded, ["(0028,0011)=65534"], in: directory, name: "wider-\(variant.rawValue).dcm")
      let error = Self.decodeError(wider)
      #expect(error?.code == .corruptPixelData)
      #expect(error?.message.contains("codestream is \(Self.columns) x \(Self.rows) with 1 component(s)") == true,
              "\(String(describing: error))")
      #expect(error?.message.contains("the dataset says 65534 x \(Self.rows)") == true)
    }
    let notJPEG = Self.decodeError(try Self.withFragments([[1, 2, 3, 4]], syntax: "1.2.840.10008.1.2.4.70", in: directory))
    #expect(notJPEG?.message.contains("does not start a") == true)
  }

  @Test("a JPEG codestream cut in half is corrupt_pixel_data, not unsupported_transfer_syntax (DCMTK's codec refuses it)")
  func truncatedJPEG() throws {
    let directory = try TemporaryDirectory()
    let whole = try Self.firstFragment(of: .jpegLossless, in: directory)
    let half = Array(whole.prefix(whole.count / 2 & ~1))
    let error = Self.decodeError(try Self.withFragments([half], syntax: "1.2.840.10008.1.2.4.70", in: directory))
    #expect(error?.code == .corruptPixelData)
    #expect(error?.message.hasPrefix("decoding frame 0: ") == true, "\(String(describing: error))")
  }

  @Test("a JPEG 2000 SIZ of 60000 x 60000 in a 40 x 36 dataset is refused before OpenJPEG allocates")
  func jpeg2000Geometry() throws {
    let directory = try TemporaryDirectory()
    var codestream = Array(try DICOMFixtures.jpeg2000Codestream(
      values: DCMTKVariantTests.values, rows: Self.rows, columns: Self.columns))
    codestream.replaceSubrange(8..<16, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])  // Xsiz, Ysiz = 60000
    let error = Self.decodeError(try Self.withFragments([codestream], syntax: "1.2.840.10008.1.2.4.90", in: directory))
    #expect(error?.code == .corruptPixelData)
    #expect(error?.message.contains("codestream is 60000 x 60000") == true)
  }

  @Test("a frame whose decoding would pass the memory budget is too_large before anything is allocated")
  func memoryBudget() throws {
    let directory = try TemporaryDirectory()
    let huge = try Self.modified(
      try Self.source(directory),
      ["(0028,0010)=10000", "(0028,0011)=10000", "(0028,0002)=3", "(0028,0004)=RGB", "(0028,0100)=32", "(0028,0101)=32",
       "(0028,0102)=31", "(0028,0006)=0"],
      in: directory, name: "rgb32.dcm")
    let error = Self.decodeError(huge)
    #expect(error?.code == .tooLarge)
    #expect(error?.message.contains("the limit is 512 MiB") == true)
  }

  // MARK: Values that are not finite

  @Test("NaN or infinite rescale, window and spacing values are non_finite_value, naming the attribute",
        arguments: [
          ("(0028,1053)=NaN", "(0028,1053)"), ("(0028,1051)=inf", "(0028,1051)"), ("(0018,1164)=NaN\\1", "(0018,1164)"),
          ("(0028,0030)=1\\-inf", "(0028,0030)"),
        ])
  func nonFinite(edit: String, tag: String) throws {
    let directory = try TemporaryDirectory()
    let path = try Self.modified(try Self.source(directory), [edit, "(0028,1052)=0", "(0028,1050)=100"],
                                 in: directory, name: "non-finite.dcm")
    let error = Self.decodeError(path)
    #expect(error?.code == .nonFiniteValue)
    #expect(error?.message.hasPrefix(tag) == true, "\(String(describing: error))")
  }

  @Test("a rescale that takes stored values past Float's range (slope and intercept 1e38) is non_finite_value")
  func rescaleOverflow() throws {
    let directory = try TemporaryDirectory()
    let path = try Self.modified(try Self.source(directory), ["(0028,1053)=1e38", "(0028,1052)=1e38"],
                                 in: directory, name: "overflow.dcm")
    let error = Self.decodeError(path)
    #expect(error?.code == .nonFiniteValue)
    #expect(error?.message.contains("beyond the range of 32-bit floats") == true)
  }

  // MARK: Files that are not regular files

  @Test("a FIFO is refused at once, without blocking; a symlink loop says so")
  func notRegularFiles() throws {
    let directory = try TemporaryDirectory()
    let fifo = directory.path("x.dcm")
    #expect(mkfifo(fifo, 0o600) == 0)
    let fifoError = Self.decodeError(fifo)
    #expect(fifoError == DICOMError(.unreadable, "not a regular file (a FIFO, socket or device)"))

    let first = directory.path("a.dcm")
    let second = directory.path("b.dcm")
    try FileManager.default.createSymbolicLink(atPath: first, withDestinationPath: second)
    try FileManager.default.createSymbolicLink(atPath: second, withDestinationPath: first)
    #expect(Self.decodeError(first) == DICOMError(.unreadable, "too many levels of symbolic links (a symlink loop)"))
  }
}
