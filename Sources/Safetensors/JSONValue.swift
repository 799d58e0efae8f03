/// A parsed JSON value that keeps what the safetensors checks need and `JSONSerialization` loses: the
/// order and repetitions of object keys, and numbers as written.
enum JSONValue {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  /// The number literal as written, already checked against the JSON grammar.
  case number(String)
  case bool(Bool)
  case null

  /// Nesting deeper than this is refused, so a hostile header cannot exhaust the stack. A safetensors
  /// header needs three levels.
  static let maximumDepth = 64

  /// Parses one JSON value that spans `bytes`, surrounding whitespace allowed; throws `invalidJSON` with the
  /// byte position of the first problem.
  static func parse(_ bytes: UnsafeRawBufferPointer) throws(SafetensorsError) -> JSONValue {
    var parser = JSONParser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.failure("unexpected \(parser.current) after the JSON value") }
    return value
  }

  /// The value's integer when it is an integer literal (no fraction, no exponent) that fits in `Int`.
  var integer: Int? {
    guard case .number(let literal) = self, !literal.contains(where: { ".eE".contains($0) }) else { return nil }
    return Int(literal)
  }

  /// Whether the value is neither an object nor an array.
  var isScalar: Bool {
    switch self {
    case .object, .array: false
    case .string, .number, .bool, .null: true
    }
  }

  /// The value as written in the header, shortened, for messages.
  var excerpt: String {
    let text: String
    switch self {
    case .object: text = "an object"
    case .array(let elements) where elements.count <= 8 && elements.allSatisfy(\.isScalar):
      text = "[" + elements.map(\.excerpt).joined(separator: ",") + "]"
    case .array: text = "an array"
    case .string(let string): text = "\"\(string)\""
    case .number(let literal): text = literal
    case .bool(let value): text = String(value)
    case .null: text = "null"
    }
    return text.count > 40 ? String(text.prefix(37)) + "..." : text
  }
}

/// A recursive-descent parser over UTF-8 bytes (RFC 8259).
private struct JSONParser {
  let bytes: UnsafeRawBufferPointer
  var position = 0

  init(bytes: UnsafeRawBufferPointer) {
    self.bytes = bytes
  }

  /// The byte at `position`, for messages.
  var current: String {
    guard position < bytes.count else { return "end of header" }
    let byte = bytes[position]
    return (0x21..<0x7F).contains(byte) ? "`\(Character(Unicode.Scalar(byte)))`" : "byte 0x\(String(byte, radix: 16))"
  }

  func failure(_ message: String) -> SafetensorsError {
    SafetensorsError(.invalidJSON, "the header is not valid JSON: \(message) at byte \(position) of the header")
  }

  mutating func skipWhitespace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  /// Consumes `literal` when the bytes at `position` spell it.
  mutating func consume(_ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard bytes.count - position >= count else { return false }
    for index in 0..<count where bytes[position + index] != literal.utf8Start[index] { return false }
    position += count
    return true
  }

  mutating func parseValue(depth: Int) throws(SafetensorsError) -> JSONValue {
    guard depth < JSONValue.maximumDepth else { throw failure("nesting deeper than \(JSONValue.maximumDepth) levels") }
    guard position < bytes.count else { throw failure("a value expected") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default:
      if consume("true") { return .bool(true) }
      if consume("false") { return .bool(false) }
      if consume("null") { return .null }
      throw failure("unexpected \(current)")
    }
  }

  mutating func parseObject(depth: Int) throws(SafetensorsError) -> JSONValue {
    position += 1  // {
    var entries: [(key: String, value: JSONValue)] = []
    skipWhitespace()
    if consume("}") { return .object(entries) }
    while true {
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw failure("a string key expected, not \(current)")
      }
      let key = try parseString()
      skipWhitespace()
      guard consume(":") else { throw failure("`:` expected after the key \"\(key)\", not \(current)") }
      skipWhitespace()
      entries.append((key, try parseValue(depth: depth + 1)))
      skipWhitespace()
      if consume("}") { return .object(entries) }
      guard consume(",") else { throw failure("`,` or `}` expected in an object, not \(current)") }
      skipWhitespace()
    }
  }

  mutating func parseArray(depth: Int) throws(SafetensorsError) -> JSONValue {
    position += 1  // [
    var elements: [JSONValue] = []
    skipWhitespace()
    if consume("]") { return .array(elements) }
    while true {
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      if consume("]") { return .array(elements) }
      guard consume(",") else { throw failure("`,` or `]` expected in an array, not \(current)") }
      skipWhitespace()
    }
  }

  mutating func parseNumber() throws(SafetensorsError) -> String {
    let start = position
    _ = consume("-")
    if consume("0") {
      // A leading zero stands alone.
    } else {
      guard skipDigits() > 0 else { throw failure("a digit expected in a number") }
    }
    if consume(".") {
      guard skipDigits() > 0 else { throw failure("a digit expected after the decimal point") }
    }
    if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
      position += 1
      if !consume("+") { _ = consume("-") }
      guard skipDigits() > 0 else { throw failure("a digit expected in an exponent") }
    }
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
  }

  /// Skips ASCII digits and returns how many.
  mutating func skipDigits() -> Int {
    let start = position
    while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
    return position - start
  }

  mutating func parseString() throws(SafetensorsError) -> String {
    position += 1  // opening quote
    let start = position
    var decoded: [UInt8] = []  // filled from the first escape on
    var escaped = false
    var runStart = start  // the first byte not yet copied into `decoded`
    while true {
      guard position < bytes.count else { throw failure("unterminated string") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") { break }
      if byte < 0x20 { throw failure("unescaped control character 0x\(String(byte, radix: 16)) in a string") }
      guard byte == UInt8(ascii: "\\") else {
        position += 1
        continue
      }
      escaped = true
      decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
      position += 1
      guard position < bytes.count else { throw failure("unterminated escape") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
      case UInt8(ascii: "b"): decoded.append(0x08)
      case UInt8(ascii: "f"): decoded.append(0x0C)
      case UInt8(ascii: "n"): decoded.append(0x0A)
      case UInt8(ascii: "r"): decoded.append(0x0D)
      case UInt8(ascii: "t"): decoded.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try parseHex4()
        if (0xD800..<0xDC00).contains(scalar) {
          guard consume("\\u") else { throw failure("a lone leading surrogate in a \\u escape") }
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone leading surrogate in a \\u escape") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
          throw failure("a lone trailing surrogate in a \\u escape")
        }
        // Surrogates are excluded above, so every remaining value is a scalar.
        decoded.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
      default:
        position -= 1
        throw failure("invalid escape \\\(Character(Unicode.Scalar(escape)))")
      }
      runStart = position
    }
    let text: String?
    if escaped {
      decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
      text = String(validating: decoded, as: UTF8.self)
    } else {
      text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }
    guard let text else {
      position = start
      throw failure("a string that is not valid UTF-8")
    }
    position += 1  // closing quote
    return text
  }

  mutating func parseHex4() throws(SafetensorsError) -> UInt32 {
    guard bytes.count - position >= 4 else { throw failure("four hex digits expected in a \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else {
        throw failure("four hex digits expected in a \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }
}
