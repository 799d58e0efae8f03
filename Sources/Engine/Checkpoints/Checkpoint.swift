import Durable
public import Foundation
import Glibc
import Safetensors
import Torch

/// A model checkpoint on disk: weights in safetensors under their PyTorch state-dict names
/// (`<name>.safetensors`) and a JSON sidecar (`<name>.json`, `CheckpointMetadata`). Both are written
/// atomically, weights first, so a sidecar never points at missing or partial weights.
public struct Checkpoint {
  public let weightsPath: String
  public let metadataPath: String

  /// `path` may name either file or the common stem ("models/v3", "models/v3.safetensors").
  public init(path: String) {
    var stem = path
    for suffix in [".safetensors", ".json"] where stem.hasSuffix(suffix) {
      stem.removeLast(suffix.count)
    }
    weightsPath = stem + ".safetensors"
    metadataPath = stem + ".json"
  }

  /// Writes `model`'s state and `metadata` (whose weights fingerprint is filled in). Returns the
  /// metadata as written.
  @discardableResult
  public func save(_ model: some Layer, metadata: CheckpointMetadata) throws -> CheckpointMetadata {
    var file = SafetensorsFile(metadata: ["format": "isnetd-checkpoint", "modelVersion": metadata.modelVersion])
    for entry in model.state {
      file[entry.name] = try safetensor(from: entry.tensor, name: entry.name)
    }
    let bytes = try file.serialized()
    try AtomicFile.write(bytes, to: weightsPath)
    var written = metadata
    written.weightsFingerprint = FNV1a64.digest(of: bytes)
    try AtomicFile.write(try Self.encoder.encode(written), to: metadataPath)
    return written
  }

  /// A sidecar is a few kilobytes (its training history grows by one record per epoch); a larger file
  /// is refused before it is read.
  static let sidecarByteLimit = 16 << 20

  /// Reads the sidecar and checks every value in it (``CheckpointMetadata/validate()``).
  public func metadata() throws -> CheckpointMetadata {
    let data = try Self.readRegularFile(metadataPath, limit: Self.sidecarByteLimit)
    let metadata: CheckpointMetadata
    do {
      metadata = try CheckpointMetadata.decode(data)
    } catch {
      throw EngineError.checkpoint("\(metadataPath) is not valid checkpoint metadata: \(PlainErrorText.of(error))")
    }
    do {
      try metadata.validate()
    } catch .checkpointField(let field, let message) {
      throw EngineError.checkpointField(field: field, message: "\(message) (\(metadataPath))")
    }
    return metadata
  }

  /// Builds the checkpoint's classifier and loads its weights. Nothing is built before the sidecar is
  /// checked and the weights are read, fingerprinted, found finite and found to confirm the sizes the
  /// sidecar gives (``Architecture/confirm(by:)``).
  public func loadClassifier() throws -> (model: any Classifier, metadata: CheckpointMetadata) {
    let metadata = try metadata()
    let weights = try confirmedWeights(for: metadata)
    let model = try metadata.architecture.makeClassifier()
    try load(weights, into: model)
    return (model, metadata)
  }

  /// Copies the weights file into `model`'s tensors after checking that the names and shapes match
  /// exactly; a mismatch names every offending tensor. With `expectedFingerprint`, the file must have it.
  public func loadWeights(into model: some Layer, expectedFingerprint: String? = nil) throws {
    try load(readWeights(expectedFingerprint: expectedFingerprint), into: model)
  }

  /// The weights file, checked against the sidecar: fingerprint, finite values, and the architecture's
  /// sizes against the tensors' names and shapes.
  func confirmedWeights(for metadata: CheckpointMetadata) throws -> SafetensorsFile {
    let weights = try readWeights(expectedFingerprint: metadata.weightsFingerprint)
    do {
      try metadata.architecture.confirm(by: weights.tensors.mapValues(\.shape))
    } catch .checkpointField(let field, let message) {
      throw EngineError.checkpointField(field: field, message: "\(message) (\(metadataPath), \(weightsPath))")
    } catch {
      throw EngineError.checkpoint("\(weightsPath) does not fit its sidecar: \(error)")
    }
    return weights
  }

