import Engine
import Foundation
import Imaging
import Phantoms
@testable import Screening
import Testing
import TestSupport

@Suite("Model bundles", .serialized)
struct BundleTests {
  /// A copy of the default bundle to damage.
  func copyOfDefault(in directory: TemporaryDirectory) throws -> String {
    let copy = directory.path("copy.isnetd-model")
    try FileManager.default.copyItem(atPath: ShippedBundles.defaultPath, toPath: copy)
    return copy
  }

  func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
  }

  func loadError(_ path: String) -> ModelBundleError? {
    #expect(throws: ModelBundleError.self) { try ModelBundle(path: path) }
  }

  @Test("the default bundle loads: its parts agree, its limits are finite and calibrated on enough images")
  func defaultBundle() throws {
    let bundle = try ShippedBundles.default.get()
    let manifest = bundle.manifest
    #expect(manifest.id == "default")
    #expect(manifest.classes == ["covid-19", "normal", "pneumonia"])
    #expect(manifest.model.variant == .selective)
    #expect(bundle.models.classifierMetadata.input == manifest.input)
    let checks = manifest.shortcutChecks
    for limit in [checks.backgroundShare, checks.confidenceDrop, checks.predictionSwitch] {
      #expect(limit.images >= 30 && limit.quantile == 0.975 && limit.value == Swift.min(Swift.max(limit.calibrated, 0), limit.ceiling))
    }
    #expect(!manifest.clinicallyValidated)
  }

  @Test("an incomplete bundle is refused with the missing part named")
  func incomplete() throws {
    let directory = try TemporaryDirectory()
    for (file, part) in [("segmenter.safetensors", BundlePart.segmenter), ("classifier.json", .classifier), ("bundle.json", .bundle)] {
      let copy = try copyOfDefault(in: directory)
      try FileManager.default.removeItem(atPath: "\(copy)/\(file)")
      let error = loadError(copy)
      #expect(error?.part == part, "\(file): \(String(describing: error))")
      #expect(error?.description.contains(part == .bundle ? "bundle.json" : file) == true)
      try FileManager.default.removeItem(atPath: copy)
    }
  }

  @Test("parts that disagree are refused with the part named: classes, input size, another model, a format from the future")
  func disagreeing() throws {
    let directory = try TemporaryDirectory()
    var copy = try copyOfDefault(in: directory)
    try editJSON("\(copy)/bundle.json") { $0["classes"] = ["normal", "covid-19", "pneumonia"] }
    #expect(loadError(copy)?.part == .classifier)
    #expect(loadError(copy)?.message.contains("its classes") == true)

    try FileManager.default.removeItem(atPath: copy)
    copy = try copyOfDefault(in: directory)
    try editJSON("\(copy)/bundle.json") { manifest in
      var input = manifest["input"] as! [String: Any]
      var preprocessing = input["preprocessing"] as! [String: Any]
      preprocessing["width"] = 128
      input["preprocessing"] = preprocessing
      manifest["input"] = input
    }
    #expect(loadError(copy)?.message.contains("its input (1 x 224 x 224) is not the bundle's (1 x 128 x 224)") == true)

    // The classifier's files in the segmenter's place.
    try FileManager.default.removeItem(atPath: copy)
    copy = try copyOfDefault(in: directory)
    for suffix in ["safetensors", "json"] {
      try FileManager.default.removeItem(atPath: "\(copy)/segmenter.\(suffix)")
      try FileManager.default.copyItem(atPath: "\(copy)/classifier.\(suffix)", toPath: "\(copy)/segmenter.\(suffix)")
    }
    #expect(loadError(copy)?.part == .segmenter)

    try FileManager.default.removeItem(atPath: copy)
    copy = try copyOfDefault(in: directory)
    try editJSON("\(copy)/bundle.json") { manifest in
      var segmenter = manifest["segmenter"] as! [String: Any]
      segmenter["weightsFingerprint"] = "fnv1a64:0000000000000000"
      manifest["segmenter"] = segmenter
    }
    #expect(loadError(copy)?.part == .segmenter)

    try editJSON("\(copy)/bundle.json") { $0["formatVersion"] = 99 }
    #expect(loadError(copy)?.description.contains("bundle.json: format version 99") == true)
  }

  @Test("a bundle whose part carries a hostile sidecar value, or whose lung-mask rules are out of range, is refused naming the part and field")
  func hostileParts() throws {
    let directory = try TemporaryDirectory()
    var copy = try copyOfDefault(in: directory)
    try editJSON("\(copy)/segmenter.json") { sidecar in
      var input = sidecar["input"] as! [String: Any]
      var preprocessing = input["preprocessing"] as! [String: Any]
      preprocessing["width"] = 0
      input["preprocessing"] = preprocessing
      sidecar["input"] = input
    }
    #expect(loadError(copy)?.part == .segmenter)
    #expect(loadError(copy)?.message.contains("input.preprocessing.width: is 0") == true)

    try FileManager.default.removeItem(atPath: copy)
    copy = try copyOfDefault(in: directory)
    try editJSON("\(copy)/classifier.json") { sidecar in
      var architecture = sidecar["architecture"] as! [String: Any]
      var parameters = architecture["parameters"] as! [String: Any]
      parameters["bottleneckWidth"] = 1 << 62
      architecture["parameters"] = parameters
      sidecar["architecture"] = architecture
    }
    #expect(loadError(copy)?.part == .classifier)
    #expect(loadError(copy)?.message.contains("architecture.parameters.bottleneckWidth") == true)

    try FileManager.default.removeItem(atPath: copy)
    copy = try copyOfDefault(in: directory)
    try editJSON("\(copy)/bundle.json") { manifest in
      var lungMask = manifest["lungMask"] as! [String: Any]
      var rules = lungMask["rules"] as! [String: Any]
      rules["minimumQuality"] = 7
      lungMask["rules"] = rules
      manifest["lungMask"] = lungMask
    }
    #expect(loadError(copy)?.part == .bundle)
    #expect(loadError(copy)?.message.contains("lung-mask rules") == true)
  }

  @Test("bundle create sets each limit to the quantile of the pipeline's own measurements, refuses too few images, and replaces only a bundle")
  func create() throws {
    let directory = try TemporaryDirectory()
    let calibration = directory.path("calibration")
    for condition in PhantomClass.allCases {
      let folder = "\(calibration)/\(condition.rawValue)"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      for index in 0..<6 {
        let phantom = PhantomRenderer.render(PhantomFiles.chest(condition, seed: UInt64(900 + index)))
        try SyntheticDatasetWriter.writeFiles(of: phantom, root: folder, stem: "image-\(index)")
      }
    }
    let classifier = "\(ShippedBundles.defaultPath)/classifier"
    let segmenter = "\(ShippedBundles.defaultPath)/segmenter"
    let out = directory.path("made.isnetd-model")
    let recipe = BundleRecipe(id: "made", calibrator: ShortcutCalibrator(quantile: 0.8, minimumImages: 4))

    // The limits, computed here from the pipeline's results.
    let shipped = try ShippedBundles.default.get()
    let folder = try LabeledFolder(root: calibration, classNames: shipped.manifest.classes)
    let results = Pipeline(models: shipped.models).screen(folder.items.map(\.imagePath))
    var shares: [Double] = []
    var drops: [Double] = []
    var switches: [Double] = []
    for (item, result) in zip(folder.items, results) {
      guard case .analysed(let analysis) = result.outcome, analysis.isAssessable,
        analysis.classification.predicted == item.label else { continue }
      shares.append(analysis.backgroundShare!)
      drops.append(analysis.backgroundRemoval!.confidenceDrop)
      switches.append(analysis.backgroundRemoval!.switchMargin)
    }
    func quantile(_ values: [Double]) -> Double {
      let sorted = values.sorted()
      let position = 0.8 * Double(sorted.count - 1)
      let low = Int(position)
      return sorted[low] + (sorted[Swift.min(low + 1, sorted.count - 1)] - sorted[low]) * (position - Double(low))
    }

    let made = try ModelBundle.create(at: out, classifier: classifier, segmenter: segmenter, calibrationFolder: calibration,
                                      recipe: recipe, replace: false, isnetdVersion: isnetdVersion)
    let checks = made.manifest.shortcutChecks
    #expect(checks.data.used == shares.count && checks.backgroundShare.images == shares.count)
    #expect(Swift.abs(checks.backgroundShare.calibrated - quantile(shares)) < 1e-12)
    #expect(Swift.abs(checks.confidenceDrop.calibrated - quantile(drops)) < 1e-12)
    #expect(Swift.abs(checks.predictionSwitch.calibrated - quantile(switches)) < 1e-12)
    #expect(checks.predictionSwitch.value == Swift.min(Swift.max(quantile(switches), 0), 0.25))
    let flagged = shares.indices.filter {
      shares[$0] > checks.backgroundShare.value || drops[$0] > checks.confidenceDrop.value || switches[$0] > checks.predictionSwitch.value
    }
    #expect(checks.data.flaggedWhenCorrect == Double(flagged.count) / Double(shares.count))
    #expect(checks.backgroundRemovalFill == shipped.models.input.preprocessing.padValue)
    #expect(made.manifest.classifier == shipped.manifest.classifier)
    #expect(try ModelBundle(path: out).manifest == made.manifest)

    // Too few usable images: refused, nothing written.
    let tooFew = directory.path("few.isnetd-model")
    #expect(throws: CalibrationError.self) {
      try ModelBundle.create(at: tooFew, classifier: classifier, segmenter: segmenter, calibrationFolder: calibration,
                             recipe: BundleRecipe(id: "few", calibrator: ShortcutCalibrator(minimumImages: 1000)), replace: false,
                             isnetdVersion: isnetdVersion)
    }
    #expect(!FileManager.default.fileExists(atPath: tooFew))

    // An existing bundle needs replace; a folder that is not a bundle is never replaced.
    #expect(throws: ModelBundleError.self) {
      try ModelBundle.create(at: out, classifier: classifier, segmenter: segmenter, calibrationFolder: calibration, recipe: recipe,
                             replace: false, isnetdVersion: isnetdVersion)
    }
    let other = directory.path("other")
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
    try Data("keep".utf8).write(to: URL(fileURLWithPath: "\(other)/notes.txt"))
    #expect(throws: ModelBundleError.self) {
      try ModelBundle.create(at: other, classifier: classifier, segmenter: segmenter, calibrationFolder: calibration, recipe: recipe,
                             replace: true, isnetdVersion: isnetdVersion)
    }
    #expect(FileManager.default.fileExists(atPath: "\(other)/notes.txt"))
    let replaced = try ModelBundle.create(at: out, classifier: classifier, segmenter: segmenter, calibrationFolder: calibration,
                                          recipe: recipe, replace: true, isnetdVersion: isnetdVersion)
    #expect(replaced.manifest.createdAt >= made.manifest.createdAt)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).allSatisfy { !$0.hasPrefix(".") })
  }
}
