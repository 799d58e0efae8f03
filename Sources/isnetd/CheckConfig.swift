import ArgumentParser
import Daemon
import Foundation

/// `isnetd check-config`: the effective configuration and where each value came from.
struct CheckConfig: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-config",
    abstract: "Validate the daemon's configuration and print every effective value with its source.",
    discussion: "Exits 0 when the configuration is valid, 2 with the reason when not (an unknown key is an error).")

  @OptionGroup var options: ConfigurationOptions

  func run() throws {
    let resolved = try options.resolve()
    let width = resolved.entries.map(\.key.count).max() ?? 0
    for entry in resolved.entries {
      let value = entry.value.isEmpty ? "(not set)" : entry.value
      print("\(entry.key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)  [\(entry.source)]")
    }
    print("configuration is valid")
  }
}
