import Engine
import Foundation
import Imaging
import Screening
import Testing

@Suite("Lung mask clean-up and plausibility rules")
struct LungMaskRulesTests {
  static let size = 96
  static let range = LungAreaRange(minimum: 0.15, maximum: 0.3, mean: 0.22, count: 10)

  /// Probabilities `inside` within the ellipses (centre x, centre y, radius x, radius y, as fractions of
  /// the side) and `outside` elsewhere.
  func probabilities(_ ellipses: [(Double, Double, Double, Double)], inside: Float = 0.98, outside: Float = 0.01) -> GrayImage {
    let size = Self.size
    return GrayImage(width: size, height: size, pixels: (0..<(size * size)).map { index in
      let (u, v) = ((Double(index % size) + 0.5) / Double(size), (Double(index / size) + 0.5) / Double(size))
      let hit = ellipses.contains { e in Foundation.pow((u - e.0) / e.2, 2) + Foundation.pow((v - e.1) / e.3, 2) < 1 }
      return hit ? inside : outside
    })
  }

  let lungs = [(0.3, 0.45, 0.14, 0.3), (0.7, 0.45, 0.14, 0.3)]

  @Test("two side-by-side lungs of a usual size are plausible, with their areas and a high quality")
  func plausible() {
    let (mask, assessment) = LungMaskRules().clean(probabilities: probabilities(lungs), trainingRange: Self.range)
    #expect(assessment.isPlausible, "\(assessment.reasons)")
    #expect(assessment.lungAreas.count == 2 && assessment.lungPixels == mask.foregroundCount)
    #expect(Swift.abs(assessment.areaFraction - Double(mask.foregroundCount) / Double(Self.size * Self.size)) < 1e-12)
    #expect(assessment.quality > 0.95 && assessment.discardedFraction == 0)
  }

  @Test("each rule fires with its reason", arguments: [
    ("blank", [ImplausibilityReason.noLungs]),
    ("one lung", [.oneLung]),
    ("stacked", [.lungsNotSideBySide]),
    ("whole image", [.oneLung, .areaAboveTrainingRange]),
    ("small lungs", [.areaBelowTrainingRange]),
    ("speckled", [.fragmented]),
    ("unsure", [.lowConfidence]),
  ])
  func rules(_ parameters: (String, [ImplausibilityReason])) {
    let image: GrayImage
    switch parameters.0 {
    case "blank": image = probabilities([])
    case "one lung": image = probabilities([(0.5, 0.45, 0.2, 0.32)])
    case "stacked": image = probabilities([(0.5, 0.25, 0.25, 0.15), (0.5, 0.72, 0.25, 0.15)])
    case "whole image": image = probabilities([], outside: 0.9)
    case "small lungs": image = probabilities([(0.3, 0.45, 0.05, 0.1), (0.7, 0.45, 0.05, 0.1)])
    case "speckled":
      var speckled = probabilities([(0.3, 0.45, 0.1, 0.22), (0.7, 0.45, 0.1, 0.22)])
      for y in stride(from: 2, to: Self.size, by: 4) {
        for x in stride(from: 2, to: Self.size, by: 4) where speckled[x, y] < 0.5 { speckled[x, y] = 0.6 }
      }
      image = speckled
    default: image = probabilities(lungs, inside: 0.56, outside: 0.44)
    }
    let assessment = LungMaskRules().clean(probabilities: image, trainingRange: Self.range).assessment
    #expect(assessment.reasons == parameters.1, "\(parameters.0): \(assessment)")
    #expect(!assessment.isPlausible)
  }

  @Test("the clean-up keeps the two largest regions and fills their holes")
  func cleanUp() {
    var image = probabilities(lungs + [(0.5, 0.9, 0.02, 0.02)])
    for y in 40...44 { for x in 26...30 { image[x, y] = 0.1 } }  // a hole in the left lung
    let (mask, assessment) = LungMaskRules().clean(probabilities: image, trainingRange: Self.range)
    #expect(mask[28, 42] && !mask[48, 86])
    #expect(mask.components().components.count == 2)
    #expect(assessment.discardedFraction > 0 && assessment.isPlausible)
  }

  @Test("without a recorded training range the chest default applies; the range of fractions is their extremes")
  func defaultRange() {
    let image = probabilities([(0.3, 0.45, 0.07, 0.12), (0.7, 0.45, 0.07, 0.12)])  // about 5 % of the image
    #expect(LungMaskRules().clean(probabilities: image, trainingRange: nil).assessment.isPlausible)
    #expect(LungMaskRules().clean(probabilities: image, trainingRange: Self.range).assessment.reasons == [.areaBelowTrainingRange])
    let measured = LungAreaRange(fractions: [0.3, 0.1, 0.2])
    #expect(measured?.minimum == 0.1 && measured?.maximum == 0.3 && measured?.count == 3)
    #expect(Swift.abs((measured?.mean ?? 0) - 0.2) < 1e-12)
    #expect(LungAreaRange(fractions: []) == nil)
  }
}
