public import DICOM
public import Foundation
import Durable
public import Screening
public import Systemd
import Yams

/// The settings of `isnetd serve`: every key with its default, read from a YAML file operators edit
/// by hand (parsed by Yams), then `ISNETD_*` environment variables, then command-line options, each
/// later source winning. Every effective value remembers where it came from (`isnetd check-config`
/// prints them); an unknown key or a value of the wrong kind is an error, never ignored.
/// `samples/isnetd.conf` documents each key.
public struct DaemonConfiguration: Sendable, Equatable {
  /// What happens to an input once its report is written.
  public enum AfterSuccess: String, Sendable, CaseIterable {
    /// Moved to `archive/YYYY-MM-DD/`.
    case archive
    /// Removed (its report, hash and SOP Instance UID stay in the ledger).
    case delete
  }

  public var inbox: String
  public var outbox: String
  public var state: String
  public var quarantine: String
  public var archive: String
  public var afterSuccess: AfterSuccess
  /// The model bundle folder; nil: the shipped default bundle.
  public var model: String?
  public var batchSize: Int
  public var threads: Int
  public var outputs: OutputSelection
  public var pictureSize: Int
  public var acceptance: AcceptanceRules
  /// The Prometheus text file for node_exporter's textfile collector; nil writes none.
  public var metricsFile: String?
  /// How long a file found without a completion event (start-up, rescan, a linked file) must stay
  /// unchanged before it is taken.
  public var settleSeconds: Double
  /// How often the whole inbox is rescanned (network filesystems send no events).
  public var rescanSeconds: Double
  public var log: LogDestination
  public var retrain: RetrainConfiguration

  /// The ledger, work area and run records.
  public var ledgerPath: String { state + "/ledger.sqlite" }
  public var workArea: String { state + "/work" }
}

/// The `retrain.*` keys: what `isnetd retrain` and its timer learn from and what a candidate must beat
/// (docs/retraining.md).
public struct RetrainConfiguration: Sendable, Equatable {
  /// The site's labelled class folders; nil: retraining is not set up.
  public var data: String?
  /// Labelled class folders never trained on, measured with every candidate for the record.
  public var testData: String?
  public var validationFraction: Double
  /// A scheduled retrain trains only when this many labelled images are new since the last retrain.
  public var minimumNewImages: Int
  /// plain, selective, stochastic or original.
  public var variant: String
  public var epochs: Int
  public var threads: Int
  /// The fewest correctly classified validation images the shortcut checks are calibrated on.
  public var calibrationMinimumImages: Int
  public var minimumMacroF1: Double
  public var maximumMacroF1Drop: Double
  public var maximumBackgroundShareIncrease: Double
  /// How unlikely a candidate's validation accuracy must be under guessing the commonest label.
  public var chanceLevel: Double
}

/// Where an effective value came from.
public enum ConfigurationSource: Sendable, Equatable, CustomStringConvertible {
  case defaultValue
  case file(path: String, line: Int)
  case environment(String)
  case commandLine(String)

  public var description: String {
    switch self {
    case .defaultValue: "default"
    case .file(let path, let line): "\(path):\(line)"
    case .environment(let name): "environment \(name)"
    case .commandLine(let option): "command line \(option)"
    }
  }
}

/// A configuration that cannot be used, with the key and source at fault.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}

/// One key: its name in the file (`acceptance.views` is `views:` under `acceptance:`), its
/// environment variable, and its default as text (nil: required, or derived from another key).
struct ConfigurationKey: Sendable {
  enum Kind: Sendable { case path, integer(ClosedRange<Int>), number(ClosedRange<Double>), flag, list, choice([String]) }

  let name: String
  let kind: Kind
  let defaultText: String?

  var environmentName: String { Self.environmentName(of: name) }

  static func environmentName(of name: String) -> String { "ISNETD_" + name.uppercased().replacingOccurrences(of: ".", with: "_") }
}

