import Daemon
import Testing

@Suite("Daemon events")
struct DaemonEventTests {
  @Test("every event has its own 128-bit lower-case hexadecimal MESSAGE_ID")
  func messageIDs() {
    let identifiers = DaemonEvent.allCases.map(\.messageID)
    #expect(Set(identifiers).count == DaemonEvent.allCases.count)
    for identifier in identifiers {
      #expect(identifier.count == 32)
      #expect(identifier.allSatisfy { "0123456789abcdef".contains($0) })
    }
  }
}
