import DICOM
import Durable
import Engine
import Foundation
import Glibc
public import Logging
import Registry
import Screening
import Synchronization
import Systemd
import Torch

/// What the daemon serves with: a configuration and the screener built from it. Replaced as a whole
/// on reload and when the registry's current model changes, between batches.
struct Serving {
  let configuration: DaemonConfiguration
  let screener: Screener
  /// current.json as it was when the model was chosen.
  let pointer: PointerIdentity?

  var modelVersion: String { screener.bundle.manifest.version }

  /// Loads the model bundle (the registry's current one, else the configured one, else the shipped
  /// default) and applies the thread count.
  init(_ configuration: DaemonConfiguration) throws {
    let registry = ModelRegistry(state: configuration.state)
    pointer = registry.pointerIdentity()
    guard let bundlePath = try registry.currentBundlePath() ?? configuration.model ?? ModelBundle.locateDefault() else {
      throw ConfigurationError("model is not set and no default bundle was found; looked in: "
        + ModelBundle.defaultCandidates().joined(separator: ", "))
    }
    let bundle = try ModelBundle(path: bundlePath)
    Torch.threads = configuration.threads
    let writer = OutputWriter(directory: configuration.outbox, selection: configuration.outputs,
                              overlay: OverlayRenderer(longestSide: configuration.pictureSize), writesErrorReports: false)
    let options = PipelineOptions(acceptanceRules: configuration.acceptance, batchSize: configuration.batchSize)
    screener = Screener(bundle: bundle, options: options, writer: writer)
    self.configuration = configuration
  }
}

/// `isnetd serve`'s work: takes files from the inbox into the work area, screens them in batches,
/// writes their outputs to the outbox, then archives or deletes each input (or quarantines it with
/// a sidecar), recording every step in the ledger first so a crash at any moment is finished exactly
/// once at the next start. docs/operations.md describes the life of an input.
///
/// Everything runs on one thread (``run()``), the networks included; its ``DaemonControls`` may ask
/// for a stop or a reload from any thread, which takes effect between batches.
public final class ScreeningDaemon: @unchecked Sendable {
  // @unchecked Sendable: all mutable state is touched only by the thread inside run(); the flags other
  // threads set are atomics, and `watcher.wake()` writes to a pipe.
  private var serving: Serving
  private let reloadConfiguration: () throws -> DaemonConfiguration
  private let ledger: Ledger
  private let watcher: InboxWatcher
  private var arrivals: ArrivalTracker
  private let logger: Logger
  private let notifier = Notifier()
  private let metrics = DaemonMetrics()
  private let controls: DaemonControls

  /// Claimed inputs waiting for the pipeline, oldest first.
  private var queue: [LedgerEntry] = []
  /// Inputs set back for a while (a transient write failure, a truncated file rechecked once).
  private var notBefore: [Int64: ContinuousClock.Instant] = [:]
  /// Inputs whose truncation was already given one more chance.
  private var truncationRechecked: Set<Int64> = []
  /// When each input was claimed, for the drop-to-report latency.
  private var claimedAt: [Int64: ContinuousClock.Instant] = [:]
  private var counters: [String: Int] = [:]
  private var currentRun: RunRecord?
  private let clock = ContinuousClock()
  private var lastWatchdog: ContinuousClock.Instant?
  private var lastRescan: ContinuousClock.Instant
  private var lastStatus = ""
  /// The registry whose current pointer the daemon follows.
  private let registry: ModelRegistry
  /// current.json as last tried, so a switch that failed is not retried until the pointer changes again.
  private var pointerTried: PointerIdentity?

