import ArgumentParser
import Engine
import Foundation

@main
struct ISNetD: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "isnetd",
    abstract: "Screens chest X-rays with a Faster ISNet and flags predictions that rest on the background.",
    discussion: """
      Not for clinical use: no model shipped with isnetd has been validated on patient data. Exit status: \
      0 success, 1 a file or a command failed, 2 usage error (unknown option, invalid value), 130 \
      interrupted.
      """,
    version: BuildInfo.versionText,
    subcommands: [
      SelfCheck.self, Serve.self, CheckConfig.self, Status.self, Classify.self, BundleCommand.self, Inspect.self, Explain.self, Train.self, Segment.self, TrainSegmenter.self,
      Synth.self, Experiment.self, DatasetCommand.self, Retrain.self, ModelsCommand.self,
    ]
  )

  /// Runs the command line; usage errors exit 2, as command-line tools conventionally do, instead of
  /// swift-argument-parser's EX_USAGE (64).
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch let stop as StopRequested {
      // A stop request is not a failure: it ends with the interrupt status, whatever work it cut short.
      FileHandle.standardError.write(Data("\(stop)\n".utf8))
      Foundation.exit(130)
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      if PlainErrorText.rewrites(error) {
        FileHandle.standardError.write(Data("Error: \(PlainErrorText.of(error))\n".utf8))
        Foundation.exit(1)
      }
      exit(withError: error)
    }
  }
}
