import Foundation
import Phantoms
import Screening
import Testing
import TestSupport

@Suite("Shortcut flag on marker-driven predictions", .serialized)
struct ShortcutFlagTests {
  @Test("images whose background marker drives the plain model's prediction are flagged; under the ISNet bundle the same images mostly are not")
  func markerDrivenPredictionsFlagged() throws {
    let plain = try ShippedBundles.plain.get()
    let isnet = try ShippedBundles.default.get()
    let classes = PhantomClass.allCases
    // Confounding phantoms: each carries the marker of another class than its own (fixed seeds).
    let specs = (0..<24).map { index -> (name: String, spec: PhantomSpec) in
      let condition = classes[index % classes.count]
      let markerClass = classes[(index + 1 + index / classes.count % 2) % classes.count]
      let kind = MarkerKind.allCases[index % MarkerKind.allCases.count]
      return ("confounding-\(index)", PhantomSpec(seed: UInt64(7_000 + index), condition: condition,
                                                  marker: Marker(kind: kind, style: markerClass)))
    }
    let directory = try TemporaryDirectory()
    let paths = try PhantomFiles.write(specs, to: directory)
    let plainResults = Pipeline(models: plain.models).screen(paths)
    let isnetResults = Pipeline(models: isnet.models).screen(paths)

    var plainFlags: [Bool] = []
    var isnetFlags: [Bool] = []
    for (index, (plainResult, isnetResult)) in zip(plainResults, isnetResults).enumerated() {
      guard case .analysed(let plainAnalysis) = plainResult.outcome, case .analysed(let isnetAnalysis) = isnetResult.outcome,
        let plainVerdict = plain.shortcutChecks.verdict(for: plainAnalysis),
        let isnetVerdict = isnet.shortcutChecks.verdict(for: isnetAnalysis)
      else { continue }
      let markerClass = try #require(plain.manifest.classes.firstIndex(of: specs[index].spec.marker!.style.rawValue))
      // The marker decided the plain model's prediction: it predicted the marker's class, not the true one.
      guard plainAnalysis.classification.predicted == markerClass else { continue }
      plainFlags.append(plainVerdict.suspected)
      isnetFlags.append(isnetVerdict.suspected)
    }
    print("marker-decided images: \(plainFlags.count); flagged under the plain bundle \(plainFlags.filter { $0 }.count), under the ISNet \(isnetFlags.filter { $0 }.count)")
    #expect(plainFlags.count >= 8, "the plain model follows the markers")
    #expect(Double(plainFlags.filter { $0 }.count) >= 0.5 * Double(plainFlags.count))
    #expect(Double(isnetFlags.filter { $0 }.count) <= 0.25 * Double(isnetFlags.count))
    #expect(zip(plainFlags, isnetFlags).contains { $0 && !$1 }, "an image flagged under the plain bundle and not under the ISNet")
  }
}
