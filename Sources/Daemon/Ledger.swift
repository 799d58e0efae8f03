public import Foundation
public import GRDB

/// Where an input stands. An input moves claiming → claimed → processing → one of the end states;
/// `disposed` then records that its file left the work area (archived, deleted or quarantined).
public enum InputState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
  /// A row written before the rename out of the inbox; the file may still be in the inbox.
  case claiming
  /// In the work area, waiting for the pipeline.
  case claimed
  /// The pipeline started on it (`attempts` counts starts that never finished).
  case processing
  /// Screened (or not assessable): its report is in the outbox.
  case reported
  /// Deliberately not screened (an acceptance rule): its report says why.
  case notScreened = "not_screened"
  /// Failed: the file and its `.error.json` are in quarantine.
  case quarantined
  /// The same bytes as an earlier input (`duplicateOf`); not screened again.
  case duplicate

  public var isFinished: Bool { [.reported, .notScreened, .quarantined, .duplicate].contains(self) }
}

/// One input as the ledger records it.
public struct LedgerEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "inputs"

  public var id: Int64?
  /// The path it had, relative to the inbox.
  public var originalPath: String
  /// Its name in the work area (and in the archive and quarantine): unique, starting with the id.
  public var workName: String
  public var state: InputState
  /// Pipeline starts that did not finish (a crash); reset when it finishes.
  public var attempts: Int
  public var sizeBytes: Int64?
  public var sha256: String?
  public var sopInstanceUid: String?
  /// The stem of its outputs in the outbox, recorded before they are written.
  public var outputStem: String?
  /// The output files written, comma-separated, the report last.
  public var outputs: String?
  public var verdict: String?
  public var prediction: String?
  public var shortcutSuspected: Bool?
  public var modelVersion: String?
  public var errorCode: String?
  public var errorMessage: String?
  public var duplicateOf: Int64?
  /// Where the file went after it finished: `archive:<path>`, `deleted`, `quarantine:<path>`; nil while
  /// it is still in the work area.
  public var disposal: String?
  public var receivedAt: Date
  public var finishedAt: Date?

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One run of the daemon, for `isnetd status`.
public struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "runs"

  public var id: Int64?
  public var processID: Int32
  public var isnetdVersion: String
  public var modelVersion: String?
  public var inbox: String
  public var startedAt: Date
  public var stoppedAt: Date?

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The ledger: every input the daemon took from the inbox, in SQLite (through GRDB) in the state
/// directory. Each change is one transaction, durable before the step it records is taken
/// (`synchronous=FULL`), so after a crash the ledger tells what the work area holds and what to do.
public final class Ledger: Sendable {
  private let database: DatabaseQueue

  /// Opens (creating and migrating) the ledger at `path`; `readOnly` for `isnetd status`.
  public init(path: String, readOnly: Bool = false) throws {
    var configuration = Configuration()
    configuration.readonly = readOnly
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { database in
      if !readOnly {
        try database.execute(sql: "PRAGMA journal_mode = WAL")
        try database.execute(sql: "PRAGMA synchronous = FULL")
      }
    }
    database = try DatabaseQueue(path: path, configuration: configuration)
    if !readOnly { try Self.migrator.migrate(database) }
  }

