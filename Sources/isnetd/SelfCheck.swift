import ArgumentParser
import DICOM
import PNG
import Torch

/// Exercises every native library isnetd links, so an install can be checked in one command.
struct SelfCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "self-check",
    abstract: "Check that libtorch, DCMTK, libpng and libsystemd work on this machine."
  )

  func run() throws {
    var failures = 0
    for (name, check) in checks {
      do {
        let detail = try check()
        print("ok    \(name): \(detail)")
      } catch {
        failures += 1
        print("FAIL  \(name): \(error)")
      }
    }
    if failures > 0 { throw ExitCode.failure }
  }

  private var checks: [(String, () throws -> String)] {
    [
      ("libtorch", checkTorch),
      ("DCMTK", checkDCMTK),
      ("libpng", checkPNG),
    ]
  }

  /// d/dx of sum(conv(x, w)²) and its derivative again, against closed forms.
  private func checkTorch() throws -> String {
    Torch.threads = 1
    let x = try Tensor([1, 2, 3, 4] as [Float], shape: [1, 1, 2, 2]).requiringGradient()
    let w = try Tensor([0.5] as [Float], shape: [1, 1, 1, 1])
    let y = try x.conv2d(weight: w, bias: nil).square().sum()  // Σ (0.5 x)² = 0.25 Σ x²
    let gradient = try gradients(of: y, wrt: [x], createGraph: true)[0]  // 0.5 x
    let second = try gradients(of: gradient.sum(), wrt: [x])[0]  // 0.5 everywhere
    guard try gradient.floats() == [0.5, 1, 1.5, 2], try second.floats() == [0.5, 0.5, 0.5, 0.5] else {
      throw ValidationError("gradients differ from their closed form")
    }
    return "version \(Torch.version), \(Torch.threads) thread(s), double backward correct"
  }

  private func checkDCMTK() throws -> String {
    DICOMFile.initializeCodecs()
    guard DICOMFile.isDictionaryLoaded else {
      throw ValidationError("DCMTK's data dictionary is not loaded (set DCMDICTPATH or install libdcmtk17)")
    }
    return "version \(DICOMFile.dcmtkVersion), data dictionary loaded, JPEG/JPEG-LS/RLE decoders registered"
  }

  private func checkPNG() throws -> String {
    let image = try PNGImage(width: 3, height: 2, format: .gray, pixels: [0, 50, 100, 150, 200, 250])
    guard try PNGImage(decoding: image.encoded()) == image else {
      throw ValidationError("a decoded PNG differs from the encoded one")
    }
    return "version \(PNGImage.libpngVersion), round trip exact"
  }
}
