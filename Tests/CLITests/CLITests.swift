import Foundation
import Testing
import TestSupport

/// The built `isnetd` executable, beside this test binary in the products folder.
let isnetdExecutable = BuildProducts.executable("isnetd")

@Suite("isnetd command line")
struct CLITests {
  @Test("--version names isnetd and the libtorch, DCMTK and libpng it was built against")
  func version() throws {
    let output = try Command.run(isnetdExecutable, ["--version"])
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.first == "isnetd 0.1.0-dev")
    #expect(lines.contains { $0.hasPrefix("libtorch 1.") })
    #expect(lines.contains { $0.hasPrefix("DCMTK 3.") })
    #expect(lines.contains { $0.hasPrefix("libpng 1.6") })
  }

  @Test("self-check passes every library check")
  func selfCheck() throws {
    let output = try Command.run(isnetdExecutable, ["self-check"])
    let lines = output.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.allSatisfy { $0.hasPrefix("ok") })
  }

  @Test("an unknown subcommand fails with usage")
  func unknownSubcommand() {
    #expect(throws: Command.Failure.self) { try Command.run(isnetdExecutable, ["frobnicate"]) }
  }

  @Test("Foundation's error strings never reach a user: a missing folder and a damaged bundle manifest say so in words")
  func plainErrors() throws {
    let directory = try TemporaryDirectory()
    let missing = directory.path("missing")
    let evaluate = try #require(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["bundle", "evaluate", "--data", missing])
    }
    #expect(evaluate.status == 1)
    #expect(evaluate.output.contains("Error: cannot read \(missing): no such file"), "\(evaluate.output)")

    let bundle = directory.path("damaged.isnetd-model")
    try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: false)
    try Data("{".utf8).write(to: URL(fileURLWithPath: bundle + "/bundle.json"))
    let show = try #require(throws: Command.Failure.self) { try Command.run(isnetdExecutable, ["bundle", "show", bundle]) }
    #expect(show.output.contains("not a valid bundle manifest: The given data was not valid JSON. (at the top level)"))
    for failure in [evaluate, show] {
      #expect(!failure.output.contains("Domain="), "\(failure.output)")
      #expect(!failure.output.contains("CodingKeys("), "\(failure.output)")
    }
  }
}