  /// Opens the state directory and ledger, watches the inbox and loads the model; nothing is taken
  /// from the inbox until ``run()``. `reloadConfiguration` reads the configuration again on SIGHUP.
  public init(configuration: DaemonConfiguration, reloadConfiguration: @escaping () throws -> DaemonConfiguration,
              logger: Logger, controls: DaemonControls) throws {
    self.controls = controls
    for folder in [configuration.inbox, configuration.outbox, configuration.state, configuration.workArea,
                   configuration.quarantine, configuration.archive] {
      try FileMove.makeFolder(folder)
    }
    if let metricsFile = configuration.metricsFile {
      try FileMove.makeFolder(URL(fileURLWithPath: metricsFile).deletingLastPathComponent().path)
    }
    do {
      ledger = try Ledger(path: configuration.ledgerPath)
    } catch {
      throw DaemonError(.stateFailed, "cannot open the ledger \(configuration.ledgerPath): \(error)")
    }
    watcher = try InboxWatcher(root: configuration.inbox, wakeup: controls.wakeup)
    arrivals = ArrivalTracker(settle: .seconds(configuration.settleSeconds))
    self.logger = logger
    self.reloadConfiguration = reloadConfiguration
    lastRescan = clock.now
    registry = ModelRegistry(state: configuration.state)
    serving = try Serving(configuration)
    pointerTried = serving.pointer
    metrics.setModelVersion(serving.modelVersion)
    log(.modelLoaded, "model \(serving.screener.bundle.manifest.id) \(serving.modelVersion) loaded",
        ["ISNETD_MODEL_VERSION": serving.modelVersion])
  }

  private var configuration: DaemonConfiguration { serving.configuration }

  /// Recovers what a previous run left, scans the backlog, tells systemd it is ready, then serves
  /// until its controls ask it to stop (``DaemonControls/requestStop()``).
  public func run() throws {
    currentRun = try ledger.startRun(RunRecord(processID: getpid(), isnetdVersion: isnetdVersion, modelVersion: serving.modelVersion,
                                        inbox: configuration.inbox, startedAt: Date()))
    defer {
      if var run = currentRun {
        run.stoppedAt = Date()
        try? ledger.saveRun(run)
      }
    }
    try recover()
    for event in watcher.scan() { arrivals.note(event, now: clock.now) }
    if controls.isStopRequested { return }
    _ = try? notifier.ready(status: statusLine())
    log(.started, "serving \(configuration.inbox) -> \(configuration.outbox) with model \(serving.modelVersion)",
        ["ISNETD_MODEL_VERSION": serving.modelVersion])
    while !controls.isStopRequested {
      if controls.takeReloadRequest() { reload() }
      followRegistry()
      let waiting = readyToProcess()
      let events = watcher.wait(timeout: waiting.isEmpty ? idleWait() : .zero)
      let now = clock.now
      for event in events {
        if event == .overflow { rescan(now) } else { arrivals.note(event, now: now) }
      }
      if now - lastRescan >= .seconds(configuration.rescanSeconds) { rescan(now) }
      if !controls.isStopRequested {
        for path in arrivals.ready(root: configuration.inbox, now: clock.now) { claim(path) }
      }
      let batch = readyToProcess()
      if !batch.isEmpty, !controls.isStopRequested { try process(batch) }
      heartbeat()
    }
    log(.stopping, "stopped; \(statusLine())")
  }

  // MARK: - The loop's pieces

  private func rescan(_ now: ContinuousClock.Instant) {
    for event in watcher.scan() { arrivals.note(event, now: now) }
    lastRescan = now
  }

  /// How long the loop may sleep: until the next settle check, rescan or watchdog ping is due.
  private func idleWait() -> Duration {
    let now = clock.now
    var wait = Duration.seconds(configuration.rescanSeconds) - (now - lastRescan)
    if let settle = arrivals.nextCheck(now: now) { wait = min(wait, settle) }
    if let deferred = notBefore.values.min() { wait = min(wait, deferred - now) }
    if let interval = notifier.watchdogInterval { wait = min(wait, interval / 4) }
    return max(min(wait, .seconds(5)), .milliseconds(10))
  }

