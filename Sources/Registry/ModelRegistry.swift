import Durable
public import Foundation
import Glibc
import Screening

/// The models a site has trained, kept in the state directory (docs/retraining.md):
///
///     models/<version>.isnetd-model/     a bundle, with registration.json: how it was made and judged
///     models/current.json                which registered bundle serves (absent: the configured model)
///     models/retrain.lock                held by the retrain that is running, naming it
///     models/current.lock                held for the moment the current pointer changes
///     models/.staging-<pid>-<random>/    a registration being assembled
///
/// A registration appears by one rename of a complete folder, and the current model changes by one
/// atomic replacement of current.json, so a process killed at any moment leaves either the old state
/// or the new one (and perhaps a staging folder, removed once its process is gone).
public struct ModelRegistry: Sendable {
  public let root: String

  static let pointerName = "current.json"
  static let registrationName = "registration.json"
  /// The SOP Instance UIDs a registered model learned or was validated on, one per line: what makes
  /// data "new since the last retrain".
  public static let instancesName = "instances.txt"
  static let stagingPrefix = ".staging-"
  static let bundleSuffix = ".isnetd-model"
  /// current.json and registration.json are small; larger files are refused before they are read.
  static let recordByteLimit = 4 << 20

  /// The registry of the state directory `state`.
  public init(state: String) {
    root = URL(fileURLWithPath: state).standardizedFileURL.path + "/models"
  }

  public var pointerPath: String { "\(root)/\(Self.pointerName)" }

  public func bundlePath(of version: String) -> String { "\(root)/\(version)\(Self.bundleSuffix)" }

  /// Creates the registry's folder when it is missing.
  public func prepare() throws(RegistryError) {
    do {
      try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    } catch {
      throw RegistryError("cannot create the model registry \(root): \(error.localizedDescription)")
    }
  }

  // MARK: - The current model

  /// What current.json says, or nil when there is none (the configured model serves).
  public func pointer() throws(RegistryError) -> CurrentPointer? {
    guard FileManager.default.fileExists(atPath: pointerPath) else { return nil }
    let pointer: CurrentPointer = try Self.readRecord(pointerPath)
    guard pointer.format == CurrentPointer.formatName, pointer.formatVersion == CurrentPointer.currentFormatVersion else {
      throw RegistryError("\(pointerPath) is not a current-model pointer of format \(CurrentPointer.formatName) \(CurrentPointer.currentFormatVersion)")
    }
    if let version = pointer.version {
      guard Registration.isValidVersion(version) else { throw RegistryError("\(pointerPath) names an invalid version \"\(version)\"") }
    }
    return pointer
  }

  /// The bundle that serves: the current registered one, or nil for the configured model.
  public func currentBundlePath() throws(RegistryError) -> String? {
    try pointer()?.version.map(bundlePath(of:))
  }

  /// Identifies current.json's present content cheaply (inode, size, modification time), so a daemon
  /// can notice a switch between batches without reading the file; nil when there is none.
  public func pointerIdentity() -> PointerIdentity? {
    var status = stat()
    guard stat(pointerPath, &status) == 0 else { return nil }
    return PointerIdentity(inode: UInt64(status.st_ino), size: Int64(status.st_size),
                           modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
  }

  /// Makes `version` the current model: its bundle must load and pass its checks first. The previous
  /// current model is remembered for ``rollback()``.
  @discardableResult
  public func promote(_ version: String, reason: String) throws -> CurrentPointer {
    let registration = try registration(of: version)
    _ = try ModelBundle(path: bundlePath(of: registration.version))
    return try changePointer { old in
      guard old?.version != version else { throw RegistryError("\(version) is already the current model") }
      return CurrentPointer(version: version, switchedAt: Date(), reason: reason,
                            previous: (old?.previous ?? []) + (old?.version.map { [$0] } ?? []))
    }
  }

  /// Makes the model that was current before the present one current again (the configured model when
  /// there was none); its bundle must load first.
  @discardableResult
  public func rollback() throws -> CurrentPointer {
    try changePointer { old in
      guard let old, old.version != nil else { throw RegistryError("no registered model is current: there is nothing to roll back") }
      let version = old.previous.last
      if let version { _ = try ModelBundle(path: bundlePath(of: version)) }
      return CurrentPointer(version: version, switchedAt: Date(), reason: "rollback from \(old.version!)",
                            previous: Array(old.previous.dropLast()))
    }
  }

  /// Replaces current.json with what `next` makes of the present pointer, under current.lock so two
  /// switches never interleave; the replacement is one atomic rename.
  private func changePointer(_ next: (CurrentPointer?) throws -> CurrentPointer) throws -> CurrentPointer {
    try prepare()
    let lock = try RegistryLock(path: "\(root)/current.lock", holder: "switching the current model", wait: true)
    defer { withExtendedLifetime(lock) {} }
    let pointer = try next(try self.pointer())
    try AtomicFile.write(Self.encoder.encode(pointer), to: pointerPath)
    return pointer
  }

  // MARK: - Registrations

  /// The registration of `version`.
  public func registration(of version: String) throws(RegistryError) -> Registration {
    guard Registration.isValidVersion(version) else { throw RegistryError("\"\(version)\" is not a model version") }
    let path = "\(bundlePath(of: version))/\(Self.registrationName)"
    guard FileManager.default.fileExists(atPath: path) else { throw RegistryError("no model \(version) in \(root)") }
    let registration: Registration = try Self.readRecord(path)
    guard registration.version == version else {
      throw RegistryError("\(path) describes \(registration.version), not \(version)")
    }
    return registration
  }

  /// Every registration, oldest first; folders that cannot be read are listed with their problem.
  public func list() -> [Listing] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return names.filter { $0.hasSuffix(Self.bundleSuffix) && !$0.hasPrefix(".") }.sorted().map { name in
      let version = String(name.dropLast(Self.bundleSuffix.count))
      do {
        return Listing(version: version, registration: try registration(of: version), problem: nil)
      } catch {
        return Listing(version: version, registration: nil, problem: String(describing: error))
      }
    }
  }

