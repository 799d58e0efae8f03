internal import CDCMTK
internal import CZlib
public import Durable

/// The structure check every file passes before DCMTK parses it: the file meta information is read
/// for the transfer syntax, a deflated dataset is inflated (bounded), and the dataset's elements are
/// walked by ``StructureScan``.
enum FileStructure {
  static let implicitLittleEndian = "1.2.840.10008.1.2"
  static let explicitBigEndian = "1.2.840.10008.1.2.2"
  static let deflatedExplicitLittleEndian = "1.2.840.10008.1.2.1.99"

  static func check(_ file: RegularFile, limits: StructureLimits) throws(DICOMError) -> StructureFindings {
    let bytes = FileBytes(file)
    // Without the Part 10 preamble DCMTK refuses the file itself (not_dicom).
    guard bytes.read(at: 128, count: 4) == Array("DICM".utf8) else { return StructureFindings() }
    let scan = StructureScan(bytes: bytes, limits: limits)
    var position = 132
    var syntax = ""
    // File meta information: group 0002, always explicit VR little endian, never nested.
    while let tagBytes = bytes.read(at: position, count: 4), tagBytes[0] == 0x02, tagBytes[1] == 0x00,
      let header = scan.readHeader(at: position, encoding: .explicitLittle)
    {
      let tag = Tag(0x0002, UInt16(tagBytes[2]) | UInt16(tagBytes[3]) << 8)
      guard header.length != StructureScan.undefinedLength else {
        throw DICOMError(.corrupt, "file meta element \(tag) has undefined length")
      }
      let length = Int(header.length)
      try scan.checkInFile(length, at: position + header.size, of: "file meta element \(tag)", trailingFrom: nil)
      if tag == .transferSyntaxUID, let value = bytes.read(at: position + header.size, count: Swift.min(length, 64)) {
        syntax = String(decoding: value.prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
      }
      position += header.size + length
    }
    switch syntax {
    case implicitLittleEndian:
      return try scan.walk(from: position, encoding: .implicitLittle)
    case explicitBigEndian:
      return try scan.walk(from: position, encoding: .explicitBig)
    case deflatedExplicitLittleEndian:
      let inflated = try inflate(file, from: position, limit: limits.maximumInflatedBytes)
      return try StructureScan(bytes: MemoryBytes(bytes: inflated), limits: limits).walk(from: 0, encoding: .explicitLittle)
    case _ where cdcm_transfer_syntax_known(syntax):
      // Every other transfer syntax DCMTK knows (explicit little endian, the encapsulated ones).
      return try scan.walk(from: position, encoding: .explicitLittle)
    default:
      // A UID DCMTK does not know: it guesses the encoding from the first element, so the walk does.
      return try scan.walk(from: position, encoding: guessedEncoding(bytes, at: position))
    }
  }

  /// The encoding DCMTK guesses for a dataset whose transfer syntax it does not know (DcmItem's
  /// checkTransferSyntax): explicit VR when the first element's bytes 4 and 5 are a VR, big endian when
  /// its group only makes sense read that way.
  static func guessedEncoding(_ bytes: FileBytes, at position: Int) -> StructureScan.Encoding {
    guard let first = bytes.read(at: position, count: 6) else { return .explicitLittle }
    let explicit = StructureScan.isStandardVR(String(decoding: first[4..<6], as: UTF8.self))
    let littleGroup = Int(first[0]) | Int(first[1]) << 8
    let bigGroup = Int(first[0]) << 8 | Int(first[1])
    return StructureScan.Encoding(explicitVR: explicit, bigEndian: littleGroup > 0x7FE0 && bigGroup <= 0x7FE0)
  }

  /// Inflates the raw deflate stream (RFC 1951, no zlib header) that starts at `offset`, refusing to
  /// produce more than `limit` bytes: a few kilobytes may inflate to gigabytes.
  static func inflate(_ file: RegularFile, from offset: Int, limit: Int) throws(DICOMError) -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DICOMError(.corrupt, "zlib could not start inflating the deflated dataset")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var input = [UInt8](repeating: 0, count: 1 << 16)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var position = offset
    var result = Z_OK
    while result != Z_STREAM_END {
      let available = try file.reading(at: position, into: &input)
      if available == 0 { break }  // cut short: DCMTK reports the truncation
      position += available
      var failure: DICOMError?
      input.withUnsafeMutableBufferPointer { source in
        stream.next_in = source.baseAddress
        stream.avail_in = UInt32(available)
        repeat {
          let produced = chunk.withUnsafeMutableBufferPointer { target in
            stream.next_out = target.baseAddress
            stream.avail_out = UInt32(target.count)
            result = CZlib.inflate(&stream, Z_NO_FLUSH)
            return target.count - Int(stream.avail_out)
          }
          guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
            failure = DICOMError(.corrupt, "the deflated dataset cannot be inflated (zlib error \(result))")
            return
          }
          guard output.count + produced <= limit else {
            failure = DICOMError(.tooLarge, "the deflated dataset inflates to more than \(limit) bytes")
            return
          }
          output.append(contentsOf: chunk[0..<produced])
        } while stream.avail_out == 0 && result != Z_STREAM_END
      }
      if let failure { throw failure }
    }
    return output
  }
}

/// A file's bytes read through a 64 KiB window, so walking element headers costs few reads.
final class FileBytes: ScanBytes {
  private let file: RegularFile
  private var window: [UInt8] = []
  private var windowStart = 0
  let count: Int

  init(_ file: RegularFile) {
    self.file = file
    count = file.size
  }

  func read(at offset: Int, count length: Int) -> [UInt8]? {
    guard offset >= 0, length >= 0, offset + length <= count else { return nil }
    if offset < windowStart || offset + length > windowStart + window.count {
      window = [UInt8](repeating: 0, count: Swift.max(1 << 16, length))
      let read = (try? file.read(at: offset, into: &window)) ?? 0
      window.removeSubrange(read...)
      windowStart = offset
      guard read >= length else { return nil }
    }
    let start = offset - windowStart
    return Array(window[start..<start + length])
  }
}

/// Bytes already in memory (an inflated dataset).
struct MemoryBytes: ScanBytes {
  let bytes: [UInt8]
  var count: Int { bytes.count }

  func read(at offset: Int, count length: Int) -> [UInt8]? {
    guard offset >= 0, length >= 0, offset + length <= bytes.count else { return nil }
    return Array(bytes[offset..<offset + length])
  }
}

extension RegularFile {
  /// Opens `path` for decoding; a file that cannot be opened, or is no regular file, is `unreadable`.
  public static func opened(_ path: String) throws(DICOMError) -> RegularFile {
    do {
      return try RegularFile(path: path)
    } catch {
      throw DICOMError(.unreadable, error.reason)
    }
  }

  /// ``read(at:into:)`` with a failure as `unreadable`.
  public func reading(at offset: Int, into bytes: inout [UInt8]) throws(DICOMError) -> Int {
    do {
      return try read(at: offset, into: &bytes)
    } catch {
      throw DICOMError(.unreadable, error.reason)
    }
  }
}
