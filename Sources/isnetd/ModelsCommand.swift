import ArgumentParser
import Daemon
import Foundation
import Registry

/// `isnetd models list|show|promote|rollback`: the registry of retrained models (docs/retraining.md).
struct ModelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "models",
    abstract: "List, inspect, promote and roll back the models retraining registered.",
    discussion: """
      The registry is STATE/models: each retrained bundle with how it was trained and judged, and \
      current.json, the model a running daemon serves (it follows a change between batches). Without a \
      registered current model the daemon serves its configured model.
      """,
    subcommands: [List.self, Show.self, Promote.self, Rollback.self])

  /// Where the registry is: --state, or the state key of --config.
  struct RegistryOptions: ParsableArguments {
    @Option(help: "YAML configuration file whose state key names the state folder.")
    var config: String?
    @Option(help: "State folder (its models/ is the registry).")
    var state: String?

    func registry() throws -> ModelRegistry {
      if let state { return ModelRegistry(state: state) }
      guard let config else { throw ValidationError("give --state or --config") }
      do {
        return ModelRegistry(state: try DaemonConfiguration.resolve(file: config).configuration.state)
      } catch {
        throw ValidationError(error.message)
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the registered models, oldest first; * marks the current one.")

    @OptionGroup var location: RegistryOptions
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      let registry = try location.registry()
      let current = try registry.pointer()
      let listings = registry.list()
      if json {
        let entries = listings.map { Entry(version: $0.version, current: $0.version == current?.version, problem: $0.problem, registration: $0.registration) }
        print(String(decoding: try ModelRegistry.encoder.encode(entries), as: UTF8.self))
        return
      }
      print("current: \(current?.version ?? "none registered (the configured model serves)")")
      guard !listings.isEmpty else { return print("no registered models in \(registry.root)") }
      var rows = [["  version", "created", "trigger", "decision", "macro F1", "background", "measured against (macro F1, background)"]]
      for listing in listings {
        let name = (listing.version == current?.version ? "* " : "  ") + listing.version
        guard let registration = listing.registration else {
          rows.append([name, "unreadable: \(listing.problem ?? "")"])
          continue
        }
        let compared = registration.comparedWith.figures.map { "\(Self.figure($0.macroF1)), \(Self.figure($0.backgroundShare))" }
          ?? "other classes"
        rows.append([name, registration.createdAt.formatted(.iso8601), registration.trigger,
                     registration.decision.accepted ? "accepted" : "rejected", Self.figure(registration.candidate.macroF1),
                     Self.figure(registration.candidate.backgroundShare), "\(registration.comparedWith.version) (\(compared))"])
      }
      let complete = rows.filter { $0.count == rows[0].count }
      let widths = (0..<rows[0].count).map { column in complete.map { $0[column].count }.max()! }
      for row in rows {
        print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
      }
    }

    struct Entry: Encodable {
      let version: String
      let current: Bool
      let problem: String?
      let registration: Registration?
    }

    static func figure(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a registered model's registration: data, figures and the gate's decision.")

    @Argument(help: "The model version.")
    var version: String
    @OptionGroup var location: RegistryOptions

    func run() throws {
      let registration = try location.registry().registration(of: version)
      print(String(decoding: try ModelRegistry.encoder.encode(registration), as: UTF8.self))
    }
  }

  struct Promote: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Make a registered model the current one (a running daemon switches between batches).",
      discussion: "The bundle is loaded and checked first. A model the gate rejected is promoted only with --force.")

    @Argument(help: "The model version.")
    var version: String
    @OptionGroup var location: RegistryOptions
    @Flag(help: "Promote a model the gate rejected.")
    var force = false

    func run() throws {
      let registry = try location.registry()
      let registration = try registry.registration(of: version)
      guard registration.decision.accepted || force else {
        throw ValidationError("the gate rejected \(version) (\(registration.decision.reasons.joined(separator: "; "))); --force promotes it anyway")
      }
      let pointer = try registry.promote(version, reason: registration.decision.accepted ? "promoted by an operator" : "promoted by an operator over the gate's rejection")
      print("current model: \(pointer.version ?? "") (was \(pointer.previous.last ?? "the configured model"))")
    }
  }

  struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Make the previously current model current again (the configured model after the first).")

    @OptionGroup var location: RegistryOptions

    func run() throws {
      let pointer = try location.registry().rollback()
      print("current model: \(pointer.version ?? "the configured model") (\(pointer.reason))")
    }
  }
}
