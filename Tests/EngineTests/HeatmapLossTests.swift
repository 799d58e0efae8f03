@testable import Engine
import Foundation
import Testing
import Torch

@Suite("ISNet heatmap loss")
struct HeatmapLossTests {
  /// One 1x4 heatmap, mask (1, 1, 0, 0): foreground relevance F = 3, background values |H| = (4, 1).
  let heatmap: [Double] = [1, -2, 4, -1]
  let mask: [Double] = [1, 1, 0, 0]

  func loss(_ configuration: HeatmapLossConfiguration) throws -> (Double, Double, Double) {
    let terms = try HeatmapLoss(configuration).terms(heatmaps: Tensor(heatmap, shape: [1, 1, 1, 1, 4]), masks: Tensor(mask, shape: [1, 1, 1, 4]))
    return (try terms.background.item(), try terms.foreground.item(), try terms.total.item())
  }

  @Test("by hand: absRoIMean normalisation, GWRP background term, L2 foreground term")
  func handComputed() throws {
    // Foreground mean |H| = 3/2, so Hn background = (8/3, 2/3), plus the two zeros inside the mask.
    // GWRP d=0.5 over (8/3, 2/3, 0, 0): (8/3 + 1/3) / (1 + 1/2 + 1/4 + 1/8) = 3 / 1.875 = 1.6.
    // L_bg = log(1 + 1.6/E) with E = 2 → log(1.8).
    // F = 3, C1 = 2, C2 = 2.5: left (max(0, 1 − 3/2))² = 0; right L2 ((3 − 2.5)/2)² = 0.0625.
    let configuration = HeatmapLossConfiguration(backgroundDecay: 0.5, backgroundScale: 2, backgroundWeight: 1.5,
                                                 foregroundWeight: 3, foregroundPenalty: .l2, lowerCut: 2, upperCut: 2.5)
    let (background, foreground, total) = try loss(configuration)
    #expect(Swift.abs(background - Foundation.log(1.8)) < 1e-9)
    #expect(Swift.abs(foreground - 0.0625) < 1e-12)
    #expect(Swift.abs(total - (1.5 * Foundation.log(1.8) + 3 * 0.0625)) < 1e-9)
  }

  @Test("foreground penalties: left side below C1; hybrid is squared up to C1 + C2, then linear and continuous")
  func foregroundPenalties() throws {
    let base = HeatmapLossConfiguration(backgroundDecay: 1, foregroundPenalty: .hybrid, lowerCut: 4, upperCut: 1)
    let loss = HeatmapLoss(base)
    // F = 3: below C1 = 4 → (1 − 3/4)² = 1/16; above C2 = 1 by 2, F ≤ C1 + C2 = 5 → (2/4)² = 1/4.
    #expect(Swift.abs(try loss.foregroundPenalty(Tensor([3] as [Double], shape: [1])).item() - (1.0 / 16 + 0.25)) < 1e-12)
    // F = 7 > 5: linear (7 − 5) + 1 = 3.
    #expect(Swift.abs(try loss.foregroundPenalty(Tensor([7] as [Double], shape: [1])).item() - 3) < 1e-12)
    // Continuity at F = C1 + C2: ((5 − 1)/4)² = 1 and (5 − 5) + 1 = 1.
    let justBelow = try loss.foregroundPenalty(Tensor([5 - 1e-9] as [Double], shape: [1])).item()
    let justAbove = try loss.foregroundPenalty(Tensor([5 + 1e-9] as [Double], shape: [1])).item()
    #expect(Swift.abs(justBelow - justAbove) < 1e-6)
    var l1 = base
    l1.foregroundPenalty = .l1
    #expect(Swift.abs(try HeatmapLoss(l1).foregroundPenalty(Tensor([7] as [Double], shape: [1])).item() - 6) < 1e-12)
  }

  @Test("relevance only inside the mask gives no background loss")
  func insideOnly() throws {
    let terms = try HeatmapLoss(HeatmapLossConfiguration()).terms(
      heatmaps: Tensor([1, 2, 0, 0] as [Double], shape: [1, 1, 1, 1, 4]), masks: Tensor(mask, shape: [1, 1, 1, 4]))
    #expect(try terms.background.item() == 0)
  }

  @Test("a non-binary mask is refused")
  func nonBinaryMask() throws {
    #expect(throws: EngineError.self) {
      try HeatmapLoss(HeatmapLossConfiguration())(heatmaps: Tensor.ones([1, 1, 1, 2, 2]), masks: Tensor([0, 0.5, 1, 1] as [Float], shape: [1, 1, 2, 2]))
    }
  }

  @Test("NaN and infinities are replaced before the loss")
  func nonFinite() throws {
    let values: [Double] = [.nan, 2, .infinity, 1]
    let terms = try HeatmapLoss(HeatmapLossConfiguration()).terms(heatmaps: Tensor(values, shape: [1, 1, 1, 1, 4]), masks: Tensor(mask, shape: [1, 1, 1, 4]))
    #expect(try terms.total.item().isFinite)
  }

  @Test("masks of another size are pooled to the heatmap size")
  func maskResize() throws {
    let loss = HeatmapLoss(HeatmapLossConfiguration())
    let resized = try loss.fittedMask(Tensor([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] as [Float], shape: [1, 1, 4, 4]), height: 2, width: 2)
    #expect(try resized.floats() == [1, 0, 0, 1])
  }
}
