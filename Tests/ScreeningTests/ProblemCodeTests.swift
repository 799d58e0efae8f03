import DICOM
import Durable
import Engine
import Foundation
import Glibc
import Screening
import Testing
import TestSupport

@Suite("Problem codes")
struct ProblemCodeTests {
  /// Every closed code set a problem is made from, as (raw value, sentence) pairs.
  static let codeSets: [String: [(code: String, sentence: String)]] = [
    "DICOMError": DICOMError.Code.allCases.map { ($0.rawValue, $0.sentence) },
    "ScreeningError": ScreeningError.Code.allCases.map { ($0.rawValue, $0.sentence) },
    "EngineError": EngineError.Code.allCases.map { ($0.rawValue, $0.sentence) },
    "DatasetError": DatasetError.Code.allCases.map { ($0.rawValue, $0.sentence) },
    "AtomicFileError": AtomicFileError.Code.allCases.map { ($0.rawValue, $0.sentence) },
    "StopRequested": StopRequested.Code.allCases.map { ($0.rawValue, $0.sentence) },
  ]

  @Test("every code set is snake_case with one sentence per code, and Problem.codes holds each code of each set once")
  func codeSetsAreClosedAndDistinct() {
    let all = Self.codeSets.values.flatMap { $0 }
    for (code, sentence) in all {
      #expect(!code.isEmpty && code.allSatisfy { $0.isLowercase || $0 == "_" }, "\(code)")
      #expect(sentence.first?.isUppercase == true && sentence.hasSuffix("."), "\(code): \(sentence)")
    }
    #expect(Set(Problem.codes).count == Problem.codes.count, "a code is in two sets")
    #expect(Set(Problem.codes) == Set(all.map(\.code)))
  }

  @Test("a missing checkpoint is checkpoint_unreadable; a sidecar that is not checkpoint metadata is checkpoint_invalid")
  func checkpointCodes() throws {
    let directory = try TemporaryDirectory()
    let missing = Checkpoint(path: directory.path("absent"))
    let unreadable = #expect(throws: EngineError.self) { _ = try missing.loadClassifier() }
    #expect(unreadable?.code == .checkpointUnreadable)
    #expect(unreadable.map { Problem($0).code } == "checkpoint_unreadable")
    #expect(unreadable?.message.contains(missing.metadataPath) == true)

    let garbage = Checkpoint(path: directory.path("garbage"))
    try Data("{\"modelVersion\": 3}".utf8).write(to: URL(fileURLWithPath: garbage.metadataPath))
    let invalid = #expect(throws: EngineError.self) { _ = try garbage.loadClassifier() }
    #expect(invalid.map { Problem($0) }?.code == "checkpoint_invalid")
    #expect(invalid?.description.hasPrefix("checkpoint: \(garbage.metadataPath) is not valid checkpoint metadata") == true)

    // While screening, an engine error is the image's model_failed, with the engine's text as detail.
    let screening = invalid.map { Problem(screening: $0) }
    #expect(screening?.code == "model_failed" && screening?.detail == invalid?.description)
  }

  @Test("a missing dataset folder is dataset_not_a_folder; one class folder is dataset_too_few_classes")
  func datasetCodes() throws {
    let directory = try TemporaryDirectory()
    let missing = #expect(throws: DatasetError.self) { _ = try LabeledFolder(root: directory.path("absent")) }
    #expect(missing?.code == .notAFolder)
    #expect(missing.map { Problem($0) } == Problem(DatasetError(.notAFolder, "\(directory.path("absent")) is not a folder")))
    #expect(missing.map { Problem($0).code } == "dataset_not_a_folder")

    try FileManager.default.createDirectory(atPath: directory.path("one/normal"), withIntermediateDirectories: true)
    let single = #expect(throws: DatasetError.self) { _ = try LabeledFolder(root: directory.path("one")) }
    #expect(single?.code == .tooFewClasses)
    #expect(single?.description == "\(directory.path("one")) needs at least two class folders, found 1")
  }

  /// Where an atomic write cannot create its temporary file, and the `errno` it meets. A read-only
  /// folder would be EACCES, but these tests run as root, which permissions do not stop.
  static let uncreatable: [(place: String, errno: Int32)] = [("absent/report.json", ENOENT), ("file/report.json", ENOTDIR)]

  @Test("an atomic write into a missing folder, or under a file, is create_failed with errno; a report says output_failed",
        arguments: uncreatable)
  func atomicCreateFailure(place: String, errno expected: Int32) throws {
    let directory = try TemporaryDirectory()
    try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path("file")))
    let target = directory.path(place)
    let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data("{}".utf8), to: target) }
    #expect(error?.code == .createFailed)
    #expect(error?.systemError == expected)
    #expect(error?.message.hasSuffix("\(String(cString: strerror(expected))) (errno \(expected))") == true)
    #expect(error.map { Problem($0).code } == "create_failed")
    let report = error.map { Problem(writing: $0) }
    #expect(report?.code == "output_failed" && report?.detail == error?.message)
  }

  @Test("renaming over a folder is rename_failed (EISDIR) and leaves no temporary file; exchanging with a missing path is exchange_failed (ENOENT)")
  func atomicRenameAndExchangeFailures() throws {
    let directory = try TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: directory.path("report.json/inside"), withIntermediateDirectories: true)
    let rename = #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data("{}".utf8), to: directory.path("report.json")) }
    #expect(rename?.code == .renameFailed && rename?.systemError == EISDIR)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["report.json"])

    let exchange = #expect(throws: AtomicFileError.self) {
      try AtomicFile.exchange(directory.path("report.json"), directory.path("absent"))
    }
    #expect(exchange?.code == .exchangeFailed && exchange?.systemError == ENOENT)
    #expect(exchange.map { Problem($0) }?.sentence == "Two paths could not be swapped in one step.")
  }

  @Test("a stop request is its own problem, stopped, not a failure of the data or the model")
  func stopCode() {
    let stop = StopRequested("while training the plain variant, before any results")
    let problem = Problem(stop)
    #expect(problem.code == "stopped" && problem.sentence == "The work was stopped on request before it finished.")
    #expect(problem.detail == "while training the plain variant, before any results" && !problem.isNotScreened)
    #expect(stop.description == "stopped: while training the plain variant, before any results")
  }
}
