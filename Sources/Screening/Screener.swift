import DICOM
import Foundation

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
public final class Screener {
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

  /// Screens `paths` a batch at a time, calling `each` for every file in order as its outputs are written.
  public func screen(_ paths: [String], each: (ScreenedFile) -> Void) {
    var stemsWritten = Set<String>()
    let batchSize = pipeline.options.batchSize
    for start in stride(from: 0, to: paths.count, by: batchSize) {
      let chunk = Array(paths[start..<Swift.min(start + batchSize, paths.count)])
      let intakes = chunk.map(pipeline.prepare)
      // Outputs are checked before the networks run.
      var conflicts: [Int: Problem] = [:]
      var names: [OutputNames] = []
      for (index, intake) in intakes.enumerated() {
        let name: OutputNames
        switch intake {
        case .prepared(let image): name = OutputNames(for: image.file, sopInstanceUID: image.decoded.metadata.sopInstanceUID)
        case .refused(let file, let metadata, _): name = OutputNames(for: file, sopInstanceUID: metadata?.sopInstanceUID)
        }
        names.append(name)
        guard let writer else { continue }
        if stemsWritten.contains(name.stem) {
          conflicts[index] = Problem(ScreeningError(.outputExists, "another input of this run has the same outputs (\(name.stem)): the same file or the same SOP Instance UID"))
        } else if !overwrite, let path = writer.existing(name).first {
          conflicts[index] = Problem(ScreeningError(.outputExists, "\(path) exists; --force replaces it"))
        } else {
          stemsWritten.insert(name.stem)
        }
      }
      let ready = intakes.indices.filter { conflicts[$0] == nil }
      var analysed = pipeline.run(ready.compactMap { intakes[$0].prepared }).makeIterator()
      for (index, intake) in intakes.enumerated() {
        if let problem = conflicts[index] {
          each(ScreenedFile(path: chunk[index], names: names[index], report: nil, problem: problem))
          continue
        }
        let result: ScreeningResult
        switch intake {
        case .prepared: result = analysed.next()!
        case .refused(let file, let metadata, let problem):
          result = ScreeningResult(refused: file, metadata: metadata, problem: problem)
        }
        do {
          let report = Report(result, bundle: bundle, batchSize: ready.count, includePatientFields: includePatientFields)
          let written = try writer?.write(result, report: report, names: names[index]) ?? report
          each(ScreenedFile(path: chunk[index], names: names[index], report: written, problem: nil))
        } catch {
          each(ScreenedFile(path: chunk[index], names: names[index], report: nil, problem: Problem(writing: error)))
        }
      }
    }
  }
}
