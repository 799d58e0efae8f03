import Foundation
import Testing
import Training

@Suite("Retrain events")
struct RetrainEventTests {
  @Test("every retrain event has its own MESSAGE_ID, listed with it in docs/retraining.md's table")
  func documented() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let text = try String(contentsOf: root.appendingPathComponent("docs/retraining.md"), encoding: .utf8)
    let identifiers = RetrainEvent.allCases.map(\.messageID)
    #expect(Set(identifiers).count == RetrainEvent.allCases.count)
    for event in RetrainEvent.allCases {
      #expect(event.messageID.count == 32 && event.messageID.allSatisfy { "0123456789abcdef".contains($0) })
      #expect(text.contains("| \(event.rawValue) | \(event.messageID) |"), "\(event.rawValue) is not in the table")
    }
  }
}
