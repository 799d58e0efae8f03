public import Foundation

extension SafetensorsFile {
  /// Reads and validates the safetensors file at `path`.
  ///
  /// The file is read once into one buffer that its tensors' `bytes` share; nothing is copied after that.
  /// Throws `io` when the file cannot be read, otherwise the validation errors of ``init(bytes:)``, with
  /// the path in the message.
  public init(path: String) throws(SafetensorsError) {
    let buffer = try FileBuffer(readingFile: path)
    let layout: Layout
    do {
      layout = try Self.layout(of: buffer.bytes)
    } catch {
      throw SafetensorsError(error.code, "\(path): \(error.message)", tensor: error.tensor)
    }
    var tensors: [String: SafetensorsTensor] = [:]
    for entry in layout.entries {
      let count = entry.range.count
      let bytes =
        count == 0
        ? Data()
        : Data(
          bytesNoCopy: buffer.base + layout.dataStart + entry.range.lowerBound, count: count,
          // Each tensor keeps the shared buffer alive; the buffer frees itself after the last one goes.
          deallocator: .custom { _, _ in withExtendedLifetime(buffer) {} })
      tensors[entry.name] = SafetensorsTensor(validated: entry.dtype, shape: entry.shape, bytes: bytes)
    }
    self.init(tensors: tensors, metadata: layout.metadata)
  }

  /// Reads and validates safetensors bytes, copying each tensor's bytes once out of `bytes`.
  ///
  /// Throws `truncated`, `headerTooLarge`, `invalidJSON`, `invalidHeader`, `unknownDtype`, `invalidShape`,
  /// `byteLengthMismatch`, `invalidOffsets`, `trailingData` or `duplicateName`, naming the tensor concerned.
  public init(bytes: Data) throws(SafetensorsError) {
    let layout = try bytes.withUnsafeBytes { raw in
      Result { () throws(SafetensorsError) in try Self.layout(of: raw) }
    }.get()
    var tensors: [String: SafetensorsTensor] = [:]
    for entry in layout.entries {
      let start = bytes.startIndex + layout.dataStart + entry.range.lowerBound
      let slice = bytes.subdata(in: start..<(start + entry.range.count))
      tensors[entry.name] = SafetensorsTensor(validated: entry.dtype, shape: entry.shape, bytes: slice)
    }
    self.init(tensors: tensors, metadata: layout.metadata)
  }

  /// Where the tensors of a validated file lie.
  struct Layout {
    struct Entry {
      var name: String
      var dtype: SafetensorsDType
      var shape: [Int]
      /// The tensor's bytes, relative to the start of the data buffer.
      var range: Range<Int>
    }

    var metadata: [String: String]
    var entries: [Entry]
    /// Where the data buffer starts in the file: 8 plus the header length.
    var dataStart: Int
  }