  /// The next batch: inputs retried after a crash run alone, so a file that kills the process takes
  /// no other file with it.
  private func readyToProcess() -> [LedgerEntry] {
    let now = clock.now
    let ready = queue.filter { entry in notBefore[entry.id!].map { $0 <= now } ?? true }
    if let retried = ready.first(where: { $0.attempts > 0 }) { return [retried] }
    return Array(ready.prefix(configuration.batchSize))
  }

  /// WATCHDOG=1 while the loop turns (a stuck batch stops it, and systemd restarts the service),
  /// the STATUS line when it changed, and the metrics file.
  private func heartbeat() {
    let now = clock.now
    if let interval = notifier.watchdogInterval, lastWatchdog.map({ now - $0 >= interval / 4 }) ?? true {
      _ = try? notifier.watchdog()
      lastWatchdog = now
    }
    let status = statusLine()
    if status != lastStatus {
      _ = try? notifier.status(status)
      lastStatus = status
      metrics.setQueueLength(queue.count + arrivals.pending)
      writeMetrics()
    }
  }

  private func writeMetrics() {
    guard let path = configuration.metricsFile else { return }
    do {
      try metrics.write(to: path)
    } catch {
      logger.warning("cannot write the metrics file \(path): \(error)")
    }
  }

  /// "queue 3, 120 screened (4 flagged), 2 not screened, 1 quarantined, 0 duplicates; model 2026.11.1".
  func statusLine() -> String {
    let queued = queue.count + arrivals.pending
    return "queue \(queued), \(counters["screened", default: 0] + counters["flagged", default: 0]) screened "
      + "(\(counters["flagged", default: 0]) flagged), \(counters["not_screened", default: 0]) not screened, "
      + "\(counters["quarantined", default: 0]) quarantined, \(counters["duplicate", default: 0]) duplicates; model \(serving.modelVersion)"
  }

  // MARK: - Claim

  private func workPath(_ entry: LedgerEntry) -> String { configuration.workArea + "/" + entry.workName }

  /// Takes `path` (relative to the inbox) into the work area: a ledger row first, then the rename,
  /// then the row updated with the file's size and hash. An exact copy of an earlier input ends here
  /// as a duplicate.
  private func claim(_ path: String) {
    let source = configuration.inbox + "/" + path
    var entry: LedgerEntry
    do {
      // Named by the ledger id alone: file names from modalities often carry patients' names, and
      // work, archive and quarantine paths reach the journal. The original path stays in the ledger
      // and the quarantine sidecar.
      entry = try ledger.beginClaim(originalPath: path) { id in "\(id).dcm" }
    } catch {
      logger.error("cannot record a claim in the ledger: \(error)", metadata: ["ISNETD_ERROR_CODE": "\(DaemonError.Code.stateFailed.rawValue)"])
      return
    }
    do {
      try FileMove.move(source, to: workPath(entry))
    } catch {
      // The file is still in the inbox (or gone): forget the claim; a rescan offers it again.
      try? ledger.abandon(entry)
      if access(source, F_OK) == 0 {
        // The path is left out of the journal (it may carry a patient's name); `isnetd status` counts
        // the files waiting in the inbox.
        logger.error("cannot take a file from the inbox: \(error.systemReason ?? error.code.sentence)",
                     metadata: ["ISNETD_ERROR_CODE": "\(DaemonError.Code.claimFailed.rawValue)"])
      }
      return
    }
    claimedAt[entry.id!] = clock.now
    do {
      try admitClaimed(&entry)
      if entry.state == .claimed { queue.append(entry) }
    } catch {
      logger.error("cannot record the claim of input \(entry.id!) in the ledger: \(error)")
    }
  }

