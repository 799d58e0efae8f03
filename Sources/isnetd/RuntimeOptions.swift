import ArgumentParser
import Foundation
import Torch

/// Options every compute-heavy subcommand shares.
struct RuntimeOptions: ParsableArguments {
  @Option(help: "libtorch threads (default: the number of CPUs).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  func validate() throws {
    guard threads > 0 else { throw ValidationError("--threads must be positive") }
  }

  /// Applies the thread count to libtorch.
  func apply() {
    Torch.threads = threads
  }
}
