/// The Modality LUT module's transform from stored values to modality values (PS3.3 C.11.1), applied
/// in Float32 arithmetic: `stored × slope + intercept`, or a lookup table.
public enum ModalityTransform: Sendable, Equatable, Codable {
  /// Neither a Modality LUT Sequence nor both Rescale Slope and Intercept: modality values are the
  /// stored values.
  case identity
  /// Rescale Slope (0028,1053) and Rescale Intercept (0028,1052).
  case rescale(slope: Double, intercept: Double)
  /// The first item of the Modality LUT Sequence (0028,3000).
  case lookupTable(LookupTable)

  /// A LUT: stored values below `firstMapped` take the first entry, values past the end the last.
  public struct LookupTable: Sendable, Equatable, Codable {
    public let firstMapped: Int
    public let bitsPerEntry: Int
    public let entries: [Float]
    public let explanation: String?
  }

  /// Reads the transform of a dataset. The LUT Descriptor's first mapped value is signed when Pixel
  /// Representation is 1; an entry count of 0 means 65,536.
  init(_ elements: Elements, isSigned: Bool) throws(DICOMError) {
    if elements.sequenceCount(.modalityLUTSequence) > 0, let item = elements.sequenceItem(.modalityLUTSequence, 0) {
      self = .lookupTable(try LookupTable(item, isSigned: isSigned, what: "Modality LUT"))
      return
    }
    if elements.valueCount(.rescaleSlope) > 0, elements.valueCount(.rescaleIntercept) > 0,
      let slope = try elements.number(.rescaleSlope), let intercept = try elements.number(.rescaleIntercept)
    {
      self = .rescale(slope: slope, intercept: intercept)
      return
    }
    self = .identity
  }

  /// The modality values `stored` values in `storedRange` can take: the image of the range. Throws
  /// `non_finite_value` when a rescale takes them beyond the range of 32-bit floats.
  func outputRange(of storedRange: ClosedRange<Float>) throws(DICOMError) -> ClosedRange<Float> {
    switch self {
    case .identity:
      return storedRange
    case .rescale(let slope, let intercept):
      let a = storedRange.lowerBound * Float(slope) + Float(intercept)
      let b = storedRange.upperBound * Float(slope) + Float(intercept)
      guard a.isFinite, b.isFinite else {
        throw DICOMError(.nonFiniteValue, "rescale slope \(slope) and intercept \(intercept) take the stored values "
          + "\(storedRange) beyond the range of 32-bit floats")
      }
      return Swift.min(a, b)...Swift.max(a, b)
    case .lookupTable(let table):
      let low = table.entries.min() ?? 0
      let high = table.entries.max() ?? 0
      return low...high
    }
  }

  /// Applies the transform in place; with `pivot`, every result `m` becomes `pivot - m` (MONOCHROME1
  /// turned into MONOCHROME2 polarity).
  func apply(to buffer: UnsafeMutableBufferPointer<Float>, invertingAround pivot: Float?) {
    if case .identity = self, pivot == nil { return }
    let sign: Float = pivot == nil ? 1 : -1
    let offset: Float = pivot ?? 0
    switch self {
    case .identity:
      for i in buffer.indices { buffer[i] = offset - buffer[i] }
    case .rescale(let slope, let intercept):
      let m = Float(slope)
      let b = Float(intercept)
      for i in buffer.indices { buffer[i] = offset + sign * (buffer[i] * m + b) }
    case .lookupTable(let table):
      let last = table.entries.count - 1
      let first = Float(table.firstMapped)
      table.entries.withUnsafeBufferPointer { entries in
        for i in buffer.indices {
          let index = Int(Swift.max(buffer[i] - first, 0))
          buffer[i] = offset + sign * entries[Swift.min(index, last)]
        }
      }
    }
  }
}

extension ModalityTransform.LookupTable {
  /// Reads a LUT item (LUT Descriptor, LUT Data, LUT Explanation) as PS3.3 C.11.1.1.1 describes it.
  init(_ item: Elements, isSigned: Bool, what: String) throws(DICOMError) {
    guard let descriptor = try LUTDescriptor(item, .lutDescriptor, isSigned: isSigned, what: what) else {
      throw DICOMError(.corrupt, "\(what) Descriptor \(Tag.lutDescriptor) is missing")
    }
    let count = descriptor.entryCount
    let bits = descriptor.bitsPerEntry
    guard let data = try item.bytes(.lutData), !data.isEmpty else {
      throw DICOMError(.corrupt, "\(what) Data \(Tag.lutData) is missing")
    }
    entries = try Self.entries(data, count: count, bits: bits, what: what)
    firstMapped = descriptor.firstMapped
    bitsPerEntry = bits
    explanation = try item.trimmed(.lutExplanation)
  }

  /// LUT entries from little-endian data: 16-bit words, or bytes when 8-bit entries are packed.
  static func entries(_ data: [UInt8], count: Int, bits: Int, what: String) throws(DICOMError) -> [Float] {
    if data.count >= count * 2 {
      return (0..<count).map { Float(UInt16(data[2 * $0]) | UInt16(data[2 * $0 + 1]) << 8) }
    }
    if bits <= 8 && data.count >= count {
      return data.prefix(count).map(Float.init)
    }
    throw DICOMError(.corrupt, "\(what) Data holds \(data.count) bytes for \(count) entries of \(bits) bits")
  }
}

/// A LUT Descriptor (PS3.3 C.11.1.1.1, C.7.6.3.1.5): the entry count (0 means 65,536), the first
/// stored value mapped (stored as US but meant as SS when Pixel Representation is 1) and the bits per
/// entry, each checked to be a 16-bit integer before it is used as one.
struct LUTDescriptor {
  let entryCount: Int
  let firstMapped: Int
  let bitsPerEntry: Int

  /// nil when `tag` is absent or empty.
  init?(_ elements: Elements, _ tag: Tag, isSigned: Bool, what: String) throws(DICOMError) {
    guard let values = try elements.numbers(tag) else { return nil }
    guard values.count == 3, values.allSatisfy({ (-32_768...65_535).contains($0) && $0.rounded() == $0 }),
      values[0] >= 0, (1...16).contains(values[2])
    else {
      throw DICOMError(.corrupt, "\(what) Descriptor \(tag) holds \(values); it holds an entry count, a first "
        + "mapped value and 1 to 16 bits per entry")
    }
    entryCount = values[0] == 0 ? 65_536 : Int(values[0])
    let first = Int(values[1])
    firstMapped = isSigned && first > 32_767 ? first - 65_536 : first
    bitsPerEntry = Int(values[2])
  }
}