  /// The most recent registration, whatever its decision: the last retrain.
  public func latestRegistration() -> Registration? {
    list().compactMap(\.registration).max { $0.createdAt < $1.createdAt }
  }

  /// The SOP Instance UIDs the registration `version` was made from; nil when it records none (a
  /// bundle registered by hand).
  public func instances(of version: String) throws(RegistryError) -> Set<String>? {
    let path = "\(bundlePath(of: version))/\(Self.instancesName)"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do {
      let text = String(decoding: try FileContents.read(path, limit: 256 << 20), as: UTF8.self)
      return Set(text.split(separator: "\n").map(String.init))
    } catch {
      throw RegistryError("\(path) cannot be read: \(error)")
    }
  }

  /// A staging folder for a new registration; ``register(staged:)`` moves it into the registry.
  public func makeStagingFolder() throws -> String {
    try prepare()
    let path = "\(root)/\(Self.stagingPrefix)\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
  }

  /// Writes `registration` into the complete bundle at `bundle` (inside a staging folder) and moves the
  /// bundle into the registry under its version, in one rename.
  public func register(bundle: String, _ registration: Registration) throws {
    let target = bundlePath(of: registration.version)
    guard !FileManager.default.fileExists(atPath: target) else { throw RegistryError("\(target) exists already") }
    try AtomicFile.write(Self.encoder.encode(registration), to: "\(bundle)/\(Self.registrationName)")
    guard rename(bundle, target) == 0 else {
      throw RegistryError("cannot move \(bundle) to \(target): \(String(cString: strerror(errno)))")
    }
    try AtomicFile.synchronizeDirectory(root)
  }

  /// Removes staging folders whose process is gone (a retrain killed while it assembled a bundle);
  /// returns their names.
  @discardableResult
  public func removeAbandonedStaging() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return names.filter { name in
      guard name.hasPrefix(Self.stagingPrefix),
            let processID = Int32(name.dropFirst(Self.stagingPrefix.count).prefix { $0 != "-" }),
            processID != getpid(), kill(processID, 0) != 0, errno == ESRCH
      else { return false }
      return (try? FileManager.default.removeItem(atPath: "\(root)/\(name)")) != nil
    }
  }

  // MARK: - Records

  /// How registry records are written (and printed by `isnetd models`).
  public static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }()

  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }()

  static func readRecord<Record: Decodable>(_ path: String) throws(RegistryError) -> Record {
    do {
      return try decoder.decode(Record.self, from: Data(FileContents.read(path, limit: recordByteLimit)))
    } catch {
      throw RegistryError("\(path) cannot be read: \(error)")
    }
  }
}

/// current.json: which registered model serves, and the ones that served before it (for rollback).
public struct CurrentPointer: Codable, Sendable, Equatable {
  public static let formatName = "isnetd-current-model"
  public static let currentFormatVersion = 1

  public var format = formatName
  public var formatVersion = currentFormatVersion
  /// The registered version that serves; nil: the configured model (after a rollback past the first).
  public var version: String?
  public var switchedAt: Date
  /// Why it changed: "promoted by retrain", "promoted by an operator", "rollback from ...".
  public var reason: String
  /// The versions that were current before, oldest first.
  public var previous: [String]

  public init(version: String?, switchedAt: Date, reason: String, previous: [String]) {
    self.version = version
    self.switchedAt = switchedAt
    self.reason = reason
    self.previous = previous
  }
}

/// current.json's identity on disk: changes whenever the file is replaced.
public struct PointerIdentity: Sendable, Equatable {
  let inode: UInt64
  let size: Int64
  let modified: Int64
}

/// One registry folder, read or not.
public struct Listing: Sendable {
  public let version: String
  public let registration: Registration?
  /// Why the registration could not be read.
  public let problem: String?
}

/// A registry that cannot be read or changed as asked.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
  public let description: String
  /// Whether a lock was refused because another process holds it.
  public let lockHeld: Bool

  public init(_ description: String, lockHeld: Bool = false) {
    self.description = description
    self.lockHeld = lockHeld
  }
}
