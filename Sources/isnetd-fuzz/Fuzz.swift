import DICOM
import Engine
import Foundation
import Imaging
import Safetensors
import Screening
import TestSupport

/// libFuzzer targets for isnetd's untrusted-input readers, one binary for all, the target named by
/// `ISNETD_FUZZ_TARGET`: `dicom` (a DICOM file, opened, its metadata read, frame 0 decoded, the result
/// encoded as JSON), `safetensors` (a weights file parsed and every tensor read as values) and
/// `checkpoint` (a sidecar and its weights, loaded as the model the sidecar names) and `bundle` (a
/// `bundle.json` beside the shipped default bundle's checkpoints, loaded as a bundle). A clean
/// error is the expected outcome of a hostile input; a trap, a signal, a leak, a hang or a blowup is a
/// finding. `scripts/fuzz.sh TARGET SECONDS` builds with `-sanitize=fuzzer` and runs one.
///
/// Built without the fuzzer (any `swift build`), the same binary runs the target once on each file
/// named on its command line, to replay a finding (`ISNETD_FUZZ_TARGET=dicom isnetd-fuzz crash-...`),
/// or writes the target's seed files with `--write-seeds DIR`, made by the tests' own generators.
enum FuzzTarget: String, CaseIterable {
  case dicom
  case safetensors
  case checkpoint
  case bundle

  static let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["ISNETD_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
      let names = allCases.map(\.rawValue).joined(separator: ", ")
      FileHandle.standardError.write(Data("set ISNETD_FUZZ_TARGET to one of: \(names)\n".utf8))
      exit(2)
    }
    return target
  }()

  /// Runs the target on one input; returns the clean refusal, nil when the input was accepted.
  @discardableResult
  func run(_ bytes: Data) -> String? {
    switch self {
    case .dicom: FuzzDICOM.run(bytes)
    case .safetensors: FuzzSafetensors.run(bytes)
    case .checkpoint: FuzzCheckpoint.run(bytes)
    case .bundle: FuzzBundle.run(bytes)
    }
  }

  func writeSeeds(to folder: String) throws {
    switch self {
    case .dicom: try FuzzDICOM.writeSeeds(to: folder)
    case .safetensors: try FuzzSafetensors.writeSeeds(to: folder)
    case .checkpoint: try FuzzCheckpoint.writeSeeds(to: folder)
    case .bundle: try FuzzBundle.writeSeeds(to: folder)
    }
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  FuzzTarget.selected.run(Data(bytes: data, count: size))
  return 0
}

enum FuzzDICOM {
  /// DICOM is read from a path, so each input goes to one file of this process.
  static let path = Scratch.path("input.dcm")

  static func run(_ bytes: Data) -> String? {
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { Scratch.environmentFailure("cannot write \(path)") }
    do {
      let file = try DICOMFile(path: path)
      let metadata = try file.metadata()
      _ = try? AcceptanceRules().check(metadata)
      let image = try file.decodeFirstFrame()
      // Whatever decodes must be finite and must encode: JSON output never fails on a value.
      precondition(image.values.allSatisfy(\.isFinite), "a decoded value is not finite")
      precondition(image.valueRange.lowerBound.isFinite && image.valueRange.upperBound.isFinite)
      let encoder = JSONEncoder()
      _ = try encoder.encode(metadata)
      _ = try encoder.encode(image.voi)
      _ = try encoder.encode(image.modalityTransform)
      return nil
    } catch let error as DICOMError {
      return error.description
    } catch {
      preconditionFailure("not a DICOMError: \(error)")
    }
  }
}

