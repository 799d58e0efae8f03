import Foundation

/// The repository this test was built from: systemd/, scripts/ and samples/ are read from it.
let repositoryRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// One systemd unit file of systemd/, read the way systemd reads the few settings the tests need.
struct UnitFile {
  struct ParseError: Error, CustomStringConvertible {
    let description: String
  }

  let name: String
  let text: String

  init(_ name: String) throws {
    self.name = name
    text = try String(contentsOf: repositoryRoot.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
  }

  var path: String { repositoryRoot.appendingPathComponent("systemd/\(name)").path }

  /// Every value assigned to `key`, in order (comments and other keys skipped; no line continuations are used).
  func values(of key: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), trimmed.hasPrefix(key + "=") else { return nil }
      return String(trimmed.dropFirst(key.count + 1))
    }
  }

  /// ExecStart= split into words as systemd splits them (systemd.service(5), "Command lines"): whitespace
  /// separates, double or single quotes group. Escapes, specifiers (%) and variables ($) are refused rather than
  /// half-understood, so a unit that starts using them fails here instead of being run with other arguments.
  func execStart() throws -> [String] {
    let lines = values(of: "ExecStart")
    guard lines.count == 1, let line = lines.first else {
      throw ParseError(description: "\(name): expected one ExecStart=, found \(lines.count)")
    }
    if let special = line.first(where: { "\\%$".contains($0) }) {
      throw ParseError(description: "\(name): ExecStart= uses '\(special)', which this reader does not expand")
    }
    var words: [String] = []
    var word = ""
    var quote: Character?
    var inWord = false
    for character in line {
      if let open = quote {
        if character == open { quote = nil } else { word.append(character) }
      } else if character == "\"" || character == "'" {
        quote = character
        inWord = true
      } else if character == " " || character == "\t" {
        if inWord { words.append(word) }
        word = ""
        inWord = false
      } else {
        word.append(character)
        inWord = true
      }
    }
    guard quote == nil else { throw ParseError(description: "\(name): unbalanced quote in ExecStart=") }
    if inWord { words.append(word) }
    return words
  }
}
