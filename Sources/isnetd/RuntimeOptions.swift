import ArgumentParser
import Foundation
import Systemd
import Torch

/// Options every compute-heavy subcommand shares.
struct RuntimeOptions: ParsableArguments {
  @Option(help: "libtorch threads (default: the number of CPUs).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  func validate() throws {
    guard threads > 0 else { throw ValidationError("--threads must be positive") }
  }

  /// Applies the thread count to libtorch and makes standard output line-buffered, so progress lines
  /// reach a pipe or the journal as they are printed.
  func apply() {
    StandardOutput.useLineBuffering()
    Torch.threads = threads
  }
}
