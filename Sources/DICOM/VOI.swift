import Foundation

/// A VOI window from Window Center (0028,1050) and Window Width (0028,1051), in the file's modality
/// units and polarity.
public struct VOIWindow: Sendable, Equatable, Codable {
  public let center: Double
  public let width: Double
  /// Window Center & Width Explanation (0028,1055) for this window.
  public let explanation: String?
  /// VOI LUT Function (0028,1056): LINEAR (the default), LINEAR_EXACT or SIGMOID.
  public let function: String?

  public init(center: Double, width: Double, explanation: String? = nil, function: String? = nil) {
    self.center = center
    self.width = width
    self.explanation = explanation
    self.function = function
  }
}

/// A VOI LUT from the VOI LUT Sequence (0028,3010), described (the entries are not applied).
public struct VOILookupTable: Sendable, Equatable, Codable {
  public let entryCount: Int
  public let firstMapped: Int
  public let bitsPerEntry: Int
  public let explanation: String?
}

/// The VOI transforms a file suggests for display. isnetd reports them; its model input uses its own
/// window (see `Imaging.PercentileWindow`).
public struct VOI: Sendable, Equatable, Codable {
  public let windows: [VOIWindow]
  public let lookupTables: [VOILookupTable]

  init(_ elements: Elements) throws(DICOMError) {
    let centers = try elements.lenientNumbers(.windowCenter) ?? []
    let widths = try elements.lenientNumbers(.windowWidth) ?? []
    let explanations = (try elements.string(.windowExplanation))?.split(separator: "\\", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) } ?? []
    let function = try elements.trimmed(.voiLUTFunction)
    windows = zip(centers, widths).enumerated().map { index, pair in
      VOIWindow(center: pair.0, width: pair.1,
                explanation: index < explanations.count && !explanations[index].isEmpty ? explanations[index] : nil,
                function: function)
    }
    var tables: [VOILookupTable] = []
    for index in 0..<elements.sequenceCount(.voiLUTSequence) {
      guard let item = elements.sequenceItem(.voiLUTSequence, index),
        let descriptor = try? LUTDescriptor(item, .lutDescriptor, isSigned: false, what: "VOI LUT")
      else { continue }
      tables.append(VOILookupTable(
        entryCount: descriptor.entryCount, firstMapped: descriptor.firstMapped, bitsPerEntry: descriptor.bitsPerEntry,
        explanation: try item.trimmed(.lutExplanation)))
    }
    lookupTables = tables
  }
}