/// The effective text of every key and its source, before it is typed: what `check-config` prints.
public struct ResolvedConfiguration: Sendable {
  public struct Entry: Sendable, Equatable {
    public let key: String
    public let value: String
    public let source: ConfigurationSource
  }

  public let entries: [Entry]
  public let configuration: DaemonConfiguration
}

extension DaemonConfiguration {
  static let outputNames = ["overlay", "lung_mask", "relevance", "dicom"]

  /// Every key, in the order the sample file and `check-config` list them.
  static let keys: [ConfigurationKey] = {
    let rules = AcceptanceRules()
    return [
      ConfigurationKey(name: "inbox", kind: .path, defaultText: nil),
      ConfigurationKey(name: "outbox", kind: .path, defaultText: nil),
      ConfigurationKey(name: "state", kind: .path, defaultText: nil),
      ConfigurationKey(name: "quarantine", kind: .path, defaultText: nil),
      ConfigurationKey(name: "archive", kind: .path, defaultText: nil),
      ConfigurationKey(name: "after_success", kind: .choice(AfterSuccess.allCases.map(\.rawValue)), defaultText: "archive"),
      ConfigurationKey(name: "model", kind: .path, defaultText: ""),
      ConfigurationKey(name: "batch_size", kind: .integer(1...64), defaultText: "8"),
      ConfigurationKey(name: "threads", kind: .integer(1...256), defaultText: String(ProcessInfo.processInfo.activeProcessorCount)),
      ConfigurationKey(name: "outputs", kind: .list, defaultText: "overlay, lung_mask"),
      ConfigurationKey(name: "picture_size", kind: .integer(64...8192), defaultText: "1024"),
      ConfigurationKey(name: "acceptance.modalities", kind: .list, defaultText: rules.modalities.sorted().joined(separator: ", ")),
      ConfigurationKey(name: "acceptance.sop_class_uids", kind: .list, defaultText: rules.sopClassUIDs.sorted().joined(separator: ", ")),
      ConfigurationKey(name: "acceptance.body_parts", kind: .list, defaultText: rules.bodyParts.sorted().joined(separator: ", ")),
      ConfigurationKey(name: "acceptance.views", kind: .list, defaultText: rules.views.sorted().joined(separator: ", ")),
      ConfigurationKey(name: "acceptance.accept_missing_view", kind: .flag, defaultText: String(rules.acceptMissingView)),
      ConfigurationKey(name: "metrics_file", kind: .path, defaultText: ""),
      ConfigurationKey(name: "settle_seconds", kind: .number(0...3600), defaultText: "2"),
      ConfigurationKey(name: "rescan_seconds", kind: .number(1...86400), defaultText: "60"),
      ConfigurationKey(name: "log", kind: .choice(LogDestination.allCases.map(\.rawValue)), defaultText: "automatic"),
      ConfigurationKey(name: "retrain.data", kind: .path, defaultText: ""),
      ConfigurationKey(name: "retrain.test_data", kind: .path, defaultText: ""),
      ConfigurationKey(name: "retrain.validation_fraction", kind: .number(0.01...0.9), defaultText: "0.2"),
      ConfigurationKey(name: "retrain.minimum_new_images", kind: .integer(0...10_000_000), defaultText: "100"),
      ConfigurationKey(name: "retrain.variant", kind: .choice(["selective", "stochastic", "original", "plain"]), defaultText: "selective"),
      ConfigurationKey(name: "retrain.epochs", kind: .integer(1...10_000), defaultText: "30"),
      ConfigurationKey(name: "retrain.threads", kind: .integer(1...256), defaultText: String(ProcessInfo.processInfo.activeProcessorCount)),
      ConfigurationKey(name: "retrain.calibration_minimum_images", kind: .integer(1...1_000_000), defaultText: "30"),
      ConfigurationKey(name: "retrain.gate.minimum_macro_f1", kind: .number(0...1), defaultText: "0.5"),
      ConfigurationKey(name: "retrain.gate.maximum_macro_f1_drop", kind: .number(0...1), defaultText: "0.02"),
      ConfigurationKey(name: "retrain.gate.maximum_background_share_increase", kind: .number(0...1), defaultText: "0"),
      ConfigurationKey(name: "retrain.gate.chance_level", kind: .number(0.000001...0.5), defaultText: "0.01"),
    ]
  }()