  /// Parses and validates the header of the file `file` and checks it against the file's size.
  static func layout(of file: UnsafeRawBufferPointer) throws(SafetensorsError) -> Layout {
    guard file.count >= 8 else {
      throw SafetensorsError(.truncated, "the file holds \(file.count) bytes, fewer than the 8 of the header length")
    }
    let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
    guard declared <= UInt64(maximumHeaderLength) else {
      throw SafetensorsError(
        .headerTooLarge, "the header length \(declared) exceeds the limit of \(maximumHeaderLength) bytes")
    }
    let headerLength = Int(declared)
    guard file.count - 8 >= headerLength else {
      throw SafetensorsError(
        .truncated, "the header length is \(headerLength) bytes but only \(file.count - 8) bytes follow it")
    }
    let header = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerLength)]))
    let (metadata, entries) = try parseHeader(header)

    // The tensors must tile the data buffer: sorted by offsets, each starts where the previous ends.
    let dataLength = file.count - 8 - headerLength
    var end = 0
    var previous: Layout.Entry?
    let sorted = entries.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
    for entry in sorted {
      if entry.range.lowerBound < end, let previous {
        throw SafetensorsError(
          .invalidOffsets,
          "tensor `\(entry.name)` at data_offsets \(offsets(entry)) overlaps tensor `\(previous.name)` at "
            + offsets(previous),
          tensor: entry.name)
      }
      if entry.range.lowerBound > end {
        throw SafetensorsError(
          .invalidOffsets,
          "data bytes \(end)..<\(entry.range.lowerBound) before tensor `\(entry.name)` (data_offsets \(offsets(entry))) "
            + "belong to no tensor; the tensors must cover the data buffer contiguously",
          tensor: entry.name)
      }
      if entry.range.upperBound > dataLength {
        throw SafetensorsError(
          .truncated,
          "tensor `\(entry.name)` ends at data byte \(entry.range.upperBound) "
            + "but the file holds only \(dataLength) data bytes",
          tensor: entry.name)
      }
      end = entry.range.upperBound
      previous = entry
    }
    if end < dataLength {
      let after = previous.map { " after the last tensor `\($0.name)`" } ?? " and there are no tensors"
      throw SafetensorsError(
        .trailingData, "\(dataLength - end) bytes at the end of the file belong to no tensor\(after)",
        tensor: previous?.name)
    }
    return Layout(metadata: metadata, entries: entries, dataStart: 8 + headerLength)
  }

  /// `[begin, end]` as in the header.
  private static func offsets(_ entry: Layout.Entry) -> String {
    "[\(entry.range.lowerBound), \(entry.range.upperBound)]"
  }

  /// The metadata and tensor entries of a parsed header, each entry checked on its own.
  private static func parseHeader(
    _ header: JSONValue
  ) throws(SafetensorsError) -> (metadata: [String: String], entries: [Layout.Entry]) {
    guard case .object(let members) = header else {
      throw SafetensorsError(.invalidHeader, "the header is \(header.excerpt), not a JSON object")
    }
    var metadata: [String: String]?
    var entries: [Layout.Entry] = []
    var spellings: [String: String] = [:]  // each name as first written, to report canonically equal names
    for (key, value) in members {
      if key == "__metadata__" {
        guard metadata == nil else { throw SafetensorsError(.invalidHeader, "`__metadata__` appears twice") }
        metadata = try parseMetadata(value)
        continue
      }
      if let earlier = spellings[key] {
        let how = Array(earlier.utf8) == Array(key.utf8) ? "appears twice" : "and `\(earlier)` are the same Unicode name"
        throw SafetensorsError(.duplicateName, "tensor `\(key)` \(how) in the header", tensor: key)
      }
      spellings[key] = key
      entries.append(try parseEntry(name: key, value))
    }
    return (metadata ?? [:], entries)
  }

  /// `__metadata__`: an object of strings, or null.
  private static func parseMetadata(_ value: JSONValue) throws(SafetensorsError) -> [String: String] {
    if case .null = value { return [:] }
    guard case .object(let members) = value else {
      throw SafetensorsError(.invalidHeader, "`__metadata__` is \(value.excerpt), not an object of strings")
    }
    var metadata: [String: String] = [:]
    for (key, value) in members {
      guard case .string(let string) = value else {
        throw SafetensorsError(.invalidHeader, "`__metadata__` maps \"\(key)\" to \(value.excerpt), not a string")
      }
      guard metadata.updateValue(string, forKey: key) == nil else {
        throw SafetensorsError(.invalidHeader, "`__metadata__` has the key \"\(key)\" twice")
      }
    }
    return metadata
  }

  /// One tensor's `{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}`; other fields are ignored,
  /// as the reference implementation ignores them.
  private static func parseEntry(name: String, _ value: JSONValue) throws(SafetensorsError) -> Layout.Entry {
    func invalid(_ message: String) -> SafetensorsError {
      SafetensorsError(.invalidHeader, "tensor `\(name)` \(message)", tensor: name)
    }
    guard case .object(let members) = value else { throw invalid("is described by \(value.excerpt), not an object") }
    var fields: [String: JSONValue] = [:]
    for (key, value) in members {
      guard fields.updateValue(value, forKey: key) == nil else { throw invalid("has the field `\(key)` twice") }
    }

    guard let dtypeValue = fields["dtype"] else { throw invalid("has no `dtype`") }
    guard case .string(let dtypeName) = dtypeValue else {
      throw invalid("has the dtype \(dtypeValue.excerpt), not a string")
    }
    guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
      throw SafetensorsError(
        .unknownDtype,
        "tensor `\(name)` has the unknown dtype \"\(dtypeName)\"; known: "
          + SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "),
        tensor: name)
    }

    guard let shapeValue = fields["shape"] else { throw invalid("has no `shape`") }
    guard case .array(let dimensions) = shapeValue else {
      throw invalid("has the shape \(shapeValue.excerpt), not an array")
    }
    var shape: [Int] = []
    for dimension in dimensions {
      guard let size = dimension.integer else { throw invalid("has the shape entry \(dimension.excerpt), not an integer") }
      shape.append(size)
    }

    guard let offsetsValue = fields["data_offsets"] else { throw invalid("has no `data_offsets`") }
    guard case .array(let bounds) = offsetsValue, bounds.count == 2 else {
      throw invalid("has the data_offsets \(offsetsValue.excerpt), not an array [begin, end]")
    }
    guard let begin = bounds[0].integer, let end = bounds[1].integer else {
      throw invalid("has data_offsets [\(bounds[0].excerpt), \(bounds[1].excerpt)], not integers")
    }
    guard begin >= 0, end >= begin else {
      throw SafetensorsError(
        .invalidOffsets, "tensor `\(name)` has the data_offsets [\(begin), \(end)], which are negative or reversed",
        tensor: name)
    }

    let expected = try SafetensorsTensor.byteCount(dtype: dtype, shape: shape, tensor: name)
    guard end - begin == expected else {
      throw SafetensorsError(
        .byteLengthMismatch,
        "tensor `\(name)` is \(dtype.rawValue) of shape \(shape), \(expected) bytes, "
          + "but its data_offsets [\(begin), \(end)] span \(end - begin) bytes",
        tensor: name)
    }
    return Layout.Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
  }
}
