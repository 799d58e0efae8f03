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

  /// The modality values `stored` values in `storedRange` can take: the image of the range.
  func outputRange(of storedRange: ClosedRange<Float>) -> ClosedRange<Float> {
    switch self {
    case .identity:
      return storedRange
    case .rescale(let slope, let intercept):
      let a = storedRange.lowerBound * Float(slope) + Float(intercept)
      let b = storedRange.upperBound * Float(slope) + Float(intercept)
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
    guard let descriptor = try item.numbers(.lutDescriptor), descriptor.count == 3 else {
      throw DICOMError(.corrupt, "\(what) Descriptor \(Tag.lutDescriptor) does not hold 3 values")
    }
    let count = descriptor[0] == 0 ? 65_536 : Int(descriptor[0])
    var firstMapped = Int(descriptor[1])
    if isSigned && firstMapped > 32_767 { firstMapped -= 65_536 }  // stored as US, meant as SS
    let bits = Int(descriptor[2])
    guard let data = try item.bytes(.lutData), !data.isEmpty else {
      throw DICOMError(.corrupt, "\(what) Data \(Tag.lutData) is missing")
    }
    entries = try Self.entries(data, count: count, bits: bits, what: what)
    self.firstMapped = firstMapped
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