  private static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("1") { database in
      try database.create(table: "inputs") { table in
        table.autoIncrementedPrimaryKey("id")
        table.column("originalPath", .text).notNull()
        table.column("workName", .text).notNull().unique()
        table.column("state", .text).notNull().indexed()
        table.column("attempts", .integer).notNull().defaults(to: 0)
        table.column("sizeBytes", .integer)
        table.column("sha256", .text).indexed()
        table.column("sopInstanceUid", .text).indexed()
        table.column("outputStem", .text).indexed()
        table.column("outputs", .text)
        table.column("verdict", .text)
        table.column("prediction", .text)
        table.column("shortcutSuspected", .boolean)
        table.column("modelVersion", .text)
        table.column("errorCode", .text)
        table.column("errorMessage", .text)
        table.column("duplicateOf", .integer)
        table.column("disposal", .text)
        table.column("receivedAt", .datetime).notNull()
        table.column("finishedAt", .datetime)
      }
      try database.create(table: "runs") { table in
        table.autoIncrementedPrimaryKey("id")
        table.column("processID", .integer).notNull()
        table.column("isnetdVersion", .text).notNull()
        table.column("modelVersion", .text)
        table.column("inbox", .text).notNull()
        table.column("startedAt", .datetime).notNull()
        table.column("stoppedAt", .datetime)
      }
    }
    return migrator
  }

  /// Records a new input before its file leaves the inbox; returns it with its id and work name.
  public func beginClaim(originalPath: String, workName: (Int64) -> String) throws -> LedgerEntry {
    try database.write { database in
      // The work name needs the id: insert with a placeholder unique to this insert, then name it.
      var entry = LedgerEntry(originalPath: originalPath, workName: UUID().uuidString, state: .claiming, attempts: 0,
                              receivedAt: Date())
      try entry.insert(database)
      entry.workName = workName(entry.id!)
      try entry.update(database)
      return entry
    }
  }

  /// Saves `entry` as it is now.
  public func save(_ entry: LedgerEntry) throws {
    try database.write { database in try entry.update(database) }
  }

  /// Removes a claim whose rename never happened (the file is still in the inbox or gone).
  public func abandon(_ entry: LedgerEntry) throws {
    _ = try database.write { database in try entry.delete(database) }
  }

  public func entry(_ id: Int64) throws -> LedgerEntry? {
    try database.read { database in try LedgerEntry.fetchOne(database, key: id) }
  }

  /// Inputs in `states`, oldest first.
  public func entries(in states: [InputState]) throws -> [LedgerEntry] {
    try database.read { database in
      try LedgerEntry.filter(states.map(\.rawValue).contains(Column("state"))).order(Column("id")).fetchAll(database)
    }
  }

  /// Finished inputs whose file is still in the work area.
  public func undisposed() throws -> [LedgerEntry] {
    try database.read { database in
      try LedgerEntry.filter(InputState.allCases.filter(\.isFinished).map(\.rawValue).contains(Column("state")))
        .filter(Column("disposal") == nil).order(Column("id")).fetchAll(database)
    }
  }

  /// The earliest other input with the same bytes that is not itself a duplicate.
  public func original(sha256: String, before id: Int64) throws -> LedgerEntry? {
    try database.read { database in
      try LedgerEntry.filter(Column("sha256") == sha256 && Column("id") < id && Column("state") != InputState.duplicate.rawValue
                               && Column("state") != InputState.claiming.rawValue)
        .order(Column("id")).fetchOne(database)
    }
  }

  /// Another input whose outputs have the stem `stem`.
  public func owner(ofStem stem: String, other id: Int64) throws -> LedgerEntry? {
    try database.read { database in
      try LedgerEntry.filter(Column("outputStem") == stem && Column("id") != id).order(Column("id")).fetchOne(database)
    }
  }

  /// Inputs per state.
  public func counts() throws -> [InputState: Int] {
    try database.read { database in
      var counts: [InputState: Int] = [:]
      for row in try Row.fetchAll(database, sql: "SELECT state, COUNT(*) AS n FROM inputs GROUP BY state") {
        if let state = InputState(rawValue: row["state"]) { counts[state] = row["n"] }
      }
      return counts
    }
  }

  /// Screened inputs per verdict, and how many of them were flagged.
  public func verdictCounts() throws -> (verdicts: [String: Int], flagged: Int) {
    try database.read { database in
      var verdicts: [String: Int] = [:]
      for row in try Row.fetchAll(database, sql: "SELECT verdict, COUNT(*) AS n FROM inputs WHERE verdict IS NOT NULL GROUP BY verdict") {
        verdicts[row["verdict"]] = row["n"]
      }
      let flagged = try Int.fetchOne(database, sql: "SELECT COUNT(*) FROM inputs WHERE shortcutSuspected = 1") ?? 0
      return (verdicts, flagged)
    }
  }

  /// The latest inputs, newest first.
  public func latest(limit: Int) throws -> [LedgerEntry] {
    try database.read { database in try LedgerEntry.order(Column("id").desc).limit(limit).fetchAll(database) }
  }

  /// The latest quarantined inputs, newest first.
  public func latestErrors(limit: Int) throws -> [LedgerEntry] {
    try database.read { database in
      try LedgerEntry.filter(Column("state") == InputState.quarantined.rawValue).order(Column("id").desc).limit(limit).fetchAll(database)
    }
  }

  public func startRun(_ run: RunRecord) throws -> RunRecord {
    try database.write { database in
      var run = run
      try run.insert(database)
      return run
    }
  }

  public func saveRun(_ run: RunRecord) throws {
    try database.write { database in try run.update(database) }
  }

  public func lastRun() throws -> RunRecord? {
    try database.read { database in try RunRecord.order(Column("id").desc).fetchOne(database) }
  }
}
