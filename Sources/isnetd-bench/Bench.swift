import ArgumentParser

/// isnetd's benchmarks: each subcommand measures one stage beside a reference tool in the same run.
@main
struct Bench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "isnetd-bench",
    abstract: "Benchmarks of isnetd's stages, each beside a reference implementation in the same run.",
    discussion: "Build in release mode: swift run -c release isnetd-bench <subcommand>.",
    subcommands: [
      DecodeBenchmark.self, ClassifyBenchmark.self, TrainStepBenchmark.self, InferenceBenchmark.self, SegmentBenchmark.self,
    ]
  )
}
