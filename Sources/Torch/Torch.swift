internal import CTorch

/// Process-wide libtorch settings.
public enum Torch {
  /// The libtorch version the bridge was compiled against ("1.13.0").
  public static var version: String { String(cString: ctorch_version()) }

  /// Intra-op threads. Debian's libtorch starts with one; set it explicitly. Also pins a loaded
  /// OpenBLAS to one thread so its pool does not fight libtorch's OpenMP threads.
  public static var threads: Int {
    get { Int(ctorch_get_num_threads()) }
    set { ctorch_set_num_threads(Int32(newValue)) }
  }

  /// Seeds libtorch's global random generator (initialisation, dropout, `Tensor.rand`).
  public static func seed(_ value: UInt64) {
    ctorch_manual_seed(value)
  }

  /// Whether operations on this thread record gradients.
  public static var isGradientEnabled: Bool { ctorch_is_grad_enabled() }

  /// Runs `body` with gradient recording switched on or off on this thread, restoring it afterwards.
  public static func withGradient<Result, Failure: Error>(
    _ enabled: Bool, _ body: () throws(Failure) -> Result
  ) throws(Failure) -> Result {
    let previous = ctorch_set_grad_enabled(enabled)
    defer { ctorch_set_grad_enabled(previous) }
    return try body()
  }

  /// Runs `body` with gradient recording off (torch.no_grad()).
  public static func withoutGradient<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
    try withGradient(false, body)
  }

  /// Runs `body` with LRP backward mode on this thread: backward passes through `Tensor.lrpReLU`
  /// scale gradients by y/(y+ε) (the LRP-ε rule as a modified gradient) instead of the ReLU derivative.
  public static func withLRPBackward<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
    let previous = ctorch_set_lrp_backward(true)
    defer { ctorch_set_lrp_backward(previous) }
    return try body()
  }
}
