/// Bounds on a file's element structure, checked before DCMTK parses it. DCMTK's parser recurses once
/// per nested sequence and keeps every element and fragment in memory, so a few hundred kilobytes of
/// hostile nesting overflow its stack and a million empty fragments take it minutes.
public struct StructureLimits: Sendable, Equatable, Codable {
  /// The deepest sequence nesting admitted. Chest radiographs nest 3 or 4 levels; structured reports
  /// rarely pass 15. At 32 levels DCMTK's recursion needs about 50 KB of stack, far below the smallest
  /// thread stack isnetd runs on (512 KB).
  public var maximumSequenceDepth: Int
  /// The most data elements (sequence items included) a dataset may hold.
  public var maximumElementCount: Int
  /// The most items encapsulated Pixel Data may hold (offset table and fragments).
  public var maximumFragmentCount: Int
  /// The most bytes a deflated dataset may inflate to; larger ones are refused as `too_large`.
  public var maximumInflatedBytes: Int

  public init(maximumSequenceDepth: Int = 32, maximumElementCount: Int = 250_000,
              maximumFragmentCount: Int = 16_384, maximumInflatedBytes: Int = 256 << 20) {
    self.maximumSequenceDepth = maximumSequenceDepth
    self.maximumElementCount = maximumElementCount
    self.maximumFragmentCount = maximumFragmentCount
    self.maximumInflatedBytes = maximumInflatedBytes
  }
}

/// What the scan of a file's elements found besides its limits.
struct StructureFindings: Equatable {
  /// The offset of bytes after the last element of the dataset that do not continue it (a tag lower
  /// than the one before, or a header cut short): trailing data.
  var trailingDataOffset: Int?

  /// The error for trailing data from `offset` in `size` bytes, with what the reader said of it.
  static func trailingData(from offset: Int, size: Int, detail: String? = nil) -> DICOMError {
    DICOMError(.corrupt, "\(size - offset) bytes from offset \(offset) to the end of the file are not DICOM elements "
      + "(trailing data)" + (detail.map { ": \($0)" } ?? ""))
  }
}

/// Walks a file's data elements without recursion, as DCMTK will parse them, and refuses structures
/// beyond ``StructureLimits`` before DCMTK sees them. Values are skipped, never read, except the first
/// bytes of a value that may hold sequence items. A value that runs past the end of the file is
/// `truncated` here, before DCMTK allocates what its length declares; other damage the walk does not
/// need to judge is left for DCMTK to report.
struct StructureScan {
  let bytes: any ScanBytes
  let limits: StructureLimits

  /// How the elements of a dataset or item are encoded.
  struct Encoding: Equatable {
    var explicitVR: Bool
    var bigEndian: Bool
    static let implicitLittle = Encoding(explicitVR: false, bigEndian: false)
    static let explicitLittle = Encoding(explicitVR: true, bigEndian: false)
    static let explicitBig = Encoding(explicitVR: true, bigEndian: true)
  }

  /// An open sequence, item or pixel sequence on the walk's stack.
  private struct Container {
    enum Kind { case sequence, item, fragments }
    let kind: Kind
    /// Where the container's value ends; nil for undefined length (a delimiter ends it).
    let end: Int?
    let encoding: Encoding
  }

  private static var itemTag: UInt32 { 0xFFFE_E000 }
  private static var itemDelimiter: UInt32 { 0xFFFE_E00D }
  private static var sequenceDelimiter: UInt32 { 0xFFFE_E0DD }
  static var undefinedLength: UInt32 { 0xFFFF_FFFF }
  /// Explicit VRs whose header has two reserved bytes and a 32-bit length.
  private static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
  /// Explicit VRs with a 16-bit length. DCMTK reads any other pair of letters as UN with a 32-bit length.
  private static let shortVRs: Set<String> = [
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI",
    "UL", "US",
  ]

