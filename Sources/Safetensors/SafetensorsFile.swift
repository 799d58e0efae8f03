import Foundation

/// The contents of one safetensors file: named tensors and string metadata, as a value.
///
/// The format (huggingface/safetensors) is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (`{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}`,
/// padded with spaces to a multiple of 8), then the tensors' bytes. Read a file with ``init(path:)`` or
/// ``init(bytes:)``; write one with ``write(toPath:)`` (atomically) or ``serialized()``.
///
/// ```swift
/// var checkpoint = SafetensorsFile(metadata: ["epoch": "3"])
/// checkpoint["classifier.weight"] = try SafetensorsTensor(weights, shape: [3, 1024])
/// try checkpoint.write(toPath: "/var/lib/isnetd/model.safetensors")
/// let weights = try SafetensorsFile(path: "/var/lib/isnetd/model.safetensors")
///   .tensor(named: "classifier.weight").floats()
/// ```
public struct SafetensorsFile: Equatable, Sendable {
  /// The largest header accepted on reading and produced on writing, in bytes: 100 MB, the reference
  /// implementation's limit.
  public static let maximumHeaderLength = 100_000_000

  /// The tensors by name. Names are compared as Swift strings (Unicode canonical equivalence).
  public var tensors: [String: SafetensorsTensor]
  /// Free-form string metadata, written under `__metadata__`; the key is left out when this is empty.
  public var metadata: [String: String]

  /// Makes a file's contents from tensors and metadata.
  public init(tensors: [String: SafetensorsTensor] = [:], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// The tensor called `name`, or nil; setting nil removes it.
  public subscript(name: String) -> SafetensorsTensor? {
    get { tensors[name] }
    set { tensors[name] = newValue }
  }

  /// The tensor called `name`; throws `missingTensor` naming it when there is none.
  public func tensor(named name: String) throws(SafetensorsError) -> SafetensorsTensor {
    guard let tensor = tensors[name] else {
      throw SafetensorsError(.missingTensor, "there is no tensor `\(name)`", tensor: name)
    }
    return tensor
  }

  /// The tensor names in the order their bytes are written: by dtype in the reference implementation's
  /// order, widest first (so every tensor starts at a multiple of its element size), then by name,
  /// compared byte by byte in UTF-8, as the reference implementation sorts them.
  public var orderedNames: [String] {
    tensors.map { (name: $0.key, rank: $0.value.dtype.referenceRank) }
      .sorted { $0.rank != $1.rank ? $0.rank > $1.rank : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
      .map(\.name)
  }
}
