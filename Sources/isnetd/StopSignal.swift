import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM handling for long-running commands: the first signal asks the work to stop at
/// its next checkpoint (`isRequested`), a second one exits at once.
final class StopSignal {
  private final class Flag: Sendable {
    let requested = Atomic<Bool>(false)
  }

  private let flag = Flag()
  private let sources: [any DispatchSourceSignal]

  init(message: String) {
    let flag = self.flag
    sources = [SIGINT, SIGTERM].map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if flag.requested.exchange(true, ordering: .relaxed) {
          FileHandle.standardError.write(Data("second signal: exiting now\n".utf8))
          exit(130)
        }
        FileHandle.standardError.write(Data("\(message) (signal again to exit now)\n".utf8))
      }
      source.resume()
      return source
    }
  }

  var isRequested: Bool { flag.requested.load(ordering: .relaxed) }
}
