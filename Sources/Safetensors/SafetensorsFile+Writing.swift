import Durable
public import Foundation

extension SafetensorsFile {
  /// The file's bytes: the header length, the header, then each tensor's bytes in ``orderedNames`` order.
  ///
  /// The output is a function of the contents alone: tensors in ``orderedNames`` order, metadata keys
  /// sorted by their UTF-8 bytes, compact JSON escaped as the reference implementation (serde_json)
  /// escapes it. Without metadata, the bytes equal the reference implementation's for the same tensors.
  /// Throws `reservedName` for a tensor named `__metadata__`, `headerTooLarge` beyond
  /// ``maximumHeaderLength``.
  public func serialized() throws(SafetensorsError) -> Data {
    let (header, order) = try encodedHeader()
    var bytes = Data(capacity: header.count + order.reduce(0) { $0 + $1.bytes.count })
    bytes.append(header)
    for tensor in order { bytes.append(tensor.bytes) }
    return bytes
  }

  /// Writes the bytes of ``serialized()`` to `path` atomically: into a temporary file in the same
  /// directory, `fsync`ed, renamed over `path`, then the directory `fsync`ed. Readers see the old file or
  /// the new one, never a part. The tensors' bytes are written from where they lie, without a copy.
  /// Throws what ``serialized()`` throws, and `io` with the path and `strerror`'s text.
  public func write(toPath path: String) throws(SafetensorsError) {
    let (header, order) = try encodedHeader()
    do {
      try AtomicFile.replace(path, with: [header] + order.map(\.bytes))
    } catch {
      throw SafetensorsError(.io, error.message)
    }
  }

  /// The 8-byte header length and the padded header, and the tensors in the order of their data.
  private func encodedHeader() throws(SafetensorsError) -> (header: Data, order: [SafetensorsTensor]) {
    if tensors["__metadata__"] != nil {
      throw SafetensorsError(
        .reservedName, "a tensor cannot be named `__metadata__`, the header's metadata key", tensor: "__metadata__")
    }
    // Escaping only lengthens strings, so this bound refuses a huge header before building it.
    let textLength = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
      + tensors.keys.reduce(0) { $0 + $1.utf8.count }
    guard textLength <= Self.maximumHeaderLength else {
      throw SafetensorsError(
        .headerTooLarge,
        "the header would take over \(textLength) bytes, over the limit of \(Self.maximumHeaderLength)")
    }
    var json: [UInt8] = Array("{".utf8)
    if !metadata.isEmpty {
      Self.appendJSONString("__metadata__", to: &json)
      json.append(contentsOf: ":{".utf8)
      let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (index, key) in keys.enumerated() {
        if index > 0 { json.append(UInt8(ascii: ",")) }
        Self.appendJSONString(key, to: &json)
        json.append(UInt8(ascii: ":"))
        Self.appendJSONString(metadata[key]!, to: &json)
      }
      json.append(UInt8(ascii: "}"))
    }
    var offset = 0
    var order: [SafetensorsTensor] = []
    for name in orderedNames {
      let tensor = tensors[name]!
      if json.count > 1 { json.append(UInt8(ascii: ",")) }
      Self.appendJSONString(name, to: &json)
      json.append(contentsOf: ":{\"dtype\":".utf8)
      Self.appendJSONString(tensor.dtype.rawValue, to: &json)
      json.append(contentsOf: ",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))]".utf8)
      json.append(contentsOf: ",\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}".utf8)
      offset += tensor.bytes.count
      order.append(tensor)
    }
    json.append(UInt8(ascii: "}"))
    // Spaces pad the header so the data starts at a multiple of 8.
    json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
    guard json.count <= Self.maximumHeaderLength else {
      throw SafetensorsError(
        .headerTooLarge, "the header would take \(json.count) bytes, over the limit of \(Self.maximumHeaderLength)")
    }
    var header = Data(capacity: 8 + json.count)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
    header.append(contentsOf: json)
    return (header, order)
  }

  /// Appends `string` as a JSON string, escaped as serde_json escapes: `"`, `\`, and the control
  /// characters (`\b \f \n \r \t`, the others as `\u00xx`); everything else as UTF-8.
  private static func appendJSONString(_ string: String, to json: inout [UInt8]) {
    json.append(UInt8(ascii: "\""))
    let utf8 = string.utf8
    if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
      json.append(contentsOf: utf8)
    } else {
      let hex = Array("0123456789abcdef".utf8)
      for byte in utf8 {
        switch byte {
        case UInt8(ascii: "\""): json.append(contentsOf: "\\\"".utf8)
        case UInt8(ascii: "\\"): json.append(contentsOf: "\\\\".utf8)
        case 0x08: json.append(contentsOf: "\\b".utf8)
        case 0x0C: json.append(contentsOf: "\\f".utf8)
        case 0x0A: json.append(contentsOf: "\\n".utf8)
        case 0x0D: json.append(contentsOf: "\\r".utf8)
        case 0x09: json.append(contentsOf: "\\t".utf8)
        case 0..<0x20: json.append(contentsOf: "\\u00".utf8 + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: json.append(byte)
        }
      }
    }
    json.append(UInt8(ascii: "\""))
  }
}
