import DICOM
import Foundation
import Phantoms
import Screening
import Testing
import TestSupport
import Torch

/// The bundles shipped in `models/`, loaded once per test process.
enum ShippedBundles {
  static let defaultPath = Repository.root.appendingPathComponent("models/default.isnetd-model").path
  static let plainPath = Repository.root.appendingPathComponent("models/plain-shortcut.isnetd-model").path

  nonisolated(unsafe) static let `default` = Result { () throws -> ModelBundle in
    Torch.threads = 2
    return try ModelBundle(path: defaultPath)
  }
  nonisolated(unsafe) static let plain = Result { () throws -> ModelBundle in
    Torch.threads = 2
    return try ModelBundle(path: plainPath)
  }
}

/// Phantom DICOM files written for a test.
enum PhantomFiles {
  /// Renders `specs` and writes `<directory>/<name>.dcm` (and the mask) for each; returns the DICOM paths.
  static func write(_ specs: [(name: String, spec: PhantomSpec)], to directory: TemporaryDirectory) throws -> [String] {
    try specs.map { name, spec in
      try SyntheticDatasetWriter.writeFiles(of: PhantomRenderer.render(spec), root: directory.url.path, stem: name)
      return directory.path("\(name).dcm")
    }
  }

  /// A frontal chest phantom of `condition` at `size` pixels, optionally with a background marker.
  static func chest(_ condition: PhantomClass, seed: UInt64, marker: Marker? = nil, size: Int = 256,
                    acquisition: Acquisition = Acquisition()) -> PhantomSpec {
    PhantomSpec(seed: seed, condition: condition, marker: marker, width: size, height: size, difficulty: 0.2,
                acquisition: acquisition)
  }

  /// The frontal files of `samples/`: every class, MONOCHROME1, RLE and JPEG lossless.
  static var frontalSamples: [String] {
    ["normal-pa", "normal-ap-monochrome1", "pneumonia-lobar-pa", "pneumonia-focal-pa", "covid-19-pa", "covid-19-ap",
     "covid-19-pa-text-marker"].map { Repository.root.appendingPathComponent("samples/\($0).dcm").path }
  }
}

/// Checks reports against `schemas/report.schema.json` with the jsonschema package.
enum ReportSchema {
  /// Validates the report files at `paths`; the validator's complaints when any is invalid.
  static func validate(_ paths: [String]) throws {
    try Command.run("python3", [Repository.root.appendingPathComponent("scripts/validate_reports.py").path] + paths)
  }
}

extension Report {
  static func read(_ path: String) throws -> Report {
    try Report.decoded(from: Data(contentsOf: URL(fileURLWithPath: path)))
  }
}
