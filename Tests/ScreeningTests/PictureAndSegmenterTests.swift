import DICOM
import Foundation
import Imaging
import Phantoms
@testable import Screening
import Testing
import TestSupport

@Suite("Report picture and lung segmenter", .serialized)
struct PictureAndSegmenterTests {
  /// The first analysed result of screening `path` with the default bundle.
  func analysed(_ path: String) throws -> (ScreeningResult, Analysis, Report) {
    let bundle = try ShippedBundles.default.get()
    let result = Pipeline(models: bundle.models).screen([path])[0]
    guard case .analysed(let analysis) = result.outcome else { throw CalibrationError("\(path) was not analysed") }
    return (result, analysis, Report(result, bundle: bundle, batchSize: 1))
  }

  @Test("the picture keeps the image's aspect ratio at the chosen size, draws the lung outline on the mask's edge, and has a legend strip")
  func picture() throws {
    let directory = try TemporaryDirectory()
    let wide = try PhantomFiles.write([("wide", PhantomSpec(seed: 3, condition: .normal, width: 300, height: 200, difficulty: 0.2))],
                                      to: directory)[0]
    let (result, analysis, report) = try analysed(wide)
    let canvas = OverlayRenderer(longestSide: 240).render(image: result.image!, analysis: analysis, report: report)
    #expect(canvas.width == 240)
    let imageHeight = 160  // 200 x 240 / 300
    let legendLines = OverlayRenderer().legend(report).count
    #expect(legendLines == 7)
    #expect(canvas.height == imageHeight + 10 * legendLines + 12, "240 pixels fit no line at the larger size")

    func colour(_ x: Int, _ y: Int) -> RGBCanvas.Colour {
      let index = (y * canvas.width + x) * 3
      return (canvas.pixels[index], canvas.pixels[index + 1], canvas.pixels[index + 2])
    }
    // Outline pixels lie on the edge of the lung mask sampled to the picture, and only there.
    let edge = analysis.segmentation.mask.sampled(width: 240, height: imageHeight).outline
    var outlined = 0
    for y in 0..<imageHeight {
      for x in 0..<240 where colour(x, y) == OverlayRenderer.outlineColour {
        outlined += 1
        #expect(edge[x, y], "outline at (\(x), \(y)) is off the mask's edge")
      }
    }
    #expect(outlined == edge.foregroundCount && outlined > 50)
    // The legend: light text on the dark strip, and the red "not for clinical use" line last.
    let strip = (imageHeight..<canvas.height).flatMap { y in (0..<240).map { colour($0, y) } }
    #expect(strip.contains { $0 == OverlayRenderer.textColour })
    let lastLine = (canvas.height - 16..<canvas.height).flatMap { y in (0..<240).map { colour($0, y) } }
    #expect(lastLine.contains { $0 == OverlayRenderer.warningColour })
    #expect(OverlayRenderer().legend(report).last?.text == "Not for clinical use")
    #expect(OverlayRenderer().legend(report).contains { $0.text.hasPrefix("Model default ") })
  }

  @Test("the bundle's segmenter finds two plausible lungs in a held-out phantom and none in a blank or non-chest image")
  func segmenterVerdicts() throws {
    let segmenter = try ShippedBundles.default.get().models.segmenter
    let size = 256
    let chest = PhantomRenderer.render(PhantomSpec(seed: 424_242, condition: .normal, width: size, height: size)).image
    let verdict = try segmenter.segment(chest)
    #expect(verdict.isPlausible, "\(verdict.reasons)")
    #expect(verdict.assessment.lungAreas.count == 2)

    let blank = try segmenter.segment(GrayImage(width: size, height: size, repeating: 0.5))
    #expect(!blank.isPlausible)
    // Not a chest: a ramp with bright and dark discs (coins on a plate).
    var coins = GrayImage(width: size, height: size, pixels: (0..<(size * size)).map { Float($0 % size + $0 / size) / Float(2 * size) })
    for (cx, cy, r, value) in [(64.0, 56.0, 28.0, Float(0.05)), (180.0, 80.0, 36.0, 0.95), (120.0, 184.0, 44.0, 0.1), (208.0, 208.0, 24.0, 0.9)] {
      for y in 0..<size {
        for x in 0..<size where (Double(x) + 0.5 - cx) * (Double(x) + 0.5 - cx) + (Double(y) + 0.5 - cy) * (Double(y) + 0.5 - cy) < r * r {
          coins[x, y] = value
        }
      }
    }
    #expect(!(try segmenter.segment(coins)).isPlausible)
  }
}
