import ArgumentParser

@main
struct ISNetD: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "isnetd",
    abstract: "Screens chest X-rays with a Faster ISNet and flags predictions that rest on the background.",
    discussion: "Not for clinical use: no model shipped with isnetd has been validated on patient data.",
    version: BuildInfo.versionText,
    subcommands: [
      SelfCheck.self, Classify.self, BundleCommand.self, Inspect.self, Explain.self, Train.self, Segment.self, TrainSegmenter.self,
      Synth.self, Experiment.self,
    ]
  )
}