  /// Every key's name, as the file spells it (nested keys with dots).
  public static var keyNames: [String] { keys.map(\.name) }

  /// Resolves the configuration from a file (nil: none), the environment and command-line values
  /// (keyed like the file, e.g. "inbox"; the option's spelling is kept for the source).
  public static func resolve(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                             commandLine: [String: (option: String, value: String)] = [:]) throws(ConfigurationError) -> ResolvedConfiguration {
    var texts: [String: (value: String, source: ConfigurationSource)] = [:]
    for key in keys { if let text = key.defaultText { texts[key.name] = (text, .defaultValue) } }
    if let file {
      for (name, value) in try readFile(file) { texts[name] = value }
    }
    for key in keys {
      if let value = environment[key.environmentName] { texts[key.name] = (value, .environment(key.environmentName)) }
    }
    for (name, given) in commandLine {
      guard keys.contains(where: { $0.name == name }) else { throw ConfigurationError("unknown key \(name)") }
      texts[name] = (given.value, .commandLine(given.option))
    }
    // The quarantine and the archive default to folders of the state directory.
    for derived in ["quarantine", "archive"] where texts[derived] == nil {
      if let state = texts["state"] { texts[derived] = (state.value + "/" + derived, .defaultValue) }
    }
    let typed = try TypedValues(texts)
    let configuration = try DaemonConfiguration(typed)
    let entries = keys.compactMap { key in
      texts[key.name].map { ResolvedConfiguration.Entry(key: key.name, value: $0.value, source: $0.source) }
    }
    return ResolvedConfiguration(entries: entries, configuration: configuration)
  }

  /// The keys and values of a YAML file, with their lines. Nested mappings name keys with dots; a
  /// sequence becomes a comma-separated list.
  static func readFile(_ path: String) throws(ConfigurationError) -> [String: (value: String, source: ConfigurationSource)] {
    let text: String
    do {
      let data = try FileContents.read(path, limit: 1 << 20)
      text = String(decoding: data, as: UTF8.self)
    } catch {
      throw ConfigurationError("cannot read the configuration \(path): \(error)")
    }
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch {
      throw ConfigurationError("\(path) is not valid YAML: \(error)")
    }
    guard let root else { return [:] }
    var values: [String: (value: String, source: ConfigurationSource)] = [:]
    func line(_ node: Node) -> Int { (node.mark?.line).map { $0 } ?? 0 }
    func walk(_ node: Node, prefix: String) throws(ConfigurationError) {
      guard case .mapping(let mapping) = node else {
        throw ConfigurationError("\(path):\(line(node)): expected keys and values\(prefix.isEmpty ? "" : " under \(prefix)")")
      }
      for (keyNode, valueNode) in mapping {
        guard case .scalar(let scalar) = keyNode else { throw ConfigurationError("\(path):\(line(keyNode)): a key must be text") }
        let name = prefix.isEmpty ? scalar.string : prefix + "." + scalar.string
        let source = ConfigurationSource.file(path: path, line: line(keyNode))
        if keys.contains(where: { $0.name.hasPrefix(name + ".") }) {
          try walk(valueNode, prefix: name)
          continue
        }
        guard let key = keys.first(where: { $0.name == name }) else {
          throw ConfigurationError("\(path):\(line(keyNode)): unknown key \(name) (known: \(keys.map(\.name).joined(separator: ", ")))")
        }
        switch valueNode {
        case .scalar(let value):
          // An empty value (`model:`) means "not set" for paths; elsewhere it is an error below.
          values[key.name] = (value.string, source)
        case .sequence(let sequence):
          guard case .list = key.kind else { throw ConfigurationError("\(path):\(line(keyNode)): \(name) takes one value, not a list") }
          var items: [String] = []
          for item in sequence {
            guard case .scalar(let scalar) = item else { throw ConfigurationError("\(path):\(line(item)): \(name) lists plain values") }
            items.append(scalar.string)
          }
          values[key.name] = (items.joined(separator: ", "), source)
        default:
          throw ConfigurationError("\(path):\(line(keyNode)): \(name) takes a value, not a mapping")
        }
      }
    }
    try walk(root, prefix: "")
    return values
  }

