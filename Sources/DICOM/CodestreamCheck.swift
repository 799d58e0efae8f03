/// Checks of encoded frames against the Image Pixel module, made in Swift before a codec sees the bytes.
/// DCMTK 3.6.7's RLE decoder dereferences an empty fragment and trusts the segment offsets, and its
/// JPEG and JPEG-LS decoders fill a frame larger than the codestream with zeros; OpenJPEG allocates for
/// whatever size the codestream declares. So the size a codestream declares must be the dataset's, and
/// an RLE frame must decode to exactly the bytes the frame needs, before any decoding starts.
enum CodestreamCheck {
  /// RLE Lossless (PS3.5 annex G): each frame is one fragment with a 64-byte header (segment count and
  /// 15 offsets), one segment per byte of each sample, and every segment decodes to one byte per pixel.
  /// Only frame 0 is decoded, so only its fragment, the first, is read; the count covers the rest.
  static func rle(firstFragment fragment: [UInt8], fragmentCount: Int, module: PixelModule) throws(DICOMError) {
    guard fragmentCount == module.frames else {
      throw DICOMError(.corruptPixelData, "RLE pixel data holds \(fragmentCount) fragment(s) for \(module.frames) frame(s); "
        + "each frame is one fragment")
    }
    guard module.bitsAllocated >= 8 else {
      throw DICOMError(.corruptPixelData, "RLE pixel data with \(module.bitsAllocated) bits allocated; RLE encodes whole bytes")
    }
    let segmentCount = module.samplesPerPixel * module.bitsAllocated / 8
    func damaged(_ what: String) -> DICOMError { DICOMError(.corruptPixelData, "RLE frame 0: \(what)") }
    guard fragment.count >= 64 else { throw damaged("the fragment holds \(fragment.count) bytes, less than its 64-byte header") }
    let header = (0..<16).map { index in
      (0..<4).reduce(0) { value, byte in value | Int(fragment[index * 4 + byte]) << (8 * byte) }
    }
    guard header[0] == segmentCount else {
      throw damaged("the header lists \(header[0]) segment(s); \(module.samplesPerPixel) sample(s) of "
        + "\(module.bitsAllocated) bits need \(segmentCount)")
    }
    let offsets = Array(header[1...segmentCount]) + [fragment.count]
    guard offsets[0] == 64, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw damaged("segment offsets \(offsets.dropLast()) do not start at 64 and increase within the \(fragment.count)-byte fragment")
    }
    for segment in 0..<segmentCount {
      let decoded = packBitsLength(fragment[offsets[segment]..<offsets[segment + 1]], needed: module.pixelCount)
      guard decoded == module.pixelCount else {
        throw damaged("segment \(segment) decodes to \(decoded) bytes; \(module.rows) x \(module.columns) pixels need "
          + "\(module.pixelCount)")
      }
    }
  }

  /// The bytes a PackBits segment decodes to, counted up to `needed` (what follows is padding); a run
  /// that passes `needed` or a literal cut short by the end count as they are, so the caller sees a
  /// mismatch.
  static func packBitsLength(_ segment: ArraySlice<UInt8>, needed: Int) -> Int {
    var position = segment.startIndex
    var decoded = 0
    while decoded < needed && position < segment.endIndex {
      let control = Int(Int8(bitPattern: segment[position]))
      position += 1
      if control >= 0 {
        let literal = Swift.min(control + 1, segment.endIndex - position)
        decoded += literal
        position += literal
      } else if control != -128 {
        decoded += 1 - control
        position += 1
      }
    }
    return decoded
  }

  /// JPEG (ISO 10918) and JPEG-LS (ISO 14495): the frame header (SOFn) in the first fragment of frame 0
  /// declares the dataset's columns, rows (0 defers them to a DNL marker) and samples per pixel.
  static func jpeg(firstFragment bytes: [UInt8], module: PixelModule, syntax: String) throws(DICOMError) {
    guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
      throw DICOMError(.corruptPixelData, "the first fragment of frame 0 does not start a \(syntax) codestream (SOI marker)")
    }
    var position = 2
    while position + 4 <= bytes.count {
      guard bytes[position] == 0xFF else { break }
      let marker = bytes[position + 1]
      if marker == 0xFF { position += 1; continue }  // fill byte
      if marker == 0x01 || (0xD0...0xD7).contains(marker) { position += 2; continue }  // no length
      let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
      // SOF0-3, 5-7, 9-11, 13-15, and JPEG-LS SOF55.
      let frameHeader = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) || marker == 0xF7
      if frameHeader {
        guard length >= 8, position + 10 <= bytes.count else { break }
        let rows = Int(bytes[position + 5]) << 8 | Int(bytes[position + 6])
        let columns = Int(bytes[position + 7]) << 8 | Int(bytes[position + 8])
        let components = Int(bytes[position + 9])
        guard columns == module.columns, rows == module.rows || rows == 0, components == module.samplesPerPixel else {
          throw DICOMError(.corruptPixelData, "the \(syntax) codestream is \(columns) x \(rows) with \(components) component(s); "
            + "the dataset says \(module.columns) x \(module.rows) with \(module.samplesPerPixel)")
        }
        return
      }
      position += 2 + length
    }
    throw DICOMError(.corruptPixelData, "the first fragment of frame 0 holds no \(syntax) frame header (SOF marker)")
  }

  /// JPEG 2000 (ISO 15444-1): the image and tile sizes of the SIZ marker segment, in a bare codestream
  /// or in the contiguous codestream box of a JP2 file. The image must be the dataset's size and the
  /// tile count bounded: OpenJPEG allocates per tile while it reads the header.
  static func jpeg2000(_ bytes: [UInt8], module: PixelModule) throws(DICOMError) {
    guard let start = jpeg2000CodestreamStart(bytes), start + 42 <= bytes.count,
      bytes[start] == 0xFF, bytes[start + 1] == 0x4F, bytes[start + 2] == 0xFF, bytes[start + 3] == 0x51
    else { throw DICOMError(.corruptPixelData, "JPEG 2000 frame 0 does not start with an SOC and SIZ marker") }
    func value(_ offset: Int) -> Int {
      (0..<4).reduce(0) { $0 << 8 | Int(bytes[start + offset + $1]) }
    }
    // SIZ after SOC: Lsiz, Rsiz, then Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz, XTOsiz, YTOsiz (32 bits each).
    let (xSize, ySize, xOrigin, yOrigin) = (value(8), value(12), value(16), value(20))
    let (tileWidth, tileHeight, tileX, tileY) = (value(24), value(28), value(32), value(36))
    let components = Int(bytes[start + 40]) << 8 | Int(bytes[start + 41])
    let width = xSize - xOrigin
    let height = ySize - yOrigin
    guard width == module.columns, height == module.rows, components >= module.samplesPerPixel else {
      throw DICOMError(.corruptPixelData, "the JPEG 2000 codestream is \(width) x \(height) with \(components) component(s); "
        + "the dataset says \(module.columns) x \(module.rows) with \(module.samplesPerPixel)")
    }
    guard tileWidth > 0, tileHeight > 0, tileX <= xOrigin, tileY <= yOrigin else {
      throw DICOMError(.corruptPixelData, "the JPEG 2000 tiles are \(tileWidth) x \(tileHeight) from \(tileX), \(tileY)")
    }
    let (tiles, overflow) = ((xSize - tileX + tileWidth - 1) / tileWidth)
      .multipliedReportingOverflow(by: (ySize - tileY + tileHeight - 1) / tileHeight)
    guard !overflow, tiles <= maximumJPEG2000Tiles else {
      throw DICOMError(.corruptPixelData, "the JPEG 2000 codestream has \(tiles) tiles; at most \(maximumJPEG2000Tiles) are read")
    }
  }

  /// More tiles than any radiograph encoder writes (they use one, or 1024 x 1024 pixels each).
  static let maximumJPEG2000Tiles = 4_096

  /// Where the codestream starts: 0 for a bare one, else inside the JP2 file's `jp2c` box.
  private static func jpeg2000CodestreamStart(_ bytes: [UInt8]) -> Int? {
    guard bytes.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) else { return 0 }
    var position = 0
    while position + 8 <= bytes.count {
      var length = (0..<4).reduce(0) { $0 << 8 | Int(bytes[position + $1]) }
      var header = 8
      if length == 1 {  // 64-bit box length follows the type
        guard position + 16 <= bytes.count else { return nil }
        length = (8..<16).reduce(0) { $0 << 8 | Int(bytes[position + $1]) }
        header = 16
      }
      if bytes[position + 4..<position + 8].elementsEqual("jp2c".utf8) { return position + header }
      guard length >= header, length <= bytes.count - position else { return nil }
      position += length
    }
    return nil
  }
}
