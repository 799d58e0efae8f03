import ArgumentParser
import DICOM
import Foundation
import Glibc
import Imaging
import TestSupport

/// DICOM decoding and preprocessing of a 2,000 x 2,500 16-bit chest image (uncompressed, JPEG lossless,
/// JPEG 2000 lossless): milliseconds per image and peak memory, beside DCMTK's `dcmdjpeg` and `dcmj2pnm`
/// (and OpenJPEG's `opj_decompress` for JPEG 2000, which DCMTK cannot decode) on the same files.
///
/// The files are written, and checked to decode to the generated values, by one child process; isnetd
/// is then measured in a fresh child process per file, N times after one warm-up, as the daemon works
/// (one process, data dictionary loaded once). Each tool runs N times as its own process; its time
/// includes process start-up, which is measured separately on a 64 x 64 image and reported. Peak memory:
/// isnetd's from its own /proc/self/status (VmHWM, and VmRSS before the first decode, which holds the
/// libraries this executable links); each tool's from one more run under /usr/bin/time.
struct DecodeBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode",
    abstract: "Decode + preprocess ms/image and peak RSS, against dcmdjpeg/dcmj2pnm on the same files.")

  @Option(help: "Image rows.")
  var rows = 2_500
  @Option(help: "Image columns.")
  var columns = 2_000
  @Option(help: "Timed repetitions per file and tool.")
  var iterations = 10
  @Option(help: "Model input side (square).")
  var modelSize = 224
  @Option(help: "Folder for the generated files (default: a temporary folder, removed afterwards).")
  var workDirectory: String?

  /// Internal: write and check the files in this folder (used in a child process).
  @Option(help: .hidden)
  var prepare: String?
  /// Internal: measure isnetd on one file and write the result as JSON (used in a child process).
  @Option(help: .hidden)
  var measure: String?
  @Option(help: .hidden)
  var result: String?

  func validate() throws {
    guard rows > 0, columns > 0, iterations > 0, modelSize > 0 else {
      throw ValidationError("--rows, --columns, --iterations and --model-size must be positive.")
    }
  }

  func run() throws {
    if let measure, let result {
      let measurement = try Self.measureIsnetd(file: measure, iterations: iterations, modelSize: modelSize)
      try JSONEncoder().encode(measurement).write(to: URL(fileURLWithPath: result))
      return
    }
    if let prepare {
      try Self.writeFiles(in: prepare, rows: rows, columns: columns)
      return
    }
    let temporary = try TemporaryDirectory(prefix: "isnetd-bench-decode")
    let folder = workDirectory ?? temporary.url.path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    func path(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).path }

    print("decode: \(columns) x \(rows) 16-bit MONOCHROME2 chest phantom, \(iterations) runs per file, "
      + "model input \(modelSize) x \(modelSize)")
    _ = try Self.spawnAndWait([Self.executable, "decode", "--prepare", folder, "--rows", "\(rows)",
                               "--columns", "\(columns)"])
    let uncompressed = path("uncompressed.dcm")
    let jpeg = path("jpeg-lossless.dcm")
    let jpeg2000 = path("jpeg2000-lossless.dcm")
    let codestreamPath = path("frame.j2k")
    let tiny = path("tiny.dcm")
    let tinyCodestream = path("tiny.j2k")
    let startup = [
      "dcmdjpeg": try Self.time(["dcmdjpeg", tiny, path("out.dcm")], iterations: iterations),
      "dcmj2pnm": try Self.time(["dcmj2pnm", tiny, path("out.pgm")], iterations: iterations),
      "opj_decompress": try Self.time(["opj_decompress", "-quiet", "-i", tinyCodestream, "-o", path("out.pgm")],
                                      iterations: iterations),
    ]

    let cases: [(name: String, file: String, tools: [(String, [String])])] = [
      ("uncompressed", uncompressed, [
        ("dcmdjpeg", ["dcmdjpeg", uncompressed, path("out.dcm")]),
        ("dcmj2pnm", ["dcmj2pnm", uncompressed, path("out.pgm")]),
      ]),
      ("JPEG lossless SV1", jpeg, [
        ("dcmdjpeg", ["dcmdjpeg", jpeg, path("out.dcm")]),
        ("dcmj2pnm", ["dcmj2pnm", jpeg, path("out.pgm")]),
      ]),
      ("JPEG 2000 lossless", jpeg2000, [
        ("opj_decompress", ["opj_decompress", "-quiet", "-i", codestreamPath, "-o", path("out.pgm")]),
      ]),
    ]
    let header = "file".padding(toLength: 20, withPad: " ", startingAt: 0)
      + "    size  decode ms  preprocess ms  total ms  +prep  peak RSS (+decode)  "
      + "reference: ms/run (of which start-up), peak RSS, isnetd decode ms / reference ms"
    print(header)
    for item in cases {
      let resultPath = path("result.json")
      _ = try Self.spawnAndWait([Self.executable, "decode", "--measure", item.file, "--result", resultPath,
                                 "--iterations", "\(iterations)", "--model-size", "\(modelSize)"])
      let ours = try JSONDecoder().decode(Measurement.self, from: Data(contentsOf: URL(fileURLWithPath: resultPath)))
      let size = (try FileManager.default.attributesOfItem(atPath: item.file)[.size] as? Int) ?? 0
      var line = item.name.padding(toLength: 20, withPad: " ", startingAt: 0)
        + String(format: "%6.1f MB %9.1f %14.1f %9.1f %5.0f%%  %4.0f MB (+%3.0f)", Double(size) / 1e6,
                 ours.decodeMilliseconds, ours.preprocessMilliseconds,
                 ours.decodeMilliseconds + ours.preprocessMilliseconds,
                 100 * ours.preprocessMilliseconds / ours.decodeMilliseconds, Double(ours.peakKiB) / 1024,
                 Double(ours.peakKiB - ours.baselineKiB) / 1024)
      for (tool, arguments) in item.tools {
        let reference = try Self.time(arguments, iterations: iterations)
        let start = startup[tool]!.milliseconds
        line += String(format: "  %@ %.1f (%.1f), %.0f MB, %.2fx", tool, reference.milliseconds, start,
                       Double(reference.peakKiB) / 1024, ours.decodeMilliseconds / reference.milliseconds)
      }
      print(line)
    }
    print("start-up on a 64 x 64 image (included in the reference times): "
      + startup.sorted { $0.key < $1.key }.map { String(format: "%@ %.1f ms", $0.key, $0.value.milliseconds) }
        .joined(separator: ", "))
  }

  /// Writes the benchmark's files: the phantom uncompressed, as JPEG lossless (dcmcjpeg) and as JPEG
  /// 2000 lossless (opj_compress, wrapped by DCMTK), and a 64 x 64 image for tool start-up; checks that
  /// each decodes to the generated values, or the timings would mean nothing.
  static func writeFiles(in folder: String, rows: Int, columns: Int) throws {
    func path(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).path }
    let values = DICOMFixtures.chestPhantom(rows: rows, columns: columns)
    let uncompressed = path("uncompressed.dcm")
    try DICOMFixtures.writeMonochrome16(to: uncompressed, rows: rows, columns: columns, values: values,
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes)
    let jpeg = path("jpeg-lossless.dcm")
    try DICOMFixtures.Variant.jpegLossless.write(from: uncompressed, to: jpeg)
    let codestream = try DICOMFixtures.jpeg2000Codestream(values: values, rows: rows, columns: columns)
    try codestream.write(to: URL(fileURLWithPath: path("frame.j2k")))
    let jpeg2000 = path("jpeg2000-lossless.dcm")
    try DICOMFile(path: uncompressed).writeEncapsulatedCopy(
      to: jpeg2000, transferSyntaxUID: "1.2.840.10008.1.2.4.90", frames: [Array(codestream)])
    let expected = values.map(Float.init)
    for file in [uncompressed, jpeg, jpeg2000] where try DICOMImage(contentsOf: file).values != expected {
      throw ValidationError("\(file) does not decode to the generated values")
    }
    let tinyValues = DICOMFixtures.chestPhantom(rows: 64, columns: 64)
    try DICOMFixtures.writeMonochrome16(to: path("tiny.dcm"), rows: 64, columns: 64, values: tinyValues)
    try DICOMFixtures.jpeg2000Codestream(values: tinyValues, rows: 64, columns: 64)
      .write(to: URL(fileURLWithPath: path("tiny.j2k")))
  }

  struct Measurement: Codable {
    var decodeMilliseconds: Double
    var preprocessMilliseconds: Double
    /// VmRSS before the first decode: the runtime and the libraries this executable links.
    var baselineKiB: Int
    /// VmHWM at the end.
    var peakKiB: Int
  }

  /// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
  static func status(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
  }

  /// isnetd in this process, as `InputLoader` works: decode alone, and decode with preprocessing fed
  /// the rows as they are decoded, alternating after a warm-up; preprocessing's cost is the difference.
  static func measureIsnetd(file: String, iterations: Int, modelSize: Int) throws -> Measurement {
    let preprocessing = Preprocessing(width: modelSize, height: modelSize)
    let baseline = status("VmRSS")
    func decodeAndPreprocess() throws -> ModelInput {
      try DICOMFile(path: file).decodeFirstFrame(rowsTo: preprocessing.stream).consumer.finish()
    }
    let expected = preprocessing(try DICOMImage(contentsOf: file).image)
    guard try decodeAndPreprocess() == expected else {
      throw ValidationError("preprocessing while decoding differs from preprocessing the decoded image")
    }
    var decodeTime = 0.0
    var bothTime = 0.0
    var checksum: Float = 0
    for _ in 0..<iterations {
      // One image at a time, as the daemon holds it.
      var start = now()
      checksum += try DICOMImage(contentsOf: file).values[0]
      decodeTime += now() - start
      start = now()
      checksum += try decodeAndPreprocess().values[modelSize * modelSize / 2]
      bothTime += now() - start
    }
    guard checksum.isFinite else { throw ValidationError("preprocessing produced a non-finite value") }
    return Measurement(decodeMilliseconds: decodeTime * 1000 / Double(iterations),
                       preprocessMilliseconds: (bothTime - decodeTime) * 1000 / Double(iterations),
                       baselineKiB: baseline, peakKiB: status("VmHWM"))
  }

  /// Mean wall time per run of `arguments` over `iterations` runs after a warm-up, and its peak RSS
  /// from one more run under /usr/bin/time (which forks the tool from its own small process, so the
  /// figure is the tool's alone).
  static func time(_ arguments: [String], iterations: Int) throws -> (milliseconds: Double, peakKiB: Int) {
    _ = try spawnAndWait(arguments)
    var total = 0.0
    for _ in 0..<iterations {
      total += try spawnAndWait(arguments)
    }
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("isnetd-bench-time-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: report) }
    _ = try spawnAndWait(["/usr/bin/time", "-f", "%M", "-o", report] + arguments)
    let peak = Int((try String(contentsOfFile: report, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    return (total * 1000 / Double(iterations), peak)
  }

  /// Runs a command with output discarded; returns its wall time in seconds.
  static func spawnAndWait(_ arguments: [String]) throws -> Double {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = now()
    let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
    guard spawned == 0 else { throw ValidationError("cannot start \(arguments[0]): error \(spawned)") }
    var status: Int32 = 0
    guard waitpid(pid, &status, 0) == pid else { throw ValidationError("waitpid failed for \(arguments[0])") }
    let seconds = now() - start
    guard status == 0 else { throw ValidationError("\(arguments.joined(separator: " ")) failed (status \(status))") }
    return seconds
  }

  /// This executable, to run the measurement in a child process.
  static var executable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}