  init(_ values: TypedValues) throws(ConfigurationError) {
    inbox = try values.path("inbox")
    outbox = try values.path("outbox")
    state = try values.path("state")
    quarantine = try values.path("quarantine")
    archive = try values.path("archive")
    afterSuccess = AfterSuccess(rawValue: try values.choice("after_success"))!
    model = try values.optionalPath("model")
    batchSize = try values.integer("batch_size")
    threads = try values.integer("threads")
    let outputs = try values.list("outputs")
    if let unknown = outputs.first(where: { !Self.outputNames.contains($0) }) {
      throw values.invalid("outputs", "\(unknown) is not an output (choose from \(Self.outputNames.joined(separator: ", ")); the JSON report is always written)")
    }
    self.outputs = OutputSelection(overlay: outputs.contains("overlay"), lungMask: outputs.contains("lung_mask"),
                                   relevance: outputs.contains("relevance"), dicom: outputs.contains("dicom"))
    pictureSize = try values.integer("picture_size")
    acceptance = AcceptanceRules(
      modalities: Set(try values.nonEmptyList("acceptance.modalities")), sopClassUIDs: Set(try values.nonEmptyList("acceptance.sop_class_uids")),
      bodyParts: Set(try values.nonEmptyList("acceptance.body_parts")), views: Set(try values.nonEmptyList("acceptance.views")),
      acceptMissingView: try values.flag("acceptance.accept_missing_view"))
    metricsFile = try values.optionalPath("metrics_file")
    settleSeconds = try values.number("settle_seconds")
    rescanSeconds = try values.number("rescan_seconds")
    log = LogDestination(rawValue: try values.choice("log"))!
    retrain = RetrainConfiguration(
      data: try values.optionalPath("retrain.data"), testData: try values.optionalPath("retrain.test_data"),
      validationFraction: try values.number("retrain.validation_fraction"), minimumNewImages: try values.integer("retrain.minimum_new_images"),
      variant: try values.choice("retrain.variant"), epochs: try values.integer("retrain.epochs"), threads: try values.integer("retrain.threads"),
      calibrationMinimumImages: try values.integer("retrain.calibration_minimum_images"),
      minimumMacroF1: try values.number("retrain.gate.minimum_macro_f1"),
      maximumMacroF1Drop: try values.number("retrain.gate.maximum_macro_f1_drop"),
      maximumBackgroundShareIncrease: try values.number("retrain.gate.maximum_background_share_increase"),
      chanceLevel: try values.number("retrain.gate.chance_level"))
    try checkFolders()
  }

  /// The folders must be distinct, and none the daemon writes may lie inside the inbox (the watcher
  /// would take its own outputs as new input) or inside each other where that mixes files.
  func checkFolders() throws(ConfigurationError) {
    let folders = [("inbox", inbox), ("outbox", outbox), ("state", state), ("quarantine", quarantine), ("archive", archive)]
      .map { ($0.0, URL(fileURLWithPath: $0.1).standardizedFileURL.path) }
    func isInside(_ path: String, _ folder: String) -> Bool { path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") }
    let inboxPath = folders[0].1
    for (name, path) in folders.dropFirst() {
      if isInside(path, inboxPath) || isInside(inboxPath, path) {
        throw ConfigurationError("\(name) (\(path)) and the inbox (\(inboxPath)) must not contain one another: the watcher would read isnetd's own files")
      }
    }
    for (index, (name, path)) in folders.enumerated() {
      for (otherName, other) in folders[(index + 1)...] where path == other {
        throw ConfigurationError("\(name) and \(otherName) are the same folder (\(path))")
      }
    }
    if let metricsFile, isInside(URL(fileURLWithPath: metricsFile).standardizedFileURL.path, inboxPath) {
      throw ConfigurationError("metrics_file (\(metricsFile)) must not be inside the inbox")
    }
    for (name, folder) in [("retrain.data", retrain.data), ("retrain.test_data", retrain.testData)] {
      guard let folder else { continue }
      if isInside(folder, inboxPath) || isInside(inboxPath, folder) {
        throw ConfigurationError("\(name) (\(folder)) and the inbox (\(inboxPath)) must not contain one another: labelled data would be screened")
      }
    }
    if let data = retrain.data, let test = retrain.testData, isInside(data, test) || isInside(test, data) {
      throw ConfigurationError("retrain.data (\(data)) and retrain.test_data (\(test)) must not contain one another: test images would be trained on")
    }
  }
}

/// Resolved texts, each checked against its key's kind when made (every error names the key, its
/// value and where it came from), then read as the type the kind promises.
struct TypedValues {
  let texts: [String: (value: String, source: ConfigurationSource)]

