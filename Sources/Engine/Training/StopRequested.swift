/// Work that ended because it was asked to stop (SIGINT or SIGTERM, a daemon's shutdown) before it
/// finished: not a failure of the data or the model. The command line reports it as "stopped" and exits
/// with status 130, as for an interrupt.
public struct StopRequested: Error, Equatable, CustomStringConvertible, Sendable {
  /// One code, so that a stop reads like every other outcome in reports and logs.
  public enum Code: String, Sendable, CaseIterable, Codable {
    case stopped

    /// One sentence for people, fixed per code.
    public var sentence: String {
      switch self {
      case .stopped: "The work was stopped on request before it finished."
      }
    }
  }

  public var code: Code { .stopped }
  /// What was left undone or kept.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { "stopped: \(message)" }
}
