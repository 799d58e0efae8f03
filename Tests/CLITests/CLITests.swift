import Foundation
import Testing
import TestSupport

/// The built `isnetd` executable, beside this test binary in the products folder.
let isnetdExecutable: String = {
  let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("isnetd").path
}()

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
}
