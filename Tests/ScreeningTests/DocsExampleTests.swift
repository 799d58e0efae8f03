import Foundation
import PNG
import Screening
import Testing
import TestSupport

@Suite("Documentation examples", .serialized)
struct DocsExampleTests {
  @Test("docs/examples holds, for each shipped bundle, a valid report and picture of the text-marker sample that the pipeline still gives")
  func examplesAreCurrent() throws {
    let sample = Repository.root.appendingPathComponent("samples/covid-19-pa-text-marker.dcm").path
    let examples = Repository.root.appendingPathComponent("docs/examples")
    let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
    for (name, bundle) in [("default", try ShippedBundles.default.get()), ("plain-shortcut", try ShippedBundles.plain.get())] {
      let reportPath = examples.appendingPathComponent("text-marker.\(name).json").path
      try ReportSchema.validate([reportPath])
      let example = try Report.read(reportPath)
      #expect(example.model.version == bundle.manifest.version, "regenerate docs/examples with scripts/make-doc-examples.sh")
      let now = Report(Pipeline(models: bundle.models).screen([sample])[0], bundle: bundle, batchSize: 1)
      #expect(example.verdict == now.verdict && example.shortcutSuspected == now.shortcutSuspected)
      #expect(example.classification?.prediction == now.classification?.prediction)
      #expect(Swift.abs((example.classification?.confidence ?? -1) - (now.classification?.confidence ?? -2)) < 1e-5)
      #expect(Swift.abs((example.shortcutChecks?.backgroundRelevance.share ?? -1) - (now.shortcutChecks?.backgroundRelevance.share ?? -2)) < 1e-5)
      #expect(example.explanation == now.explanation)
      let picture = try PNGImage(decoding: Array(try Data(contentsOf: examples.appendingPathComponent("text-marker.\(name).overlay.png"))))
      #expect(picture.width == 800 && picture.format == .rgb)
      // The README shows the terminal line classify printed for it.
      let line = try String(contentsOf: examples.appendingPathComponent("text-marker.\(name).txt"), encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(line.contains(example.classification!.prediction) && line.hasSuffix("-> \(example.outputs.report!)"))
      #expect(readme.contains(line), "README.md shows docs/examples/text-marker.\(name).txt")
    }
  }
}

@Suite("Report schema")
struct ReportSchemaTests {
  @Test("the schema's closed sets are the code's: problem codes, verdicts, checks, implausibility reasons")
  func closedSetsMatch() throws {
    let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Repository.root
      .appendingPathComponent("schemas/report.schema.json"))) as? [String: Any])
    func enumeration(_ path: [String]) -> [String]? {
      var node: Any? = schema
      for key in path { node = (node as? [String: Any])?[key] }
      return (node as? [String: Any])?["enum"] as? [String]
    }
    #expect(enumeration(["$defs", "problem", "properties", "code"]) == Problem.codes)
    #expect(enumeration(["properties", "verdict"]) == Report.Verdict.allCases.map(\.rawValue))
    let checks = ((schema["$defs"] as? [String: Any])?["shortcut_checks"] as? [String: Any])
      .flatMap { ($0["properties"] as? [String: Any])?["checks_fired"] as? [String: Any] }
      .flatMap { ($0["items"] as? [String: Any])?["enum"] as? [String] }
    #expect(checks == ShortcutCheck.allCases.map(\.rawValue))
    let reasons = ((schema["$defs"] as? [String: Any])?["lung_mask"] as? [String: Any])
      .flatMap { ($0["properties"] as? [String: Any])?["reasons"] as? [String: Any] }
      .flatMap { ($0["items"] as? [String: Any])?["properties"] as? [String: Any] }
      .flatMap { ($0["code"] as? [String: Any])?["enum"] as? [String] }
    #expect(reasons == ImplausibilityReason.allCases.map(\.rawValue))
  }
}