  /// Records a claimed file's size and hash, and its state: claimed, or finished as a duplicate.
  private func admitClaimed(_ entry: inout LedgerEntry) throws {
    let path = workPath(entry)
    // Unreadable here means unreadable for the pipeline too, which then says why.
    let file = try? InputFile(reading: path)
    entry.sizeBytes = file?.byteCount.map(Int64.init)
    entry.sha256 = file?.sha256
    if let hash = entry.sha256, let original = try ledger.original(sha256: hash, before: entry.id!) {
      entry.state = .duplicate
      entry.duplicateOf = original.id
      entry.finishedAt = Date()
      try ledger.save(entry)
      counters["duplicate", default: 0] += 1
      metrics.count("duplicate")
      log(.duplicate, "input \(entry.id!) has the same content as input \(original.id!); not screened again",
          ["ISNETD_INPUT": "\(entry.id!)", "ISNETD_DUPLICATE_OF": "\(original.id!)",
           "ISNETD_SOP_INSTANCE_UID": original.sopInstanceUid ?? ""])
      dispose(entry)
      return
    }
    entry.state = .claimed
    try ledger.save(entry)
    log(.received, "input \(entry.id!) received (\(entry.sizeBytes ?? 0) bytes)", ["ISNETD_INPUT": "\(entry.id!)"])
  }

  // MARK: - Process and finish

  /// Screens a batch. A ledger that cannot record the start is a broken state folder: the error ends
  /// the daemon (systemd restarts it) rather than screening what could not be recorded.
  private func process(_ batch: [LedgerEntry]) throws {
    var byPath: [String: LedgerEntry] = [:]
    for var entry in batch {
      entry.state = .processing
      entry.attempts += 1
      do {
        try ledger.save(entry)
      } catch {
        throw DaemonError(.stateFailed, "cannot record the start of input \(entry.id!) in the ledger: \(error)")
      }
      byPath[workPath(entry)] = entry
    }
    let ids = Set(batch.map(\.id!))
    queue.removeAll { ids.contains($0.id!) }
    let screener = serving.screener
    screener.screen(batch.map(workPath), admit: { path, names, intake in self.admit(&byPath[path]!, names, intake) }) { screened in
      finish(byPath[screened.path]!, screened)
    }
    metrics.setQueueLength(queue.count + arrivals.pending)
  }

  /// Whether an input's outputs may be written: not when another input with other bytes owns the
  /// same output names (the same SOP Instance UID); replacing existing outputs only when this input
  /// named them before (a run that died while writing them).
  private func admit(_ entry: inout LedgerEntry, _ names: OutputNames, _ intake: Intake) -> Screener.Admission {
    if case .refused(_, _, let problem) = intake, !problem.isNotScreened { return .write(overwrite: false) }
    do {
      if let owner = try ledger.owner(ofStem: names.stem, other: entry.id!) {
        return .refuse(DaemonError(.sopInstanceUIDConflict, "input \(owner.id!) with other content was reported as \(names.stem) first").problem)
      }
      let namedBefore = entry.outputStem == names.stem
      entry.outputStem = names.stem
      try ledger.save(entry)
      return .write(overwrite: namedBefore)
    } catch {
      return .refuse(DaemonError(.stateFailed, "cannot record the outputs of input \(entry.id!) in the ledger: \(error)").problem)
    }
  }

