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
