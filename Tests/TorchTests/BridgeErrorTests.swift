import Testing
import Torch

@Suite("C++ errors become Swift errors")
struct BridgeErrorTests {
  @Test("mismatched shapes throw a TorchError carrying libtorch's message, and the process goes on")
  func shapeMismatch() throws {
    let a = try Tensor.ones([2, 3])
    let b = try Tensor.ones([4, 5])
    let error = #expect(throws: TorchError.self) { try a.matmul(b) }
    #expect(error?.code == .libtorch)
    #expect(error?.message.contains("cannot be multiplied") == true)
    // The bridge is still usable after the failure.
    #expect(try (a + a).floats() == [Float](repeating: 2, count: 6))
  }

  @Test("a convolution with the wrong channel count throws")
  func convolutionChannels() throws {
    let x = try Tensor.zeros([1, 3, 8, 8])
    let w = try Tensor.zeros([4, 2, 3, 3])
    let error = #expect(throws: TorchError.self) { try x.conv2d(weight: w, bias: nil) }
    #expect(error?.message.contains("channels") == true)
  }

  @Test("a data/shape disagreement is caught on the Swift side")
  func countMismatch() {
    let error = #expect(throws: TorchError.self) { try Tensor([1, 2, 3] as [Float], shape: [2, 2]) }
    #expect(error?.code == .invalidArgument)
  }

  @Test("backward of a non-scalar without a seed throws")
  func backwardNonScalar() throws {
    let x = try Tensor.ones([3]).requiringGradient()
    #expect(throws: TorchError.self) { try (x * 2.0).backward() }
  }
}