  private func finish(_ processing: LedgerEntry, _ screened: ScreenedFile) {
    var entry = processing
    entry.attempts = 0
    let report = screened.report
    entry.sopInstanceUid = report?.input.sopInstanceUid ?? entry.sopInstanceUid
    entry.sha256 = report?.input.sha256 ?? entry.sha256
    if let report, report.verdict != .error, let name = report.outputs.report {
      entry.state = report.verdict == .notScreened ? .notScreened : .reported
      entry.verdict = report.verdict.rawValue
      entry.prediction = report.classification?.prediction
      entry.shortcutSuspected = report.shortcutSuspected
      entry.modelVersion = report.model.version
      entry.outputs = outputList(report.outputs, report: name)
      entry.finishedAt = Date()
      do {
        try ledger.save(entry)
      } catch {
        logger.error("cannot record the report of input \(entry.id!): \(error)")
        return
      }
      logReport(entry, report)
      dispose(entry)
      return
    }
    let problem = screened.problem ?? report?.problem ?? DaemonError(.stateFailed, "no report and no reason").problem
    if problem.code == ScreeningError.Code.outputFailed.rawValue {
      // The outbox, not the input, failed (a full disk): keep the input and try again later.
      requeue(entry, after: .seconds(30))
      logger.error("input \(entry.id!): \(problem); retrying in 30 s", metadata: ["ISNETD_ERROR_CODE": "\(problem.code)", "ISNETD_INPUT": "\(entry.id!)"])
      return
    }
    if problem.code == DICOMError.Code.truncated.rawValue, !truncationRechecked.contains(entry.id!) {
      // Perhaps still being written by a producer that closed it early: read it once more after the settle time.
      truncationRechecked.insert(entry.id!)
      requeue(entry, after: .seconds(max(configuration.settleSeconds, 1)))
      return
    }
    quarantine(entry, problem: problem)
  }

  private func requeue(_ processing: LedgerEntry, after delay: Duration) {
    var entry = processing
    entry.state = .claimed
    entry.attempts = 0
    try? ledger.save(entry)
    notBefore[entry.id!] = clock.now + delay
    queue.append(entry)
  }

  private func outputList(_ outputs: Report.Outputs, report: String) -> String {
    ([outputs.overlay, outputs.lungMask, outputs.relevance, outputs.dicomSr, outputs.dicomSc].compactMap { $0 } + [report])
      .joined(separator: ",")
  }

  private func logReport(_ entry: LedgerEntry, _ report: Report) {
    var fields = ["ISNETD_INPUT": "\(entry.id!)", "ISNETD_SOP_INSTANCE_UID": report.input.sopInstanceUid ?? "",
                  "ISNETD_VERDICT": report.verdict.rawValue, "ISNETD_MODEL_VERSION": report.model.version,
                  "ISNETD_REPORT": configuration.outbox + "/" + (report.outputs.report ?? "")]
    if let started = claimedAt.removeValue(forKey: entry.id!) {
      let seconds = Double((clock.now - started).components.attoseconds) * 1e-18 + Double((clock.now - started).components.seconds)
      fields["ISNETD_DURATION_MS"] = String(Int((seconds * 1000).rounded()))
      metrics.recordDropToReport(seconds: seconds)
    }
    let timing = report.timing
    metrics.recordStages(["intake": timing.intakeMs, "segment": timing.segmentMs, "classify": timing.classifyMs,
                          "background_checks": timing.backgroundChecksMs, "render": timing.renderMs, "write": timing.writeMs])
    guard report.verdict != .notScreened, let classification = report.classification else {
      counters["not_screened", default: 0] += 1
      metrics.count("not_screened")
      fields["ISNETD_REASON"] = report.problem?.code ?? ""
      log(.notScreened, "input \(entry.id!) not screened: \(report.problem.map(String.init(describing:)) ?? "")", fields)
      return
    }
    fields["ISNETD_PREDICTION"] = classification.prediction
    fields["ISNETD_CONFIDENCE"] = String(format: "%.4f", classification.confidence)
    fields["ISNETD_SHORTCUT_SUSPECTED"] = report.shortcutSuspected.map { $0 ? "true" : "false" } ?? "not_assessable"
    if let checks = report.shortcutChecks {
      fields["ISNETD_BACKGROUND_SHARE"] = String(format: "%.4f", checks.backgroundRelevance.share)
      fields["ISNETD_BACKGROUND_SHARE_LIMIT"] = String(format: "%.4f", checks.backgroundRelevance.threshold)
    }
    let flagged = report.shortcutSuspected == true
    let outcome = flagged ? "flagged" : "screened"
    counters[outcome, default: 0] += 1
    metrics.count(outcome)
    log(flagged ? .flagged : .screened,
        "\(report.input.sopInstanceUid ?? "input \(entry.id!)"): \(classification.prediction) "
          + String(format: "%.2f", classification.confidence) + (flagged ? ", SHORTCUT SUSPECTED" : ""),
        fields, level: flagged ? .warning : .info)
  }

