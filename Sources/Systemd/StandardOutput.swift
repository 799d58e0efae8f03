// Only Glibc is imported here: with Foundation in the same file, Swift 6 refuses the reference to the
// C global `stdout` that `@preconcurrency` accepts on its own.
@preconcurrency import Glibc

/// Standard output of a process whose output goes to a pipe or the journal.
public enum StandardOutput {
  /// Switches C stdio's standard output (which Swift's `print` uses) to line buffering, so progress
  /// lines reach a pipe, `tee` or the journal as they are printed instead of in 4 KiB blocks.
  public static func useLineBuffering() {
    setvbuf(stdout, nil, _IOLBF, 0)
  }
}