extension FuzzDICOM {
  /// A small chest radiograph as the tests write it, and each of its DCMTK re-encodings and a JPEG 2000
  /// wrapping: every transfer syntax and decoder the target reaches.
  static func writeSeeds(to folder: String) throws {
    // 40 x 36: the smallest size opj_compress encodes with its default 6 resolutions.
    let rows = 40
    let columns = 36
    let values = DICOMFixtures.chestPhantom(rows: rows, columns: columns, seed: 3)
    let source = "\(folder)/native.dcm"
    try DICOMFixtures.writeMonochrome16(to: source, rows: rows, columns: columns, values: values,
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes)
    for variant in DICOMFixtures.Variant.allCases {
      try variant.write(from: source, to: "\(folder)/\(variant.rawValue).dcm")
    }
    let codestream = try DICOMFixtures.jpeg2000Codestream(values: values, rows: rows, columns: columns)
    try DICOMFile(path: source).writeEncapsulatedCopy(
      to: "\(folder)/jpeg2000.dcm", transferSyntaxUID: "1.2.840.10008.1.2.4.90", frames: [Array(codestream)])
  }
}

enum FuzzSafetensors {
  static func run(_ bytes: Data) -> String? {
    do {
      let file = try SafetensorsFile(bytes: bytes)
      for name in file.orderedNames {
        let tensor = try file.tensor(named: name)
        switch tensor.dtype {
        case .f32: _ = try tensor.floats()
        case .f64: _ = try tensor.doubles()
        case .i64: _ = try tensor.int64s()
        default: break
        }
      }
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// Weights files of each dtype the engine reads, with metadata, as the writer the tests use makes them.
  static func writeSeeds(to folder: String) throws {
    let tensors: [String: SafetensorsTensor] = [
      "weight": try SafetensorsTensor([1, -2, 3.5, 0, 1e-3, 7], shape: [2, 3]),
      "scale": try SafetensorsTensor([0.25, 4] as [Double], shape: [2]),
      "steps": try SafetensorsTensor([1, 2, 3] as [Int64], shape: [3, 1]),
    ]
    try SafetensorsFile(tensors: tensors, metadata: ["format": "pt"]).write(toPath: "\(folder)/weights.safetensors")
    try SafetensorsFile(tensors: ["empty": try SafetensorsTensor([Float](), shape: [0])])
      .write(toPath: "\(folder)/empty.safetensors")
  }
}

@main
struct Main {
  static func main() throws {
    #if FUZZING
    // libFuzzer's driver with this target; SwiftPM's executable already provides `main`.
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runLibFuzzer(&argc, &argv, fuzzOneInput))
    #else
    // Without libFuzzer: write the seeds, or replay the target on each file named on the command line.
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.count == 2, arguments[0] == "--write-seeds" {
      try FuzzTarget.selected.writeSeeds(to: arguments[1])
      return
    }
    for path in arguments {
      let refusal = FuzzTarget.selected.run(try Data(contentsOf: URL(fileURLWithPath: path)))
      print("\(path): no finding (\(refusal.map { "refused: \($0)" } ?? "accepted"))")
    }
    #endif
  }
}

/// A checkpoint is two files, so one input holds both: the sidecar's length (4 bytes, little endian),
/// the sidecar, then the weights.
enum FuzzCheckpoint {
  static let stem = Scratch.path("checkpoint")

