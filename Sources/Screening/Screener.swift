import DICOM
import Dispatch
import Durable
import Foundation
import Synchronization

/// What became of one input file.
public struct ScreenedFile: Sendable {
  public let path: String
  /// The output names it was given (or would have been, when nothing is written).
  public let names: OutputNames
  /// The report as written; nil when no report could be written (`problem` says why).
  public let report: Report?
  /// Why nothing was written: an output exists already (`output_exists`) or writing failed
  /// (`output_failed`).
  public let problem: Problem?
}

/// Screens files with a bundle and writes every input's outputs: the work of `isnetd classify`, and
/// of each batch the daemon takes. Each file ends with a report (screened, not assessable, not
/// screened, or its error) unless its outputs would replace files this run did not write.
///
/// The three stages overlap: while the networks work on one batch, the next batch is read and decoded
/// and the previous one's outputs are rendered and written (fsync waits included), so the CPU work
/// around the networks hides behind them where cores allow.
public final class Screener: @unchecked Sendable {
  // @unchecked Sendable: every stored property is immutable after init. The networks run on the calling
  // thread only; the intake and writing stages touch no shared state (a DICOM file, a decoded image and
  // an output file each belong to one task).
  public let bundle: ModelBundle
  public let pipeline: Pipeline
  /// Where the outputs go; nil writes nothing (the reports are only returned).
  public let writer: OutputWriter?
  /// Whether existing outputs may be replaced (`--force`); outputs of two inputs of one run never are.
  public let overwrite: Bool
  /// Whether reports carry the patient's name, ID, sex and age (never by default).
  public let includePatientFields: Bool

  public init(bundle: ModelBundle, options: PipelineOptions = PipelineOptions(), writer: OutputWriter?, overwrite: Bool = false,
              includePatientFields: Bool = false) {
    self.bundle = bundle
    pipeline = Pipeline(models: bundle.models, options: options)
    self.writer = writer
    self.overwrite = overwrite
    self.includePatientFields = includePatientFields
  }

  /// Whether a file's outputs may be written, decided by the caller before anything is written (the
  /// daemon asks its ledger).
  public enum Admission: Sendable {
    /// Write them; `overwrite`: replacing outputs that exist is allowed.
    case write(overwrite: Bool)
    /// Write nothing; the file ends with this problem.
    case refuse(Problem)
  }

  /// One batch after intake: the names of its outputs and why some files cannot have them.
  private struct PlannedBatch: Sendable {
    let paths: [String]
    let intakes: [Intake]
    let names: [OutputNames]
    /// By index: files refused because their outputs exist.
    let conflicts: [Int: Problem]
  }

  /// Screens `paths` a batch at a time and calls `each` for every file, in order, on the calling
  /// thread, once its outputs are written. `admit`, called on the calling thread with each file's path,
  /// output names and intake before its batch runs, may refuse a file or allow replacing its outputs;
  /// by default existing outputs are replaced only with `overwrite`.
  public func screen(_ paths: [String], admit: ((String, OutputNames, Intake) -> Admission)? = nil, each: (ScreenedFile) -> Void) {
    let batchSize = pipeline.options.batchSize
    let chunks = stride(from: 0, to: paths.count, by: batchSize).map { Array(paths[$0..<Swift.min($0 + batchSize, paths.count)]) }
    guard !chunks.isEmpty else { return }
    let intakeQueue = DispatchQueue(label: "isnetd.screener.intake")
    let writeQueue = DispatchQueue(label: "isnetd.screener.write")
    let finished = Mutex<[ScreenedFile]>([])
    func drain() {
      for file in finished.withLock({ files in defer { files.removeAll() }; return files }) { each(file) }
    }

    var stemsWritten = Set<String>()
    let inputs = OutputGuard(protecting: paths, force: true)
    var nextIntake: IntakeWork? = IntakeWork(chunks[0], pipeline.intake).started(on: intakeQueue)
    var previousWrite: DispatchWorkItem?
    for index in chunks.indices {
      let intakes = nextIntake!.result()
      nextIntake = index + 1 < chunks.count ? IntakeWork(chunks[index + 1], pipeline.intake).started(on: intakeQueue) : nil
      let batch = plan(chunks[index], intakes, inputs: inputs, stemsWritten: &stemsWritten, admit: admit)
      let prepared = batch.intakes.indices.filter { batch.conflicts[$0] == nil }.compactMap { batch.intakes[$0].prepared }
      let analysed = pipeline.run(prepared)
      // One batch's outputs are written while the networks work on the next, never more.
      previousWrite?.wait()
      drain()
      let write = DispatchWorkItem { [self] in
        let files = finish(batch, analysed: analysed, batchSize: prepared.count)
        finished.withLock { $0.append(contentsOf: files) }
      }
      writeQueue.async(execute: write)
      previousWrite = write
    }
    previousWrite?.wait()
    drain()
  }

