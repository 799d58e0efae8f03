public import Foundation
import Glibc
import Screening

/// What `isnetd status` shows, read from the ledger in the state directory (read-only; the daemon
/// may be running).
public struct DaemonStatus: Codable, Sendable {
  public struct RecentError: Codable, Sendable {
    public let input: Int64
    public let code: String
    public let message: String
    public let time: Date?
    public let quarantined: String?
  }

  public struct LastRun: Codable, Sendable {
    public let processID: Int32
    public let isnetdVersion: String
    public let modelVersion: String?
    public let startedAt: Date
    public let stoppedAt: Date?
    /// Whether that process is still alive.
    public let running: Bool
    public let uptimeSeconds: Double
  }

  public let state: String
  /// Inputs per ledger state (claimed, processing, reported, not_screened, quarantined, duplicate).
  public let inputs: [String: Int]
  /// Reported inputs per verdict, and how many were flagged.
  public let verdicts: [String: Int]
  public let flagged: Int
  /// Inputs claimed but not finished, and files waiting in the inbox.
  public let backlog: Int
  public let inboxWaiting: Int
  public let lastRun: LastRun?
  public let recentErrors: [RecentError]
  /// The latest inputs, newest first (as many as asked for).
  public let latestInputs: [InputLine]

  /// One input in a line: what became of it.
  public struct InputLine: Codable, Sendable {
    public let input: Int64
    public let originalName: String
    public let state: String
    public let verdict: String?
    public let prediction: String?
    public let shortcutSuspected: Bool?
    public let errorCode: String?
    public let report: String?
    public let disposal: String?

    init(_ entry: LedgerEntry) {
      input = entry.id!
      originalName = entry.originalPath
      state = entry.state.rawValue
      verdict = entry.verdict
      prediction = entry.prediction
      shortcutSuspected = entry.shortcutSuspected
      errorCode = entry.errorCode
      report = entry.outputs?.split(separator: ",").last.map(String.init)
      disposal = entry.disposal
    }

    /// "normal-pa.dcm: screened, normal, no shortcut suspected -> 1.2.3.json".
    public var text: String {
      var line = "\(originalName): \(verdict ?? state)"
      if let prediction { line += ", \(prediction)" }
      if let shortcutSuspected { line += shortcutSuspected ? ", SHORTCUT SUSPECTED" : ", no shortcut suspected" }
      if let errorCode { line += ": \(errorCode)" }
      if let report { line += " -> \(report)" }
      if let disposal, disposal.hasPrefix("quarantine:") { line += " -> \(disposal.dropFirst("quarantine:".count))" }
      return line
    }
  }

  /// Reads the status of the state directory `state`, with its `inputs` latest inputs.
  public static func read(state: String, inputs: Int = 0, now: Date = Date()) throws -> DaemonStatus {
    let ledgerPath = state + "/ledger.sqlite"
    guard FileManager.default.fileExists(atPath: ledgerPath) else {
      throw DaemonError(.stateFailed, "\(state) holds no ledger (ledger.sqlite): isnetd serve has not run with this state directory")
    }
    let ledger = try Ledger(path: ledgerPath, readOnly: true)
    let counts = try ledger.counts()
    let (verdicts, flagged) = try ledger.verdictCounts()
    let run = try ledger.lastRun()
    let lastRun = run.map { run in
      let running = run.stoppedAt == nil && kill(run.processID, 0) == 0
      let end = run.stoppedAt ?? (running ? now : run.startedAt)
      return LastRun(processID: run.processID, isnetdVersion: run.isnetdVersion, modelVersion: run.modelVersion,
                     startedAt: run.startedAt, stoppedAt: run.stoppedAt, running: running,
                     uptimeSeconds: end.timeIntervalSince(run.startedAt))
    }
    let waiting = run.map { InboxWatcher.countFiles(in: $0.inbox) } ?? 0
    let errors = try ledger.latestErrors(limit: 5).map {
      RecentError(input: $0.id!, code: $0.errorCode ?? "", message: $0.errorMessage ?? "", time: $0.finishedAt,
                  quarantined: $0.disposal.flatMap { $0.hasPrefix("quarantine:") ? String($0.dropFirst("quarantine:".count)) : nil })
    }
    return DaemonStatus(
      state: state, inputs: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }), verdicts: verdicts,
      flagged: flagged, backlog: (counts[.claimed] ?? 0) + (counts[.processing] ?? 0) + (counts[.claiming] ?? 0),
      inboxWaiting: waiting, lastRun: lastRun, recentErrors: errors,
      latestInputs: try ledger.latest(limit: inputs).map { InputLine($0) })
  }

  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return try encoder.encode(self)
  }

  /// The lines `isnetd status` prints.
  public var text: String {
    var lines: [String] = []
    if let run = lastRun {
      let uptime = Self.duration(run.uptimeSeconds)
      lines.append(run.running
        ? "running: pid \(run.processID), up \(uptime), isnetd \(run.isnetdVersion), model \(run.modelVersion ?? "?")"
        : "not running: last run (pid \(run.processID)) served \(uptime), model \(run.modelVersion ?? "?")")
    } else {
      lines.append("never ran")
    }
    let order = ["reported", "not_screened", "quarantined", "duplicate", "claimed", "processing"]
    lines.append("inputs: " + order.map { "\(inputs[$0] ?? 0) \($0.replacingOccurrences(of: "_", with: " "))" }.joined(separator: ", "))
    lines.append("verdicts: " + (verdicts.isEmpty ? "none" : verdicts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
      + ", \(flagged) flagged (shortcut suspected)")
    lines.append("backlog: \(backlog) in the work area, \(inboxWaiting) waiting in the inbox")
    if recentErrors.isEmpty {
      lines.append("last errors: none")
    } else {
      lines.append("last errors:")
      for error in recentErrors {
        lines.append("  input \(error.input): \(error.code): \(error.message)\(error.quarantined.map { " (\($0))" } ?? "")")
      }
    }
    if !latestInputs.isEmpty {
      lines.append("latest inputs:")
      lines += latestInputs.map { "  " + $0.text }
    }
    return lines.joined(separator: "\n")
  }

  static func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    let (days, hours, minutes) = (total / 86400, total / 3600 % 24, total / 60 % 60)
    return days > 0 ? "\(days)d \(hours)h" : hours > 0 ? "\(hours)h \(minutes)m" : "\(minutes)m \(total % 60)s"
  }
}
