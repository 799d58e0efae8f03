import ArgumentParser
import Durable
import Foundation
import Phantoms
import Synchronization

/// Generates synthetic chest X-ray phantoms as DICOM files with lung masks, in the labelled-data
/// layout `train` reads, or the fixed sample files of `samples/`.
struct Synth: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate synthetic chest X-ray phantoms (DICOM files, lung masks, manifest.json).",
    discussion: """
      With --out, writes a labelled dataset: DIR/<split>/<class>/<split>-<index>.dcm and its \
      <name>.mask.png lung mask, for the splits train, validation, test-biased, test-unbiased and \
      test-confounding, and DIR/manifest.json last. --count is the total (60 % train, 10 % each other \
      split); --counts sets each split. In the biased splits a sample carries its own class's background \
      marker with probability --bias-strength; test-unbiased has no markers; test-confounding carries \
      another class's. With --samples, writes the fixed sample files instead (samples/README.md). \
      The same options and seed give the same bytes. Phantoms, not patients: not for clinical use \
      (docs/synthetic-data.md).
      """)

  @Option(help: "Dataset folder to write.")
  var out: String?
  @Option(help: "Write the fixed sample files into this folder instead of a dataset.")
  var samples: String?
  @Option(help: "Total images across the splits (default 1000).")
  var count: Int?
  @Option(help: "Images per split, e.g. train=1200,validation=300,test-biased=300 (others 0); replaces --count.")
  var counts: String?
  @Option(help: "Seed: the same seed and options give the same bytes.")
  var seed: UInt64?
  @Option(help: "Probability in [0, 1] that a sample of a biased split carries its own class's marker.")
  var biasStrength = 0.9
  @Option(help: "What the other biased samples carry: no-marker or other-class-marker.", transform: Synth.otherwise)
  var biasOtherwise: BiasConfiguration.Otherwise = .noMarker
  @Option(help: "Marker kinds to draw from, comma-separated: laterality, text, tag, collimation, noise-signature.")
  var markerKinds = MarkerKind.allCases.map(\.rawValue).joined(separator: ",")
  @Option(help: "0 (findings obvious) to 1 (often faint, atypical, look-alikes in normals).")
  var difficulty = 0.5
  @Option(help: "Image size in pixels: N or WIDTHxHEIGHT.")
  var size = "256"
  @Option(help: "Classes, comma-separated, from normal, pneumonia, covid-19.")
  var classes = PhantomClass.allCases.map(\.rawValue).joined(separator: ",")
  @Option(help: "Fraction of MONOCHROME1 files.")
  var monochrome1Fraction = 0.2
  @Option(help: "Fraction of compressed files (half JPEG lossless, half RLE).")
  var compressedFraction = 0.25
  @Option(help: "Fraction of CR files (the rest DX).")
  var crFraction = 0.5
  @Option(help: "Fraction of AP views among frontal ones.")
  var apFraction = 0.3
  @Option(help: "Fraction of (crude) lateral views; isnetd does not screen them.")
  var lateralFraction = 0.0
  @Option(help: "Worker threads.")
  var threads = ProcessInfo.processInfo.activeProcessorCount
  @Flag(help: "In a non-empty folder, remove what the previous synth wrote there (the files its manifest.json lists) and write anew.")
  var force = false

  func validate() throws {
    guard (out == nil) != (samples == nil) else { throw ValidationError("give exactly one of --out and --samples") }
    guard threads > 0 else { throw ValidationError("--threads must be positive") }
    guard (0...1).contains(biasStrength) else { throw ValidationError("--bias-strength must be in [0, 1]") }
    guard (0...1).contains(difficulty) else { throw ValidationError("--difficulty must be in [0, 1]") }
    for (name, value) in [("--monochrome1-fraction", monochrome1Fraction), ("--compressed-fraction", compressedFraction),
                          ("--cr-fraction", crFraction), ("--ap-fraction", apFraction), ("--lateral-fraction", lateralFraction)] {
      guard (0...1).contains(value) else { throw ValidationError("\(name) must be in [0, 1]") }
    }
    if samples != nil {
      guard count == nil, counts == nil else { throw ValidationError("--samples writes a fixed set; drop --count and --counts") }
    } else {
      _ = try configuration()
    }
  }

  func run() throws {
    if let samples {
      let seed = seed ?? PhantomSamples.defaultSeed
      let recipes = PhantomSamples.recipes(seed: seed)
      try prepare(samples, writing: recipes.flatMap { ["\($0.name).dcm", "\($0.name).mask.png"] }
        + ["\(PhantomSamples.truncatedName).dcm", "manifest.json"])
      let manifest = try SyntheticDatasetWriter(root: samples, threads: threads)
        .writeSamples(recipes, seed: seed, generator: "isnetd \(BuildInfo.version) synth")
      Synth.say("wrote \(manifest.files.count) sample files and manifest.json to \(samples) (phantoms, not patients)")
      return
    }
    let root = out!
    let configuration = try configuration()
    let plan = DatasetPlan(configuration)
    try prepare(root, writing: plan.samples.flatMap { ["\($0.stem).dcm", "\($0.stem).mask.png"] } + ["manifest.json"])
    Synth.say("generating \(plan.samples.count) phantoms of \(configuration.width)x\(configuration.height) into \(root): "
      + "seed \(configuration.seed), bias strength \(configuration.bias.strength), difficulty \(configuration.difficulty), "
      + "\(threads) threads")
    let start = Date()
    let progress = SynthProgress(total: plan.samples.count, start: start)
    let manifest = try SyntheticDatasetWriter(root: root, threads: threads)
      .write(plan, generator: "isnetd \(BuildInfo.version) synth", progress: progress.step)
    let seconds = Date().timeIntervalSince(start)
    for split in Split.allCases {
      guard let summary = manifest.splits[split] else { continue }
      Synth.say(String(format: "%@: %d images, %d with a marker, %.1f %% carry their own class's marker", split.rawValue,
                   summary.count, summary.marked, 100 * summary.ownClassMarkerFraction))
    }
    Synth.say(String(format: "wrote %d images and manifest.json in %.1f s (%.1f images/s); phantoms, not patients",
                 plan.samples.count, seconds, Double(plan.samples.count) / max(seconds, 1e-9)))
  }

  /// The dataset configuration the options describe.
  func configuration() throws -> DatasetConfiguration {
    let dimensions = size.lowercased().split(separator: "x").map { Int($0) }
    guard dimensions.count == 1 || dimensions.count == 2, let width = dimensions.first ?? nil, let height = dimensions.last ?? nil,
      (32...8192).contains(width), (32...8192).contains(height)
    else { throw ValidationError("--size must be N or WIDTHxHEIGHT, 32 to 8192 pixels") }
    let classList = try classes.split(separator: ",").map { name in
      guard let value = PhantomClass(rawValue: String(name)) else {
        throw ValidationError("unknown class \(name); choose from \(PhantomClass.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return value
    }
    guard classList.count >= 2, Set(classList).count == classList.count else {
      throw ValidationError("--classes needs at least two distinct classes")
    }
    let kinds = try markerKinds.split(separator: ",").map { name in
      guard let kind = MarkerKind(rawValue: String(name)) else {
        throw ValidationError("unknown marker kind \(name); choose from \(MarkerKind.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return kind
    }
    guard !kinds.isEmpty else { throw ValidationError("--marker-kinds needs at least one kind") }
    var perSplit: [Split: Int]
    if let counts {
      guard count == nil else { throw ValidationError("give --count or --counts, not both") }
      perSplit = [:]
      for item in counts.split(separator: ",") {
        let parts = item.split(separator: "=")
        guard parts.count == 2, let split = Split(rawValue: String(parts[0])), let number = Int(parts[1]), number >= 0 else {
          throw ValidationError("--counts takes SPLIT=N pairs with splits \(Split.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        perSplit[split] = number
      }
    } else {
      let total = count ?? 1000
      guard total >= 0 else { throw ValidationError("--count must not be negative") }
      perSplit = DatasetConfiguration.counts(total: total)
    }
    guard perSplit.values.reduce(0, +) > 0 else { throw ValidationError("nothing to generate: every count is 0") }
    return DatasetConfiguration(
      seed: seed ?? 0, classes: classList, counts: perSplit, width: width, height: height, difficulty: difficulty,
      bias: BiasConfiguration(strength: biasStrength, otherwise: biasOtherwise, kinds: kinds),
      acquisition: AcquisitionMix(monochrome1Fraction: monochrome1Fraction, compressedFraction: compressedFraction,
                                  computedRadiographyFraction: crFraction, anteroposteriorFraction: apFraction,
                                  lateralFraction: lateralFraction))
  }

  /// Creates `folder`. A non-empty folder is refused unless --force, which removes only the files the
  /// previous synth wrote there as its manifest.json lists them (the manifest first, so a half-replaced
  /// folder never carries a manifest); without a manifest it removes nothing. Refused, with nothing
  /// removed: an unreadable manifest, a manifest that lists a path outside the folder, and a file of
  /// `targets` (the paths this run writes, relative to `folder`) that exists and the manifest does not
  /// list: a user's file, which is never replaced.
  private func prepare(_ folder: String, writing targets: [String]) throws {
    let manager = FileManager.default
    try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
    guard !(try manager.contentsOfDirectory(atPath: folder)).isEmpty else { return }
    guard force else {
      throw ValidationError("\(folder) is not empty; pass --force to replace what a previous synth wrote there")
    }
    let manifestPath = "\(folder)/manifest.json"
    var listed: [String] = []
    if manager.fileExists(atPath: manifestPath) {
      guard let data = manager.contents(atPath: manifestPath), let manifest = try? DatasetManifest.decode(data) else {
        throw ValidationError("\(manifestPath) is not a readable synth manifest, and --force removes only the files a "
          + "manifest lists; nothing was removed")
      }
      listed = manifest.files.flatMap { [$0.path] + ($0.mask.map { [$0] } ?? []) }
    }
    if let outside = listed.first(where: { !Self.isInside($0) }) {
      throw ValidationError("\(manifestPath) lists \(outside), which is not a path inside \(folder); nothing was removed")
    }
    let written = Set(listed + ["manifest.json"])
    let outputs = OutputGuard(protecting: [], force: true)
    for target in targets where !written.contains(target) {
      try outputs.check("\(folder)/\(target)")  // a folder or FIFO in the way is refused too
      if manager.fileExists(atPath: "\(folder)/\(target)") {
        throw ValidationError("\(folder)/\(target) exists and was not written by synth (its manifest does not list it); "
          + "nothing was removed")
      }
    }
    if manager.fileExists(atPath: manifestPath) { try manager.removeItem(atPath: manifestPath) }
    for name in listed {
      var isDirectory: ObjCBool = false
      let path = "\(folder)/\(name)"
      guard manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
      try manager.removeItem(atPath: path)
    }
  }

  /// Whether a manifest's relative path stays inside the folder: not absolute, no `..`.
  static func isInside(_ path: String) -> Bool {
    !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
  }
}

extension Synth {
  static func otherwise(_ name: String) throws -> BiasConfiguration.Otherwise {
    guard let value = BiasConfiguration.Otherwise(rawValue: name) else {
      throw ValidationError("unknown --bias-otherwise \(name); choose \(BiasConfiguration.Otherwise.allCases.map(\.rawValue).joined(separator: " or "))")
    }
    return value
  }

  /// Writes a line to standard output unbuffered, so progress shows at once through a pipe too.
  static func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }
}

/// Prints progress at most every two seconds and at the end; safe to call from any thread.
final class SynthProgress: Sendable {
  private let total: Int
  private let start: Date
  private let state = Mutex<(done: Int, printed: Date)>((0, .distantPast))

  init(total: Int, start: Date) {
    self.total = total
    self.start = start
  }

  func step() {
    state.withLock { state in
      state.done += 1
      let now = Date()
      guard state.done == total || now.timeIntervalSince(state.printed) >= 2 else { return }
      state.printed = now
      let rate = Double(state.done) / max(now.timeIntervalSince(start), 1e-9)
      Synth.say(String(format: "%d/%d images (%.1f/s)", state.done, total, rate))
    }
  }
}
