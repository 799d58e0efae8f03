import ArgumentParser
import Foundation
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
        used with its reason. Exits 0 when every file is usable, 1 when some are not.
        """)

    @Argument(help: "The labelled folder: one sub-folder per class.")
    var directory: String
    @Option(help: "The share of instances in validation, strictly between 0 and 1.")
    var validationFraction = 0.2
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
      guard validationFraction > 0, validationFraction < 1 else {
        throw ValidationError("--validation-fraction must lie strictly between 0 and 1.")
      }
    }

    func run() throws {
      let dataset = try SiteDataset(root: directory, split: try FrozenSplit(validationFraction: validationFraction))
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(DatasetReport(dataset)), as: UTF8.self))
      } else {
        print(DatasetReport(dataset).text)
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

  init(_ dataset: SiteDataset) {
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
