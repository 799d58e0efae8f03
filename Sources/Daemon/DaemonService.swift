import Foundation
public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs a ``ScreeningDaemon`` as a swift-service-lifecycle service: SIGTERM and SIGINT stop it
/// gracefully (the batch in progress finishes, STOPPING=1 is sent, the process exits 0), SIGHUP
/// reloads configuration and model bundle between batches. The daemon's loop, networks included,
/// runs on a thread of its own so the blocking work never occupies the concurrency pool.
///
/// The daemon itself (ledger, watcher, model) is made on that thread after the signal handlers are in
/// place, so a SIGTERM while the model loads stops it cleanly instead of killing it.
public struct DaemonService: Service {
  public let configuration: DaemonConfiguration
  public let reloadConfiguration: @Sendable () throws -> DaemonConfiguration
  public let logger: Logger

  public init(configuration: DaemonConfiguration, reloadConfiguration: @escaping @Sendable () throws -> DaemonConfiguration,
              logger: Logger) {
    self.configuration = configuration
    self.reloadConfiguration = reloadConfiguration
    self.logger = logger
  }

  public func run() async throws {
    let controls = try DaemonControls()
    let (configuration, reloadConfiguration, logger) = (configuration, reloadConfiguration, logger)
    try await withGracefulShutdownHandler {
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          for await _ in await UnixSignalsSequence(trapping: .sighup) { controls.requestReload() }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
          let thread = Thread {
            do {
              let daemon = try ScreeningDaemon(configuration: configuration, reloadConfiguration: reloadConfiguration,
                                               logger: logger, controls: controls)
              try daemon.run()
              continuation.resume()
            } catch {
              continuation.resume(throwing: error)
            }
          }
          thread.name = "isnetd-screening"
          thread.stackSize = 16 << 20
          thread.start()
        }
        group.cancelAll()
      }
    } onGracefulShutdown: {
      controls.requestStop()
    }
  }

  /// Serves until a stop signal: the whole of `isnetd serve` after its configuration is read.
  public func serve() async throws {
    let group = ServiceGroup(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    try await group.run()
  }
}