  init(_ texts: [String: (value: String, source: ConfigurationSource)]) throws(ConfigurationError) {
    self.texts = texts
    for key in DaemonConfiguration.keys {
      guard let value = texts[key.name]?.value.trimmingCharacters(in: .whitespaces), !value.isEmpty else { continue }
      switch key.kind {
      case .path, .list:
        guard !value.contains("\0") else { throw invalid(key.name, "holds a NUL character") }
      case .integer(let range):
        guard let number = Int(value), range.contains(number) else {
          throw invalid(key.name, "\"\(value)\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
      case .number(let range):
        guard let number = Double(value), number.isFinite, range.contains(number) else {
          throw invalid(key.name, "\"\(value)\" is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
      case .flag:
        guard Self.flags[value.lowercased()] != nil else { throw invalid(key.name, "\"\(value)\" is not true or false") }
      case .choice(let choices):
        guard choices.contains(value) else { throw invalid(key.name, "\"\(value)\" is not one of \(choices.joined(separator: ", "))") }
      }
    }
  }

  private static let flags = ["true": true, "yes": true, "on": true, "false": false, "no": false, "off": false]

  func invalid(_ key: String, _ problem: String) -> ConfigurationError {
    let source = texts[key].map { " (from \($0.source))" } ?? ""
    return ConfigurationError("\(key)\(source): \(problem)")
  }

  /// The key's value, which must be set.
  private func text(_ key: String) throws(ConfigurationError) -> String {
    guard let text = texts[key]?.value.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
      throw ConfigurationError("\(key) is required: set it in the configuration file, as \(ConfigurationKey.environmentName(of: key)), or on the command line")
    }
    return text
  }

  func path(_ key: String) throws(ConfigurationError) -> String {
    URL(fileURLWithPath: try text(key)).standardizedFileURL.path
  }

  func optionalPath(_ key: String) throws(ConfigurationError) -> String? {
    let value = texts[key]?.value.trimmingCharacters(in: .whitespaces) ?? ""
    return value.isEmpty ? nil : try path(key)
  }

  // Checked by init against the key's kind: these conversions succeed.
  func integer(_ key: String) throws(ConfigurationError) -> Int { Int(try text(key))! }
  func number(_ key: String) throws(ConfigurationError) -> Double { Double(try text(key))! }
  func flag(_ key: String) throws(ConfigurationError) -> Bool { Self.flags[try text(key).lowercased()]! }
  func choice(_ key: String) throws(ConfigurationError) -> String { try text(key) }

  /// A list that must name at least one value (an empty acceptance list would screen nothing).
  func nonEmptyList(_ key: String) throws(ConfigurationError) -> [String] {
    let items = try list(key)
    guard !items.isEmpty else { throw invalid(key, "lists nothing: no file would be screened") }
    return items
  }

  /// A comma-separated list (a YAML sequence arrives joined); empty items are dropped.
  func list(_ key: String) throws(ConfigurationError) -> [String] {
    (texts[key]?.value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }
}