  /// Walks the dataset that starts at `start` and runs to the end of `bytes`.
  func walk(from start: Int, encoding: Encoding) throws(DICOMError) -> StructureFindings {
    var findings = StructureFindings()
    var stack: [Container] = []
    var position = start
    var elements = 0
    var fragments = 0
    var depth = 0
    var lastTopLevelTag: UInt32?
    while true {
      // Close every container whose defined length ends here.
      while let top = stack.last, let end = top.end, position >= end {
        stack.removeLast()
        if top.kind == .sequence { depth -= 1 }
      }
      let encoding = stack.last?.encoding ?? encoding
      guard let tag = readTag(at: position, bigEndian: encoding.bigEndian) else {
        if stack.isEmpty && position < bytes.count { findings.trailingDataOffset = findings.trailingDataOffset ?? position }
        return findings
      }
      // Items and delimiters: a tag and a 32-bit length, in every encoding.
      if tag >> 16 == 0xFFFE {
        guard let length = read32(at: position + 4, bigEndian: encoding.bigEndian) else { return findings }
        if stack.isEmpty { findings.trailingDataOffset = findings.trailingDataOffset ?? position }
        position += 8
        switch tag {
        case Self.itemTag where stack.last?.kind == .fragments:
          guard length != Self.undefinedLength else {
            throw DICOMError(.corruptPixelData, "a pixel data fragment at offset \(position - 8) has undefined length")
          }
          fragments += 1
          if fragments > limits.maximumFragmentCount {
            throw DICOMError(.corruptPixelData, "the encapsulated pixel data holds more than \(limits.maximumFragmentCount) items")
          }
          try checkInFile(Int(length), at: position, of: "a pixel data fragment", trailingFrom: findings.trailingDataOffset)
          position += Int(length)
        case Self.itemTag where !stack.isEmpty:
          try count(&elements)
          stack.append(Container(kind: .item, end: length == Self.undefinedLength ? nil : position + Int(length),
                                 encoding: encoding))
        case Self.itemDelimiter, Self.sequenceDelimiter:
          if let top = stack.popLast(), top.kind == .sequence { depth -= 1 }
        default:
          // Not a structure DCMTK parses; however it reads on, no length may run past the file.
          if length != Self.undefinedLength {
            try checkInFile(Int(length), at: position, of: "item \(Tag(UInt16(tag >> 16), UInt16(tag & 0xFFFF)))",
                            trailingFrom: findings.trailingDataOffset)
            position += Int(length)
          }
        }
        continue
      }
      try count(&elements)
      // Tags ascend in a dataset; where they stop doing so trailing data may begin. The walk goes on,
      // as DCMTK's parser does, so no length in the rest escapes its check.
      if stack.isEmpty {
        if let last = lastTopLevelTag, tag <= last { findings.trailingDataOffset = findings.trailingDataOffset ?? position }
        lastTopLevelTag = tag
      }
      guard let header = readHeader(at: position, encoding: encoding) else {
        if stack.isEmpty { findings.trailingDataOffset = findings.trailingDataOffset ?? position }
        return findings
      }
      position += header.size
      let valueStart = position
      // Encapsulated pixel data, and any OB or OW value of undefined length, which DCMTK reads the same
      // way: items whose values are skipped, up to a sequence delimiter.
      if header.length == Self.undefinedLength && (tag == 0x7FE0_0010 || header.vr == "OB" || header.vr == "OW") {
        stack.append(Container(kind: .fragments, end: nil, encoding: encoding))
        continue
      }
      // A value may hold items when it is a sequence, or when DCMTK may read it as one: UN and
      // implicit-VR values (DCMTK asks its dictionary; the walk looks for an item tag instead).
      let mayNest = header.vr == "SQ" || header.vr == "UN" || !encoding.explicitVR
      let itemEncoding = header.vr == "UN" ? Encoding.implicitLittle : encoding
      if header.length == Self.undefinedLength {
        guard mayNest else {
          throw DICOMError(.corrupt, "element \(Tag(UInt16(tag >> 16), UInt16(tag & 0xFFFF))) with VR \(header.vr) "
            + "has undefined length")
        }
        try open(&stack, &depth, end: nil, encoding: itemEncoding)
        continue
      }
      let end = valueStart + Int(header.length)
      if mayNest && header.length >= 8 && readTag(at: valueStart, bigEndian: itemEncoding.bigEndian) == Self.itemTag {
        try open(&stack, &depth, end: end, encoding: itemEncoding)
        continue
      }
      try checkInFile(Int(header.length), at: valueStart, of: "element \(Tag(UInt16(tag >> 16), UInt16(tag & 0xFFFF)))",
                      trailingFrom: findings.trailingDataOffset)
      position = end
    }
  }

