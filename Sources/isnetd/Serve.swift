import ArgumentParser
import Daemon
import Foundation
import Logging
import Systemd

/// The options `serve` and `check-config` share: a configuration file and the keys that may be given
/// on the command line instead.
struct ConfigurationOptions: ParsableArguments {
  @Option(help: "YAML configuration file (samples/isnetd.conf documents every key).")
  var config: String?
  @Option(help: "Folder watched for DICOM files (key: inbox).")
  var inbox: String?
  @Option(help: "Folder the reports and pictures go to (key: outbox).")
  var outbox: String?
  @Option(help: "State folder: ledger, work area, and by default quarantine and archive (key: state).")
  var state: String?
  @Option(help: "Model bundle folder (key: model; default: the shipped default bundle).")
  var model: String?
  @Option(help: "libtorch threads (key: threads).")
  var threads: Int?
  @Option(help: "Where log entries go: automatic, journal or stderr (key: log).")
  var log: String?

  /// The configuration from the file, the environment and these options, in that order of precedence.
  func resolve() throws -> ResolvedConfiguration {
    var given: [String: (option: String, value: String)] = [:]
    for (key, option, value) in [("inbox", "--inbox", inbox), ("outbox", "--outbox", outbox), ("state", "--state", state),
                                 ("model", "--model", model), ("threads", "--threads", threads.map(String.init)), ("log", "--log", log)] {
      if let value { given[key] = (option, value) }
    }
    do {
      return try DaemonConfiguration.resolve(file: config, commandLine: given)
    } catch {
      throw ValidationError(error.message)
    }
  }
}

/// `isnetd serve`: the daemon.
struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Watch an inbox for DICOM files and screen each into a report in the outbox (the daemon).",
    discussion: """
      Runs until SIGTERM or SIGINT (the batch in progress finishes; exit 0); SIGHUP reloads the \
      configuration and model bundle between batches, keeping the old ones when the new fail. Every \
      input ends as a report in the outbox (screened or not screened) or in quarantine with a \
      .error.json sidecar, recorded in the state folder's ledger (isnetd status). Under systemd \
      (Type=notify) it reports READY, STATUS and WATCHDOG and logs structured entries to the journal. \
      Configuration: --config FILE, ISNETD_* environment variables, or these options; \
      `isnetd check-config` shows the effective values. docs/operations.md has the details. Not for \
      clinical use.
      """)

  @OptionGroup var options: ConfigurationOptions

  func run() async throws {
    StandardOutput.useLineBuffering()
    let resolved = try options.resolve()
    LoggingSystem.bootstrap(resolved.configuration.log.handlerFactory(syslogIdentifier: "isnetd"))
    let logger = Logger(label: "isnetd")
    let options = options
    try await DaemonService(configuration: resolved.configuration, reloadConfiguration: { try options.resolve().configuration },
                            logger: logger).serve()
  }
}