  // MARK: - Dispose and quarantine

  /// Archives or deletes a finished input's file (quarantined ones go to quarantine), then records
  /// where it went. Safe to repeat after a crash at any point.
  private func dispose(_ finished: LedgerEntry) {
    var entry = finished
    let source = workPath(entry)
    do {
      if entry.state == .quarantined {
        let target = configuration.quarantine + "/" + entry.workName
        if access(source, F_OK) == 0 { try FileMove.move(source, to: target) }
        entry.disposal = "quarantine:" + target
      } else if configuration.afterSuccess == .archive {
        let folder = configuration.archive + "/" + Self.day(entry.finishedAt ?? Date())
        try FileMove.makeFolder(folder)
        if access(source, F_OK) == 0 { try FileMove.move(source, to: folder + "/" + entry.workName) }
        entry.disposal = "archive:" + folder + "/" + entry.workName
      } else {
        if unlink(source) != 0, errno != ENOENT { throw DaemonError.system(.disposalFailed, "cannot delete \(source)") }
        try FileMove.synchronize(folderOf: source)
        entry.disposal = "deleted"
      }
      try ledger.save(entry)
    } catch {
      // The file stays in the work area and the ledger says so: the next start tries again.
      logger.error("input \(entry.id!): \(error)", metadata: ["ISNETD_ERROR_CODE": "\(DaemonError.Code.disposalFailed.rawValue)", "ISNETD_INPUT": "\(entry.id!)"])
    }
  }

  /// The archive's day folder, by UTC date.
  static func day(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd"
    return formatter.string(from: date)
  }

  /// Ends an input in quarantine: the sidecar first, then the ledger, then the file. A crash before
  /// the ledger records it screens the file again (and writes the sidecar again); one after it moves
  /// the file at the next start, beside its sidecar.
  private func quarantine(_ failed: LedgerEntry, problem: Problem) {
    var entry = failed
    entry.state = .quarantined
    entry.attempts = 0
    entry.errorCode = problem.code
    entry.errorMessage = problem.detail
    // Its outputs were never written: their names are free for another input.
    entry.outputStem = nil
    entry.finishedAt = Date()
    do {
      try writeSidecar(entry, problem: problem)
      try ledger.save(entry)
    } catch {
      logger.error("cannot quarantine input \(entry.id!): \(error)", metadata: ["ISNETD_ERROR_CODE": "\(DaemonError.Code.disposalFailed.rawValue)"])
      return
    }
    counters["quarantined", default: 0] += 1
    metrics.count("quarantined")
    log(.quarantined, "input \(entry.id!) quarantined: \(problem)",
        ["ISNETD_INPUT": "\(entry.id!)", "ISNETD_ERROR_CODE": problem.code, "ISNETD_SOP_INSTANCE_UID": entry.sopInstanceUid ?? "",
         "ISNETD_QUARANTINE": configuration.quarantine + "/" + entry.workName],
        level: .error)
    dispose(entry)
  }

  private func writeSidecar(_ entry: LedgerEntry, problem: Problem) throws {
    let sidecar = QuarantineSidecar(
      code: problem.code, sentence: problem.sentence, message: problem.detail, time: entry.finishedAt ?? Date(),
      isnetdVersion: isnetdVersion, modelVersion: serving.modelVersion, input: entry.id!, originalName: entry.originalPath,
      sha256: entry.sha256, sizeBytes: entry.sizeBytes, sopInstanceUid: entry.sopInstanceUid)
    try AtomicFile.write(try sidecar.encoded(), to: configuration.quarantine + "/" + entry.workName + ".error.json")
  }

