public import Foundation

/// The public pydicom test corpora (wheels pydicom 3.0.2 and pydicom-data 1.0.0) with pydicom's own
/// reading of every file, prepared once by `scripts/pydicom_reference.py` into `.fixtures/pydicom`
/// (gitignored; the first run downloads from PyPI).
public struct PydicomCorpus: Sendable {
  /// One corpus file and what pydicom made of it.
  public struct Entry: Decodable, Sendable {
    /// Relative to ``PydicomCorpus/corpus``: `pydicom/...` or `pydicom-data/...`.
    public let path: String
    /// "decoded" or "failed".
    public let status: String
    public let error: String?
    public let transferSyntax: String?
    /// Relative to the fixtures folder: raw little-endian float32 values of the first frame.
    public let reference: String?
    public let rows: Int?
    public let columns: Int?
    public let photometric: String?
    public let colour: Bool?
    public let lossy: Bool?

    public var isDecoded: Bool { status == "decoded" }

    enum CodingKeys: String, CodingKey {
      case path, status, error, reference, rows, columns, photometric, colour, lossy
      case transferSyntax = "transfer_syntax"
    }
  }

  struct Manifest: Decodable {
    let format: Int
    let pydicom: String
    let files: [Entry]
  }

  /// The folder holding `corpus/`, `reference/` and the virtual environment.
  public let fixtures: URL
  public let pydicomVersion: String
  public let entries: [Entry]

  /// The folder of the corpus files.
  public var corpus: URL { fixtures.appendingPathComponent("corpus") }

  public func path(of entry: Entry) -> String { corpus.appendingPathComponent(entry.path).path }

  /// The entry of a corpus file, by its path under `corpus/`.
  public func entry(_ path: String) -> Entry? { entries.first { $0.path == path } }

  /// pydicom's values for `entry` (first frame, row-major).
  public func referenceValues(of entry: Entry) throws -> [Float] {
    guard let reference = entry.reference else { return [] }
    let data = try Data(contentsOf: fixtures.appendingPathComponent(reference))
    return data.withUnsafeBytes { raw in
      (0..<data.count / 4).map {
        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
      }
    }
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var prepared: Result<PydicomCorpus, any Error>?

  /// Prepares the corpus once per process (and once per machine: later runs find it ready).
  public static func shared() throws -> PydicomCorpus {
    lock.lock()
    defer { lock.unlock() }
    if prepared == nil { prepared = Result { try load() } }
    return try prepared!.get()
  }

  private static func load() throws -> PydicomCorpus {
    let root = Repository.root
    let fixtures = root.appendingPathComponent(".fixtures/pydicom")
    try Command.run("python3", [root.appendingPathComponent("scripts/pydicom_reference.py").path,
                                "--fixtures", fixtures.path])
    let data = try Data(contentsOf: fixtures.appendingPathComponent("reference/manifest.json"))
    let manifest = try JSONDecoder().decode(Manifest.self, from: data)
    return PydicomCorpus(fixtures: fixtures, pydicomVersion: manifest.pydicom, entries: manifest.files)
  }
}

/// The checkout this test build comes from.
public enum Repository {
  /// The folder holding Package.swift, found from this source file's location.
  public static var root: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }
}
