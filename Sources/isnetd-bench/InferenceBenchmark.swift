import ArgumentParser
import Engine
import Foundation
import Systemd
import Torch

/// DenseNet-121 inference on this machine: forward alone and forward + LRP-Flex heatmap, images per
/// second at each batch size, beside PyTorch (and zennit) doing the same work in the same invocation.
struct InferenceBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inference",
    abstract: "DenseNet-121 forward and forward+heatmap throughput, against PyTorch in the same run.")

  @Option(help: "Batch sizes.")
  var batches: [Int] = [1, 8]
  @Option(help: "Seconds to time each measurement (after warm-up).")
  var seconds = 5.0
  @Option(help: "libtorch intra-op threads (also passed to PyTorch).")
  var threads = 2
  @Option(help: "Python with torch and torchvision (scripts/bench/requirements.txt); empty skips the reference.")
  var python = ".venv-bench/bin/python"
  @Option(help: "The reference script.")
  var reference = "scripts/bench/pytorch_reference.py"

  func run() throws {
    StandardOutput.useLineBuffering()
    Torch.threads = threads
    Torch.seed(0)
    let model = try DenseNet(.densenet121(classCount: 3, inputChannels: 3))
    let flex = LRPFlex()
    var ours: [String: Double] = [:]
    print("inference: DenseNet-121, 224x224x3, \(threads) threads, isnetd (libtorch \(Torch.version))")
    for batch in batches {
      let input = try Tensor.rand([batch, 3, 224, 224])
      let forward = try throughput(batch: batch) { _ = try model.logits(input) }
      let heatmap = try throughput(batch: batch) { _ = try flex.heatmaps(of: model, input: input, explaining: .predicted) }
      ours["forward/\(batch)"] = forward
      ours["forward+heatmap/\(batch)"] = heatmap
      print(String(format: "  isnetd   batch %d: forward %7.2f img/s, forward+heatmap %7.2f img/s", batch, forward, heatmap))
    }
    guard !python.isEmpty, FileManager.default.isExecutableFile(atPath: python) else {
      print("reference skipped: \(python) not found (install with scripts/bench/requirements.txt)")
      return
    }
    for line in try runReference() {
      guard let impl = line["impl"] as? String, let task = line["task"] as? String, let batch = line["batch"] as? Int,
            let rate = line["images_per_second"] as? Double else { continue }
      let key = "\(task)/\(batch)"
      let ratio = ours[key].map { String(format: " → isnetd/%@ = %.2fx", impl, $0 / rate) } ?? ""
      print(String(format: "  %-8@ batch %d: %-15@ %7.2f img/s%@", impl as NSString, batch, task as NSString, rate, ratio))
    }
  }

  /// Images per second of `body` at `batch`, timed for `seconds` after one warm-up call.
  private func throughput(batch: Int, _ body: () throws -> Void) throws -> Double {
    try body()
    let clock = ContinuousClock()
    var iterations = 0
    let start = clock.now
    while (clock.now - start).seconds < seconds || iterations < 2 {
      try body()
      iterations += 1
    }
    return Double(iterations * batch) / (clock.now - start).seconds
  }

  private func runReference() throws -> [[String: Any]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [reference, "--threads", "\(threads)", "--batches", batches.map(String.init).joined(separator: ","),
                         "--seconds", "\(seconds)"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ValidationError("the reference script failed (\(process.terminationStatus))") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
      (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
    }
  }
}