  /// Reads and parses the weights file; it must have `expectedFingerprint` when one is given and hold
  /// only finite values.
  func readWeights(expectedFingerprint: String?) throws -> SafetensorsFile {
    let bytes = try Self.readRegularFile(weightsPath, limit: nil)
    if let expectedFingerprint, FNV1a64.digest(of: bytes) != expectedFingerprint {
      throw EngineError.checkpoint("\(weightsPath) does not match its sidecar (fingerprint \(FNV1a64.digest(of: bytes)), expected \(expectedFingerprint))")
    }
    let file: SafetensorsFile
    do {
      file = try SafetensorsFile(bytes: bytes)
    } catch {
      throw EngineError.checkpoint("\(weightsPath): \(error)")
    }
    for name in file.orderedNames {
      guard let stored = file[name] else { continue }
      let finite: Bool
      switch stored.dtype {
      case .f32: finite = try stored.floats().allSatisfy(\.isFinite)
      case .f64: finite = try stored.doubles().allSatisfy(\.isFinite)
      default: finite = true
      }
      guard finite else {
        throw EngineError.nonFiniteWeights(tensor: name, message: "holds NaN or infinity (\(weightsPath))")
      }
    }
    return file
  }

  /// Copies `file`'s tensors into `model`'s after checking that the names and shapes match exactly.
  func load(_ file: SafetensorsFile, into model: some Layer) throws {
    let state = model.state
    var problems: [String] = []
    let expected = Set(state.map(\.name))
    let missing = state.map(\.name).filter { file[$0] == nil }
    let unexpected = file.orderedNames.filter { !expected.contains($0) }
    if !missing.isEmpty { problems.append("missing: \(missing.joined(separator: ", "))") }
    if !unexpected.isEmpty { problems.append("unexpected: \(unexpected.joined(separator: ", "))") }
    for entry in state {
      guard let stored = file[entry.name], stored.shape != entry.tensor.shape else { continue }
      problems.append("\(entry.name) has shape \(stored.shape) in the file, the model needs \(entry.tensor.shape)")
    }
    guard problems.isEmpty else {
      throw EngineError.checkpoint("\(weightsPath) does not fit the model: " + problems.joined(separator: "; "))
    }
    try Torch.withoutGradient {
      for entry in state {
        try entry.tensor.copy_(tensor(from: file[entry.name]!, name: entry.name))
      }
    }
  }

  /// The bytes of the regular file `path` (symbolic links followed), refused when it is something else
  /// (a FIFO would block the read) or larger than `limit`.
  static func readRegularFile(_ path: String, limit: Int?) throws -> Data {
    do {
      return Data(try FileContents.read(path, limit: limit))
    } catch {
      throw EngineError.checkpointUnreadable(error.description)
    }
  }

  public static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }()

  public static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }()
}

/// A tensor's values as a safetensors entry (float32 → F32, float64 → F64, int64 → I64).
func safetensor(from tensor: Tensor, name: String) throws -> SafetensorsTensor {
  switch tensor.dtype {
  case .float32: try SafetensorsTensor(tensor.floats(), shape: tensor.shape)
  case .float64: try SafetensorsTensor(tensor.values(as: Double.self), shape: tensor.shape)
  case .int64: try SafetensorsTensor(tensor.values(as: Int64.self), shape: tensor.shape)
  default: throw EngineError.checkpoint("\(name): tensors of type \(String(describing: tensor.dtype)) cannot be saved")
  }
}

/// A safetensors entry as a tensor (F32, F64, F16 read as float; I64 as int64).
func tensor(from stored: SafetensorsTensor, name: String) throws -> Tensor {
  switch stored.dtype {
  case .f32: try Tensor(stored.floats(), shape: stored.shape)
  case .f64: try Tensor(stored.doubles(), shape: stored.shape)
  case .i64: try Tensor(stored.int64s(), shape: stored.shape)
  default: throw EngineError.checkpoint("\(name) is stored as \(stored.dtype.rawValue); isnetd reads F32, F64 and I64")
  }
}