  // MARK: - Recovery

  /// Finishes what a previous run left: claims cut short, inputs that were being processed (retried
  /// once, quarantined after a second crash), finished inputs still in the work area, and files in
  /// the work area the ledger does not know.
  private func recover() throws {
    for folder in [configuration.outbox, configuration.quarantine, configuration.archive] { removeAbandonedTemporaryFiles(in: folder) }
    // Claims cut short become claimed (queued below with the others) or duplicates, or are forgotten.
    for var entry in try ledger.entries(in: [.claiming]) {
      if access(workPath(entry), F_OK) == 0 { try admitClaimed(&entry) } else { try ledger.abandon(entry) }
    }
    for entry in try ledger.entries(in: [.claimed, .processing]) {
      if entry.state == .processing, entry.attempts >= 2 {
        quarantine(entry, problem: DaemonError(.crashedDuringProcessing, "\(entry.attempts) runs stopped while screening it").problem)
        continue
      }
      queue.append(entry)
    }
    for entry in try ledger.undisposed() { dispose(entry) }
    let known = Set(try ledger.entries(in: [.claimed, .processing]).map(\.workName) + ledger.undisposed().map(\.workName))
    let inWork = (try? FileManager.default.contentsOfDirectory(atPath: configuration.workArea)) ?? []
    for name in inWork.sorted() where !known.contains(name) && !name.hasPrefix(".") {
      adoptUnknown(name)
    }
  }

  /// Removes the temporary files of atomic writes (``AtomicFile``'s `.<name>.tmp-<pid>-<random>`)
  /// whose process is gone: a write cut short by a crash. Nothing else is touched.
  private func removeAbandonedTemporaryFiles(in folder: String) {
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".") {
      guard let marker = name.range(of: ".tmp-", options: .backwards) else { continue }
      let parts = name[marker.upperBound...].split(separator: "-")
      guard parts.count == 2, let processID = Int32(parts[0]), parts[1].allSatisfy({ $0.isLetter || $0.isNumber }),
            processID != getpid(), kill(processID, 0) != 0, errno == ESRCH else { continue }
      unlink(folder + "/" + name)
    }
  }

  /// A work-area file the ledger has no open entry for: recorded and quarantined, never deleted.
  private func adoptUnknown(_ name: String) {
    do {
      var entry = try ledger.beginClaim(originalPath: "work/" + name) { id in "\(id).dcm" }
      try FileMove.move(configuration.workArea + "/" + name, to: workPath(entry))
      entry.sha256 = (try? InputFile(reading: workPath(entry)))?.sha256
      quarantine(entry, problem: DaemonError(.unknownWorkFile, "work/\(name)").problem)
    } catch {
      logger.error("cannot adopt work/\(name): \(error)")
    }
  }

  // MARK: - Reload

  /// Reads the configuration and the model bundle again; on any failure the old ones keep serving.
  private func reload() {
    var monotonic = timespec()
    clock_gettime(CLOCK_MONOTONIC, &monotonic)
    _ = try? notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(Int64(monotonic.tv_sec) * 1_000_000 + Int64(monotonic.tv_nsec) / 1000)")
    do {
      let next = try reloadConfiguration()
      for (name, old, new) in [("inbox", configuration.inbox, next.inbox), ("outbox", configuration.outbox, next.outbox),
                               ("state", configuration.state, next.state), ("quarantine", configuration.quarantine, next.quarantine),
                               ("archive", configuration.archive, next.archive)] where old != new {
        throw ConfigurationError("\(name) changed from \(old) to \(new): restart isnetd to move folders")
      }
      serving = try Serving(next)
      pointerTried = serving.pointer
      arrivals = ArrivalTracker(settle: .seconds(next.settleSeconds))
      rescan(clock.now)
      recordModelVersion()
      log(.reloaded, "configuration and model reloaded; model \(serving.modelVersion)", ["ISNETD_MODEL_VERSION": serving.modelVersion])
    } catch {
      log(.reloadFailed, "reload failed, still serving model \(serving.modelVersion): \(PlainErrorText.of(error))",
          ["ISNETD_MODEL_VERSION": serving.modelVersion], level: .error)
    }
    _ = try? notifier.notify("READY=1\nSTATUS=\(statusLine())")
  }

  /// Puts the serving model's version in the metrics and this run's ledger record.
  private func recordModelVersion() {
    metrics.setModelVersion(serving.modelVersion)
    if var run = currentRun {
      run.modelVersion = serving.modelVersion
      try? ledger.saveRun(run)
      currentRun = run
    }
  }

  /// Switches to the registry's current model when current.json changed (a promotion or rollback),
  /// between batches: inputs in flight finish with the model they were admitted with or are screened
  /// once with the new one, never twice. A bundle that fails to load leaves the old one serving.
  private func followRegistry() {
    let pointer = registry.pointerIdentity()
    guard pointer != pointerTried else { return }
    pointerTried = pointer
    let previous = serving.modelVersion
    do {
      serving = try Serving(configuration)
      guard serving.modelVersion != previous else { return }
      recordModelVersion()
      log(.modelSwitched, "model switched from \(previous) to \(serving.modelVersion) (the registry's current model changed)",
          ["ISNETD_MODEL_VERSION": serving.modelVersion, "ISNETD_PREVIOUS_MODEL_VERSION": previous], level: .notice)
      _ = try? notifier.notify("STATUS=\(statusLine())")
    } catch {
      log(.modelSwitchFailed, "the registry's current model could not be loaded, still serving \(previous): \(PlainErrorText.of(error))",
          ["ISNETD_MODEL_VERSION": previous], level: .error)
    }
  }

  // MARK: - Journal

  private func log(_ event: DaemonEvent, _ message: String, _ fields: [String: String] = [:], level: Logger.Level = .info) {
    var metadata: Logger.Metadata = ["MESSAGE_ID": "\(event.messageID)", "ISNETD_EVENT": "\(event.rawValue)"]
    for (name, value) in fields where !value.isEmpty { metadata[name] = "\(value)" }
    logger.log(level: level, "\(message)", metadata: metadata)
  }
}

