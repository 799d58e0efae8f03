extension DICOMFile {
  /// The codestream of frame 0 of encapsulated pixel data with `items` items (the offset table first):
  /// its fragments joined. They are all fragments for a single frame; else those the Basic Offset Table
  /// gives frame 0; else the first when there is one fragment per frame; else those up to the next
  /// fragment that starts with `codestreamStart` (the codec's start-of-codestream marker).
  func firstFrameCodestream(items: Int, frames: Int, codestreamStart: [UInt8]) throws(DICOMError) -> [UInt8] {
    guard items >= 2 else { throw DICOMError(.corruptPixelData, "the encapsulated pixel data holds no fragment") }
    var fragments: [[UInt8]] = []
    if frames <= 1 {
      for index in 1..<items { fragments.append(try pixelItem(index)) }
      return fragments.count == 1 ? fragments[0] : Array(fragments.joined())
    }
    let table = try pixelItem(0)
    if table.count >= 8 {
      // Offsets are little endian, measured from the first fragment's item tag; each item adds 8 bytes.
      let next = Int(table[4]) | Int(table[5]) << 8 | Int(table[6]) << 16 | Int(table[7]) << 24
      var position = 0
      for index in 1..<items where position < next {
        let fragment = try pixelItem(index)
        fragments.append(fragment)
        position += 8 + fragment.count
      }
    } else if items - 1 == frames {
      fragments = [try pixelItem(1)]
    } else {
      fragments = [try pixelItem(1)]
      for index in 2..<items {
        let fragment = try pixelItem(index)
        if fragment.starts(with: codestreamStart) { break }
        fragments.append(fragment)
      }
    }
    return fragments.count == 1 ? fragments[0] : Array(fragments.joined())
  }
}