  static func run(_ bytes: Data) -> String? {
    guard bytes.count >= 4 else { return "shorter than the sidecar length" }
    let length = Int(bytes[bytes.startIndex]) | Int(bytes[bytes.startIndex + 1]) << 8
      | Int(bytes[bytes.startIndex + 2]) << 16 | Int(bytes[bytes.startIndex + 3]) << 24
    let sidecar = bytes.dropFirst(4).prefix(length)
    let weights = bytes.dropFirst(4 + sidecar.count)
    let checkpoint = Checkpoint(path: stem)
    guard FileManager.default.createFile(atPath: checkpoint.metadataPath, contents: Data(sidecar)),
      FileManager.default.createFile(atPath: checkpoint.weightsPath, contents: Data(weights))
    else { Scratch.environmentFailure("cannot write \(stem)") }
    do {
      if try checkpoint.metadata().architecture.isSegmenter {
        _ = try checkpoint.loadSegmenter()
      } else {
        _ = try checkpoint.loadClassifier()
      }
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// A small classifier and a small segmenter checkpoint, saved as the engine saves them.
  static func writeSeeds(to folder: String) throws {
    let denseNet = DenseNetConfiguration(growthRate: 4, blockLayers: [2, 2], initialFeatures: 8, classCount: 3, inputChannels: 1)
    let uNet = UNetConfiguration(depth: 2, baseWidth: 4)
    let seeds: [(name: String, model: any Layer, metadata: CheckpointMetadata)] = [
      ("classifier", try DenseNet(denseNet), CheckpointMetadata(
        modelVersion: "fuzz-seed", producer: "isnetd-fuzz", architecture: .denseNet(denseNet),
        classNames: ["covid-19", "normal", "pneumonia"],
        input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 32, height: 32)))),
      ("segmenter", try UNet(uNet), CheckpointMetadata(
        modelVersion: "fuzz-seed", producer: "isnetd-fuzz", architecture: .uNet(uNet), classNames: ["background", "lungs"],
        input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 16, height: 16)),
        segmentation: SegmentationMetadata(trainingLungArea: LungAreaRange(minimum: 0.1, maximum: 0.4, mean: 0.25, count: 3)))),
    ]
    for seed in seeds {
      let checkpoint = Checkpoint(path: "\(folder)/\(seed.name)")
      _ = try checkpoint.save(seed.model, metadata: seed.metadata)
      let sidecar = try Data(contentsOf: URL(fileURLWithPath: checkpoint.metadataPath))
      let weights = try Data(contentsOf: URL(fileURLWithPath: checkpoint.weightsPath))
      var input = Data((0..<4).map { UInt8((sidecar.count >> (8 * $0)) & 0xFF) })
      input.append(sidecar)
      input.append(weights)
      try input.write(to: URL(fileURLWithPath: "\(folder)/\(seed.name).seed"))
      try FileManager.default.removeItem(atPath: checkpoint.metadataPath)
      try FileManager.default.removeItem(atPath: checkpoint.weightsPath)
    }
  }
}

/// A bundle's manifest is the input; its checkpoints are the shipped default bundle's, linked into a
/// bundle folder of this process (removed at exit).
enum FuzzBundle {
  static let folder: String = {
    guard let source = ModelBundle.locateDefault() else { Scratch.environmentFailure("the default model bundle was not found") }
    let folder = Scratch.path("input.isnetd-model")
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
      for part in BundlePart.allCases {
        for file in ["\(part.rawValue).json", "\(part.rawValue).safetensors"] {
          try FileManager.default.createSymbolicLink(atPath: "\(folder)/\(file)", withDestinationPath: "\(source)/\(file)")
        }
      }
    } catch {
      Scratch.environmentFailure("cannot make \(folder): \(error)")
    }
    return folder
  }()

  static func run(_ bytes: Data) -> String? {
    guard FileManager.default.createFile(atPath: "\(folder)/\(ModelBundle.manifestName)", contents: bytes) else {
      Scratch.environmentFailure("cannot write \(folder)")
    }
    do {
      _ = try ModelBundle(path: folder)
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// The shipped default bundle's manifest.
  static func writeSeeds(to folder: String) throws {
    guard let source = ModelBundle.locateDefault() else { throw CocoaError(.fileNoSuchFile) }
    try FileManager.default.copyItem(atPath: "\(source)/\(ModelBundle.manifestName)", toPath: "\(folder)/bundle.json")
  }
}

/// A folder of this process for the files the targets read inputs from, in memory when it can be
/// (/dev/shm), removed at exit.
enum Scratch {
  static let folder: String = {
    let root = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let folder = "\(root)/isnetd-fuzz-\(getpid())"
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    } catch {
      Scratch.environmentFailure("cannot make \(folder): \(error)")
    }
    atexit { try? FileManager.default.removeItem(atPath: Scratch.folder) }
    return folder
  }()

  static func path(_ name: String) -> String { "\(folder)/\(name)" }

  /// The harness cannot run here (no scratch folder, no default bundle): exit 2 with why, which
  /// libFuzzer does not take for a finding in the code under test.
  static func environmentFailure(_ message: String) -> Never {
    FileHandle.standardError.write(Data("isnetd-fuzz: \(message)\n".utf8))
    exit(2)
  }
}

#if FUZZING
/// libFuzzer's entry point for programs with their own `main` (pointer and integer arguments, so the
/// Swift and C calling conventions agree).
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzer(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
#endif