  /// Names the outputs of a batch and refuses the files whose outputs exist, repeat another's, or are
  /// one of the run's inputs (`inputs` protects them; never replaced, even with overwrite).
  private func plan(_ paths: [String], _ intakes: [Intake], inputs: OutputGuard, stemsWritten: inout Set<String>,
                    admit: ((String, OutputNames, Intake) -> Admission)?) -> PlannedBatch {
    var conflicts: [Int: Problem] = [:]
    var names: [OutputNames] = []
    for (index, intake) in intakes.enumerated() {
      let name: OutputNames
      switch intake {
      case .prepared(let image): name = OutputNames(for: image.file, sopInstanceUID: image.metadata.sopInstanceUID)
      case .refused(let file, let metadata, _): name = OutputNames(for: file, sopInstanceUID: metadata?.sopInstanceUID)
      }
      names.append(name)
      guard let writer else { continue }
      let admission = admit?(paths[index], name, intake) ?? .write(overwrite: overwrite)
      if case .refuse(let problem) = admission {
        conflicts[index] = problem
      } else if let input = name.all.map(writer.path).first(where: inputs.isProtected) {
        conflicts[index] = Problem(ScreeningError(.outputExists, "\(input) is an input of this run; it is never written"))
      } else if stemsWritten.contains(name.stem) {
        conflicts[index] = Problem(ScreeningError(.outputExists, "another input of this run has the same outputs (\(name.stem)): the same file or the same SOP Instance UID"))
      } else if case .write(overwrite: false) = admission, let path = writer.existing(name).first {
        conflicts[index] = Problem(ScreeningError(.outputExists, "\(path) exists; --force replaces it"))
      } else {
        stemsWritten.insert(name.stem)
      }
    }
    return PlannedBatch(paths: paths, intakes: intakes, names: names, conflicts: conflicts)
  }

  /// The reports of a batch, written when there is a writer: each file on its own worker (rendering
  /// the picture and deflating the PNGs cost more than the networks of a compact model), in order.
  private func finish(_ batch: PlannedBatch, analysed: [ScreeningResult], batchSize: Int) -> [ScreenedFile] {
    var remaining = analysed.makeIterator()
    let results: [ScreeningResult?] = batch.intakes.enumerated().map { index, intake in
      guard batch.conflicts[index] == nil else { return nil }
      switch intake {
      case .prepared: return remaining.next()!
      case .refused(let file, let metadata, let problem): return ScreeningResult(refused: file, metadata: metadata, problem: problem)
      }
    }
    let files = Mutex([ScreenedFile?](repeating: nil, count: results.count))
    DispatchQueue.concurrentPerform(iterations: results.count) { index in
      let (path, names) = (batch.paths[index], batch.names[index])
      let file: ScreenedFile
      if let result = results[index] {
        do {
          let report = Report(result, bundle: bundle, batchSize: batchSize, includePatientFields: includePatientFields)
          let written = try writer?.write(result, report: report, names: names) ?? report
          file = ScreenedFile(path: path, names: names, report: written, problem: nil)
        } catch {
          file = ScreenedFile(path: path, names: names, report: nil, problem: Problem(writing: error))
        }
      } else {
        file = ScreenedFile(path: path, names: names, report: nil, problem: batch.conflicts[index])
      }
      files.withLock { $0[index] = file }
    }
    return files.withLock { $0.map { $0! } }
  }
}

/// The intake of one batch, run on a queue; ``result()`` waits for it.
private final class IntakeWork: @unchecked Sendable {
  // @unchecked Sendable: `intakes` is written once by the work item and read after `wait()`, which
  // orders the two.
  private var intakes: [Intake] = []
  private var item: DispatchWorkItem!

  init(_ paths: [String], _ intake: ImageIntake) {
    item = DispatchWorkItem { [unowned self] in intakes = paths.map(intake.prepare) }
  }

  func started(on queue: DispatchQueue) -> IntakeWork {
    queue.async(execute: item)
    return self
  }

  func result() -> [Intake] {
    item.wait()
    return intakes
  }
}