/// How other threads steer a running daemon: a stop (SIGTERM) or a reload (SIGHUP) request, taken
/// between batches. Made before the daemon, so a signal during start-up is not lost.
public final class DaemonControls: Sendable {
  private let stop = Atomic<Bool>(false)
  private let reload = Atomic<Bool>(false)
  let wakeup: Wakeup

  public init() throws {
    wakeup = try Wakeup()
  }

  /// Asks the loop to stop after the batch in progress (STOPPING=1 goes out now); inputs claimed but
  /// not started stay in the work area for the next start.
  public func requestStop() {
    guard !stop.exchange(true, ordering: .relaxed) else { return }
    _ = try? Notifier().stopping()
    wakeup.wake()
  }

  /// Asks the loop to read the configuration and model bundle again before its next batch.
  public func requestReload() {
    reload.store(true, ordering: .relaxed)
    wakeup.wake()
  }

  var isStopRequested: Bool { stop.load(ordering: .relaxed) }

  func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .relaxed) }
}

/// `<name>.error.json` beside a quarantined file: why it is there, in the closed codes reports use.
struct QuarantineSidecar: Codable {
  var notice = "Not for clinical use."
  let code: String
  let sentence: String
  let message: String
  let time: Date
  let isnetdVersion: String
  let modelVersion: String
  /// The ledger's id of the input.
  let input: Int64
  /// Its path in the inbox.
  let originalName: String
  let sha256: String?
  let sizeBytes: Int64?
  let sopInstanceUid: String?

  func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return try encoder.encode(self)
  }
}