  /// A value must end within the file: DCMTK allocates what the length declares before it finds the
  /// end of the file (a 3 GB length in a 4 KB file took 3 GB). Past the point where trailing data
  /// began, the length is garbage rather than a sign of truncation.
  func checkInFile(_ length: Int, at offset: Int, of what: String, trailingFrom trailing: Int?) throws(DICOMError) {
    guard offset + length > bytes.count else { return }
    if let trailing { throw StructureFindings.trailingData(from: trailing, size: bytes.count) }
    throw DICOMError(.truncated, "the file ends inside \(what) at offset \(offset): its value declares \(length) bytes, "
      + "\(Swift.max(0, bytes.count - offset)) remain")
  }

  private func count(_ elements: inout Int) throws(DICOMError) {
    elements += 1
    if elements > limits.maximumElementCount {
      throw DICOMError(.corrupt, "the dataset holds more than \(limits.maximumElementCount) elements")
    }
  }

  private func open(_ stack: inout [Container], _ depth: inout Int, end: Int?, encoding: Encoding) throws(DICOMError) {
    depth += 1
    if depth > limits.maximumSequenceDepth {
      throw DICOMError(.corrupt, "sequences are nested more than \(limits.maximumSequenceDepth) levels deep")
    }
    stack.append(Container(kind: .sequence, end: end, encoding: encoding))
  }

  struct Header {
    let vr: String
    let length: UInt32
    let size: Int
  }

  /// Whether `letters` are a VR DCMTK knows.
  static func isStandardVR(_ letters: String) -> Bool { shortVRs.contains(letters) || longVRs.contains(letters) }

  /// The VR (explicit VR only; "" otherwise), value length and header size of the element at `offset`.
  func readHeader(at offset: Int, encoding: Encoding) -> Header? {
    guard encoding.explicitVR else {
      guard let length = read32(at: offset + 4, bigEndian: encoding.bigEndian) else { return nil }
      return Header(vr: "", length: length, size: 8)
    }
    guard let pair = bytes.read(at: offset + 4, count: 2) else { return nil }
    let letters = String(decoding: pair, as: UTF8.self)
    let vr = Self.isStandardVR(letters) ? letters : "UN"
    if Self.longVRs.contains(vr) {
      guard let length = read32(at: offset + 8, bigEndian: encoding.bigEndian) else { return nil }
      return Header(vr: vr, length: length, size: 12)
    }
    guard let short = bytes.read(at: offset + 6, count: 2) else { return nil }
    let length = encoding.bigEndian ? UInt32(short[0]) << 8 | UInt32(short[1]) : UInt32(short[1]) << 8 | UInt32(short[0])
    return Header(vr: vr, length: length, size: 8)
  }

  /// A tag as group << 16 | element.
  private func readTag(at offset: Int, bigEndian: Bool) -> UInt32? {
    guard let raw = bytes.read(at: offset, count: 4) else { return nil }
    let group = bigEndian ? UInt32(raw[0]) << 8 | UInt32(raw[1]) : UInt32(raw[1]) << 8 | UInt32(raw[0])
    let element = bigEndian ? UInt32(raw[2]) << 8 | UInt32(raw[3]) : UInt32(raw[3]) << 8 | UInt32(raw[2])
    return group << 16 | element
  }

  private func read32(at offset: Int, bigEndian: Bool) -> UInt32? {
    guard let raw = bytes.read(at: offset, count: 4) else { return nil }
    return bigEndian
      ? UInt32(raw[0]) << 24 | UInt32(raw[1]) << 16 | UInt32(raw[2]) << 8 | UInt32(raw[3])
      : UInt32(raw[3]) << 24 | UInt32(raw[2]) << 16 | UInt32(raw[1]) << 8 | UInt32(raw[0])
  }
}

/// Random access to the bytes a scan walks.
protocol ScanBytes {
  var count: Int { get }
  /// `count` bytes from `offset`, or nil when they run past the end.
  func read(at offset: Int, count: Int) -> [UInt8]?
}
