@testable import Engine
import Testing
import Torch

@Suite("GWRP")
struct GWRPTests {
  let values: [Float] = [0.2, 3, -1, 0.5, 1]

  @Test("d = 1 gives the mean")
  func meanAtOne() throws {
    let pooled = try GWRP(decay: 1)(Tensor(values, shape: [1, 5])).floats()
    #expect(Swift.abs(pooled[0] - 0.74) < 1e-6)
  }

  @Test("d = 0 gives the maximum")
  func maximumAtZero() throws {
    #expect(try GWRP(decay: 0)(Tensor(values, shape: [1, 5])).floats() == [3])
  }

  @Test("d = 0.5 by hand: sorted (3, 1, 0.5, 0.2, −1) weighted (1, ½, ¼, ⅛, 1⁄16) / 1.9375")
  func handComputed() throws {
    let expected = (3 + 0.5 + 0.125 + 0.025 - 0.0625) / 1.9375
    let pooled = try GWRP(decay: 0.5)(Tensor([0.2, 3, -1, 0.5, 1] as [Double], shape: [1, 5])).values(as: Double.self)
    #expect(Swift.abs(pooled[0] - expected) < 1e-12)
  }

  @Test("pools each row of a batch independently")
  func rows() throws {
    let pooled = try GWRP(decay: 0)(Tensor([1, 5, 2, 7, 0, 3] as [Float], shape: [2, 3])).floats()
    #expect(pooled == [5, 7])
  }
}
