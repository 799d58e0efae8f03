import ArgumentParser
import Daemon
import Foundation
import Registry
import Screening
import Training

/// `isnetd dataset check DIR`: what a retrain would learn from.
struct DatasetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dataset",
    abstract: "Inspect a site's labelled data for retraining.",
    subcommands: [Check.self])

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate a labelled folder and print what a retrain would use.",
      discussion: """
        DIR holds one folder per class with DICOM files and optional <name>.mask.png lung masks \
        (docs/data-layout.md, "A site's labelled data"). Each image goes to training or validation by a \
        stable hash of its SOP Instance UID, so the validation split never changes as data grows. Prints \
        per class the images in each part and how many have a lung mask (the others get a pseudo-mask \
        from the bundle's segmenter), instances present more than once, and every file that cannot be \
        used with its reason; with --config, also how many images are new since the last retrain (what \
        the timer's retrain.minimum_new_images counts). Exits 0 when every file is usable, 1 when some are not.
        """)

    @Argument(help: "The labelled folder: one sub-folder per class (default: retrain.data of --config).")
    var directory: String?
    @Option(help: "The service's configuration: DIR, the validation share and the registry (for the images new since the last retrain) come from it.")
    var config: String?
    @Option(help: "The share of instances in validation, strictly between 0 and 1 (default: retrain.validation_fraction, else 0.2).")
    var validationFraction: Double?
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
      if let validationFraction, !(validationFraction > 0 && validationFraction < 1) {
        throw ValidationError("--validation-fraction must lie strictly between 0 and 1.")
      }
      guard directory != nil || config != nil else { throw ValidationError("give DIR or --config (whose retrain.data names it)") }
    }

    func run() throws {
      var configuration: DaemonConfiguration?
      if let config {
        do {
          configuration = try DaemonConfiguration.resolve(file: config).configuration
        } catch {
          throw ValidationError(error.message)
        }
      }
      guard let root = directory ?? configuration?.retrain.data else {
        throw ValidationError("\(config ?? "the configuration") sets no retrain.data; give DIR")
      }
      let fraction = validationFraction ?? configuration?.retrain.validationFraction ?? 0.2
      let dataset = try SiteDataset(root: root, split: try FrozenSplit(validationFraction: fraction))
      let newImages = try configuration.map { try dataset.newInstances(since: ModelRegistry(state: $0.state)) }
      let report = DatasetReport(dataset, newImages: newImages)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
      } else {
        print(report.text)
      }
      if !dataset.unreadable.isEmpty { throw ExitCode.failure }
    }
  }
}

/// What `dataset check` prints, as text or JSON.
struct DatasetReport: Encodable {
  struct UnusableFile: Encodable {
    let path: String
    let code: String
    let reason: String
  }

  let root: String
  let validationFraction: Double
  let classes: [SiteDataset.ClassCounts]
  let images: Int
  let repeatedInstances: [String: [String]]
  let unusable: [UnusableFile]
  /// Instances the last retrain did not use (nil: no registry was given).
  let newSinceLastRetrain: Int?
  /// The last retrain's model version (nil: none, or no registry given).
  let lastRetrain: String?

  init(_ dataset: SiteDataset, newImages: (count: Int, lastRetrain: String?)?) {
    newSinceLastRetrain = newImages?.count
    lastRetrain = newImages?.lastRetrain
    root = dataset.root
    validationFraction = dataset.split.validationFraction
    classes = dataset.countsPerClass
    images = dataset.images.count
    repeatedInstances = dataset.repeatedInstances
    unusable = dataset.unreadable.map { UnusableFile(path: $0.path, code: $0.problem.code, reason: $0.problem.detail) }
  }

  var text: String {
    let width = max(classes.map(\.className.count).max() ?? 0, 5)
    func row(_ cells: [String]) -> String {
      cells[0].padding(toLength: width, withPad: " ", startingAt: 0) + cells.dropFirst().map { $0.leftPadded(12) }.joined()
    }
    var lines = ["\(root): \(classes.count) classes, \(images) usable images, \(unusable.count) unusable; "
                 + "validation: \(Int((validationFraction * 100).rounded())) % of instances, by SOP Instance UID"]
    lines.append(row(["class", "train", "validation", "with mask", "pseudo-mask"]))
    for counts in classes {
      lines.append(row([counts.className, "\(counts.train)", "\(counts.validation)", "\(counts.withMask)", "\(counts.needingPseudoMask)"]))
    }
    if let newSinceLastRetrain {
      lines.append("new since the last retrain (\(lastRetrain ?? "none yet")): \(newSinceLastRetrain) images")
    }
    if !repeatedInstances.isEmpty {
      lines.append("instances present more than once (kept in one part): \(repeatedInstances.count)")
      for (uid, paths) in repeatedInstances.sorted(by: { $0.key < $1.key }) {
        lines.append("  \(uid): \(paths.joined(separator: ", "))")
      }
    }
    if !unusable.isEmpty {
      lines.append("unusable files:")
      lines += unusable.map { "  \($0.path): \($0.code): \($0.reason)" }
    }
    return lines.joined(separator: "\n")
  }
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(width - count, 0)) + self }
}
