/// Colour to gray: ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, which is also the Y of
/// YBR_FULL, so YBR images give their Y channel as is.
enum Luminance {
  static let red: Float = 0.299
  static let green: Float = 0.587
  static let blue: Float = 0.114

  /// The luminance of colour channels: RGB, or YBR_FULL (and YBR_FULL_422 read as its Y channel),
  /// whose first channel is the luma.
  static func of(_ samples: StoredSamples) -> [Float] {
    let channels = samples.channels
    if samples.photometric == .rgb {
      return rgbLuminance(count: channels[0].count) { i in (channels[0][i], channels[1][i], channels[2][i]) }
    }
    return channels[0]
  }

  static func rgbLuminance(count: Int, _ rgb: (Int) -> (Float, Float, Float)) -> [Float] {
    var result = [Float](repeating: 0, count: count)
    result.withUnsafeMutableBufferPointer { output in
      for i in 0..<count {
        let (r, g, b) = rgb(i)
        output[i] = red * r + green * g + blue * b
      }
    }
    return result
  }
}

/// The Palette Color Lookup Table module (PS3.3 C.7.6.3.1.5-6, segmented tables C.7.9): indices to
/// red, green and blue entries.
struct Palette {
  let firstMapped: Int
  let red: [Float]
  let green: [Float]
  let blue: [Float]

  init(_ elements: Elements, isSigned: Bool) throws(DICOMError) {
    guard let descriptor = try LUTDescriptor(elements, .redPaletteDescriptor, isSigned: isSigned, what: "Red Palette")
    else { throw DICOMError(.corrupt, "PALETTE COLOR without a Red Palette Color Lookup Table Descriptor") }
    let count = descriptor.entryCount
    firstMapped = descriptor.firstMapped
    let bits = descriptor.bitsPerEntry
    var tables: [[Float]] = []
    let plain: [Tag] = [.redPaletteData, .greenPaletteData, .bluePaletteData]
    let segmented: [Tag] = [.segmentedRedPaletteData, .segmentedGreenPaletteData, .segmentedBluePaletteData]
    for (plainTag, segmentedTag) in zip(plain, segmented) {
      if let data = try elements.bytes(plainTag), !data.isEmpty {
        // 8-bit entries may be packed two to a word: the data length tells the entry size.
        let entryBits = data.count >= count * 2 ? 16 : 8
        tables.append(try ModalityTransform.LookupTable.entries(data, count: count, bits: entryBits, what: "Palette"))
      } else if let data = try elements.bytes(segmentedTag), !data.isEmpty {
        tables.append(try Self.expandSegmented(data, bits: bits))
      } else {
        throw DICOMError(.corrupt, "PALETTE COLOR without palette data for every colour")
      }
    }
    guard tables[0].count == tables[1].count, tables[1].count == tables[2].count, !tables[0].isEmpty else {
      throw DICOMError(.corrupt, "the red, green and blue palettes differ in length")
    }
    red = tables[0]
    green = tables[1]
    blue = tables[2]
  }

  /// The luminance of the palette colours of `indices`.
  func luminance(of indices: [Float]) -> [Float] {
    let last = red.count - 1
    let first = Float(firstMapped)
    return Luminance.rgbLuminance(count: indices.count) { i in
      let index = Swift.min(Int(Swift.max(indices[i] - first, 0)), last)
      return (red[index], green[index], blue[index])
    }
  }

  /// Expands segmented palette data (discrete, linear and indirect segments) the way pydicom does, so
  /// that both read the same colours: linear segments are rounded half to even.
  static func expandSegmented(_ data: [UInt8], bits: Int) throws(DICOMError) -> [Float] {
    let words: [Int] = bits == 8
      ? data.map(Int.init)
      : stride(from: 0, to: data.count - 1, by: 2).map { Int(data[$0]) | Int(data[$0 + 1]) << 8 }
    var table: [Int] = []
    var visits = 0
    try expand(words, from: 0, segments: nil, into: &table, visits: &visits, eightBit: bits == 8, depth: 0)
    return table.map(Float.init)
  }

  /// The most segments one palette's expansion visits: indirect segments re-read others, so without a
  /// bound eight levels of them over empty segments take 65,535^8 steps and add nothing to the table.
  static let maximumSegmentVisits = 1 << 20

  private static func expand(_ words: [Int], from start: Int, segments: Int?, into table: inout [Int],
                             visits: inout Int, eightBit: Bool, depth: Int) throws(DICOMError) {
    guard depth < 8 else { throw DICOMError(.corrupt, "indirect palette segments nest too deeply") }
    var offset = start
    var read = 0
    while offset + 1 < words.count {
      if let segments, read == segments { return }
      visits += 1
      guard visits <= maximumSegmentVisits else {
        throw DICOMError(.corrupt, "the segmented palette takes more than \(maximumSegmentVisits) segments to expand")
      }
      let opcode = words[offset]
      let length = words[offset + 1]
      offset += 2
      switch opcode {
      case 0:
        guard offset + length <= words.count else { throw DICOMError(.corrupt, "a discrete palette segment overruns") }
        table.append(contentsOf: words[offset..<offset + length])
        offset += length
      case 1:
        guard let y0 = table.last, offset < words.count else {
          throw DICOMError(.corrupt, "a linear palette segment has no start value")
        }
        let y1 = words[offset]
        offset += 1
        guard length > 0 else { continue }
        if y0 == y1 {
          table.append(contentsOf: repeatElement(y1, count: length))
        } else {
          // numpy.linspace(y0 + step, y1, length), rounded half to even.
          let step = Double(y1 - y0) / Double(length)
          let begin = Double(y0) + step
          let spacing = length > 1 ? (Double(y1) - begin) / Double(length - 1) : 0
          for k in 0..<length {
            let value = k == length - 1 ? Double(y1) : begin + Double(k) * spacing
            table.append(Int(value.rounded(.toNearestOrEven)))
          }
        }
      case 2:
        guard !table.isEmpty else { throw DICOMError(.corrupt, "an indirect palette segment comes first") }
        let target: Int
        if eightBit {
          guard offset + 3 < words.count else { throw DICOMError(.corrupt, "an indirect palette segment overruns") }
          let b = (words[offset + 3], words[offset + 2], words[offset + 1], words[offset])
          target = (b.0 << 8 | b.1) << 16 | (b.2 << 8 | b.3)
          offset += 4
        } else {
          guard offset + 1 < words.count else { throw DICOMError(.corrupt, "an indirect palette segment overruns") }
          target = words[offset + 1] << 16 | words[offset]
          offset += 2
        }
        guard target < words.count, target != offset else {
          throw DICOMError(.corrupt, "an indirect palette segment points outside the data")
        }
        try expand(words, from: target, segments: length, into: &table, visits: &visits, eightBit: eightBit, depth: depth + 1)
      default:
        throw DICOMError(.corrupt, "unknown palette segment type \(opcode)")
      }
      read += 1
      if table.count > 1 << 20 { throw DICOMError(.corrupt, "the segmented palette expands past 1M entries") }
    }
  }
}
