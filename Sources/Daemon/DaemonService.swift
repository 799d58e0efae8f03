import Foundation
public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs a ``ScreeningDaemon`` as a swift-service-lifecycle service: SIGTERM and SIGINT stop it
/// gracefully (the batch in progress finishes, STOPPING=1 is sent, the process exits 0), SIGHUP
/// reloads configuration and model bundle between batches. The daemon's loop, networks included,
/// runs on a thread of its own so the blocking work never occupies the concurrency pool.
public struct DaemonService: Service {
  public let daemon: ScreeningDaemon

  public init(_ daemon: ScreeningDaemon) {
    self.daemon = daemon
  }

  public func run() async throws {
    let daemon = daemon
    try await withGracefulShutdownHandler {
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          for await _ in await UnixSignalsSequence(trapping: .sighup) { daemon.requestReload() }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
          let thread = Thread {
            do {
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
      daemon.requestStop()
    }
  }

  /// Serves until a stop signal: the whole of `isnetd serve` after its configuration is read.
  public static func serve(_ daemon: ScreeningDaemon, logger: Logger) async throws {
    let group = ServiceGroup(services: [DaemonService(daemon)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    try await group.run()
  }
}
