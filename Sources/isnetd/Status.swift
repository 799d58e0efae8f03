import ArgumentParser
import Daemon

/// `isnetd status`: what the ledger says.
struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the daemon's counts per outcome, backlog, model, uptime and last errors from its state folder.")

  @Option(help: "The daemon's state folder.")
  var state: String = "/var/lib/isnetd"
  @Option(help: "Also list this many of the latest inputs, one line each: outcome, prediction, report.")
  var inputs = 0
  @Flag(help: "Print JSON instead of lines.")
  var json = false

  func validate() throws {
    guard (0...100_000).contains(inputs) else { throw ValidationError("--inputs must be between 0 and 100000.") }
  }

  func run() throws {
    let status = try DaemonStatus.read(state: state, inputs: inputs)
    print(json ? String(decoding: try status.json(), as: UTF8.self) : status.text)
  }
}
