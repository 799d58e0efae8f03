import Foundation
import Safetensors
import Testing
import TestSupport

/// A crafted file and the error reading it must give.
struct BadFile: Sendable, CustomTestStringConvertible {
  let label: String
  let bytes: Data
  let code: SafetensorsError.Code
  /// The tensor the error must name, in `tensor` and in the message.
  let tensor: String?
  /// Text the message must contain.
  let mentions: String

  init(_ label: String, _ bytes: Data, _ code: SafetensorsError.Code, tensor: String? = nil, mentions: String) {
    self.label = label
    self.bytes = bytes
    self.code = code
    self.tensor = tensor
    self.mentions = mentions
  }

  var testDescription: String { label }
}

private let f32x4 = #"{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}"#
private let sixteen = [UInt8](repeating: 0x41, count: 16)

/// One crafted file per validation rule.
private let badFiles: [BadFile] = [
  // Truncated files.
  BadFile("shorter than the header length", Data([1, 0, 0, 0, 0]), .truncated, mentions: "fewer than the 8"),
  BadFile(
    "header length beyond the end", Fixtures.crafted(#"{"w":\#(f32x4)}"#, data: sixteen, declaredLength: 4096),
    .truncated, mentions: "4096"),
  BadFile(
    "data cut short", Fixtures.crafted(#"{"w":\#(f32x4)}"#, data: Array(sixteen.prefix(10))), .truncated,
    tensor: "w", mentions: "only 10 data bytes"),
  // Header size cap.
  BadFile(
    "header over 100 MB", Fixtures.crafted("{}", declaredLength: 100_000_001), .headerTooLarge,
    mentions: "100000001"),
  BadFile(
    "header length 2^64-1", Fixtures.crafted("{}", declaredLength: .max), .headerTooLarge,
    mentions: "18446744073709551615"),
  // Invalid JSON.
  BadFile("unterminated object", Fixtures.crafted(#"{"w":"#), .invalidJSON, mentions: "not valid JSON"),
  BadFile("single quotes", Fixtures.crafted(#"{'w':1}"#), .invalidJSON, mentions: "`'`"),
  BadFile(
    "invalid UTF-8 in a name",
    Fixtures.crafted(bytes: Array(#"{"w"#.utf8) + [0xFF, 0xFE] + Array(#"":\#(f32x4)}"#.utf8), data: sixteen),
    .invalidJSON, mentions: "UTF-8"),
  BadFile(
    "garbage after the object", Fixtures.crafted(#"{"w":\#(f32x4)} x"#, data: sixteen), .invalidJSON,
    mentions: "after the JSON value"),
  BadFile(
    "a lone surrogate", Fixtures.crafted(#"{"\ud800":\#(f32x4)}"#, data: sixteen), .invalidJSON,
    mentions: "surrogate"),
  BadFile(
    "nesting 1000 levels deep",
    Fixtures.crafted(
      #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16],"x":"#
        + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "}}", data: sixteen),
    .invalidJSON, mentions: "nesting deeper"),
  // Valid JSON, but not a safetensors header.
  BadFile("an array header", Fixtures.crafted("[]"), .invalidHeader, mentions: "not a JSON object"),
  BadFile(
    "an entry that is a number", Fixtures.crafted(#"{"w":3}"#), .invalidHeader, tensor: "w", mentions: "not an object"),
  BadFile(
    "no dtype", Fixtures.crafted(#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, data: Array(sixteen.prefix(8))),
    .invalidHeader, tensor: "w", mentions: "no `dtype`"),
  BadFile(
    "a fractional dimension",
    Fixtures.crafted(#"{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, data: Array(sixteen.prefix(8))),
    .invalidHeader, tensor: "w", mentions: "2.0"),
  BadFile(
    "three offsets",
    Fixtures.crafted(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}"#, data: Array(sixteen.prefix(8))),
    .invalidHeader, tensor: "w", mentions: "data_offsets"),
  BadFile(
    "a field twice",
    Fixtures.crafted(#"{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
    .invalidHeader, tensor: "w", mentions: "`dtype` twice"),
  BadFile(
    "a metadata value that is a number", Fixtures.crafted(#"{"__metadata__":{"epoch":3}}"#), .invalidHeader,
    mentions: "\"epoch\""),
  // Dtype.
  BadFile(
    "an unknown dtype",
    Fixtures.crafted(#"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, data: sixteen), .unknownDtype,
    tensor: "w", mentions: "F128"),
  // Shape.
  BadFile(
    "a negative dimension",
    Fixtures.crafted(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#), .invalidShape, tensor: "w",
    mentions: "-1"),
  BadFile(
    "an element count that overflows",
    Fixtures.crafted(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#), .invalidShape,
    tensor: "w", mentions: "overflows"),
  // Byte length against shape x dtype size.
  BadFile(
    "12 bytes for a 2x2 F32",
    Fixtures.crafted(#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, data: Array(sixteen.prefix(12))),
    .byteLengthMismatch, tensor: "w", mentions: "16 bytes"),
  BadFile(
    "three F4 elements",
    Fixtures.crafted(#"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0]), .byteLengthMismatch,
    tensor: "w", mentions: "whole bytes"),
  // Offsets.
  BadFile(
    "overlapping tensors",
    Fixtures.crafted(
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
      data: Array(sixteen.prefix(12))),
    .invalidOffsets, tensor: "b", mentions: "overlaps tensor `a`"),
  BadFile(
    "a gap between tensors",
    Fixtures.crafted(
      #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
      data: Array(sixteen.prefix(12))),
    .invalidOffsets, tensor: "b", mentions: "4..<8"),
  BadFile(
    "reversed offsets",
    Fixtures.crafted(#"{"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}}"#, data: Array(sixteen.prefix(8))),
    .invalidOffsets, tensor: "w", mentions: "[8, 4]"),
  BadFile(
    "negative offsets",
    Fixtures.crafted(#"{"w":{"dtype":"U8","shape":[4],"data_offsets":[-4,0]}}"#), .invalidOffsets, tensor: "w",
    mentions: "[-4, 0]"),
  BadFile(
    "bytes after the last tensor", Fixtures.crafted(#"{"w":\#(f32x4)}"#, data: sixteen + [1, 2, 3]), .trailingData,
    tensor: "w", mentions: "3 bytes"),
  BadFile("bytes and no tensors", Fixtures.crafted("{}", data: [1]), .trailingData, mentions: "no tensors"),
  // Names.
  BadFile(
    "a name twice",
    Fixtures.crafted(
      #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
      data: Array(sixteen.prefix(8))),
    .duplicateName, tensor: "w", mentions: "appears twice"),
  BadFile(
    "canonically equal names",
    Fixtures.crafted(
      #"{"\u00e9":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e\u0301":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
      data: Array(sixteen.prefix(8))),
    .duplicateName, tensor: "e\u{301}", mentions: "same Unicode name"),
]

@Suite("safetensors validation")
struct ValidationTests {
  @Test("each malformed file is refused with its code and a message naming the tensor", arguments: badFiles)
  func refused(_ bad: BadFile) {
    let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(bytes: bad.bytes) }
    #expect(error?.code == bad.code)
    #expect(error?.tensor == bad.tensor)
    #expect(error?.message.contains(bad.mentions) == true, "\(error?.message ?? "no error")")
    if let tensor = bad.tensor {
      #expect(error?.message.contains("`\(tensor)`") == true, "\(error?.message ?? "no error")")
    }
  }

  @Test("reading a malformed file gives the same error, with the path in the message")
  func fromFile() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("cut.safetensors")
    try Fixtures.crafted(#"{"w":\#(f32x4)}"#, data: Array(sixteen.prefix(10))).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
    #expect(error?.code == .truncated)
    #expect(error?.tensor == "w")
    #expect(error?.message.hasPrefix(path) == true)
  }

  @Test("a file cut at every length before its end is refused, never misread")
  func everyTruncation() throws {
    let bytes = try Fixtures.everything().serialized()
    for length in stride(from: 0, to: bytes.count, by: 7) {
      let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(bytes: bytes.prefix(length)) }
      #expect(error?.code == .truncated, "cut at \(length): \(String(describing: error))")
    }
  }

  @Test("valid edge cases are accepted: no tensors, null metadata, unknown fields, padding, slices")
  func accepted() throws {
    #expect(try SafetensorsFile(bytes: Fixtures.crafted("{}")) == SafetensorsFile())
    let nullMetadata = try SafetensorsFile(bytes: Fixtures.crafted(#"{"__metadata__":null}"#))
    #expect(nullMetadata.metadata.isEmpty)
    let extra = Fixtures.crafted(
      #" { "w" : {"extra":{"nested":[1,{"a":null}]},"data_offsets":[0,16],"shape":[2,2],"dtype":"F32"} } "#
        + "\n\t", data: sixteen)
    let file = try SafetensorsFile(bytes: extra)
    #expect(try file.tensor(named: "w").bytes == Data(sixteen))
    // A file inside a larger buffer: Data slices with a non-zero start.
    let embedded = (Data([0xEE, 0xEE, 0xEE]) + extra)[3...]
    #expect(try SafetensorsFile(bytes: embedded) == file)
    // Escapes in names are decoded.
    let escaped = try SafetensorsFile(
      bytes: Fixtures.crafted(#"{"a\/b\u00e9\ud83d\ude00\n":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [5]))
    #expect(escaped.tensors.keys.first == "a/bé😀\n")
  }

  @Test("writing refuses a header over the cap and a tensor named __metadata__")
  func writeErrors() throws {
    let huge = SafetensorsFile(metadata: ["blob": String(repeating: "x", count: SafetensorsFile.maximumHeaderLength)])
    let tooLarge = #expect(throws: SafetensorsError.self) { try huge.serialized() }
    #expect(tooLarge?.code == .headerTooLarge)
    #expect(tooLarge?.message.contains("limit of 100000000") == true)

    var reserved = SafetensorsFile()
    reserved["__metadata__"] = try SafetensorsTensor(dtype: .u8, shape: [0], bytes: Data())
    let error = #expect(throws: SafetensorsError.self) { try reserved.serialized() }
    #expect(error?.code == .reservedName)
  }

  @Test("missing files, directories and tensors are reported as such")
  func missing() throws {
    let directory = try TemporaryDirectory()
    let absent = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: directory.path("absent.safetensors")) }
    #expect(absent?.code == .io)
    #expect(absent?.message.contains("absent.safetensors") == true)
    #expect(absent?.message.contains("No such file") == true)

    let notAFile = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: directory.url.path) }
    #expect(notAFile?.code == .io)

    let nowhere = directory.path("no/such/dir/model.safetensors")
    let unwritable = #expect(throws: SafetensorsError.self) { try SafetensorsFile().write(toPath: nowhere) }
    #expect(unwritable?.code == .io)
    #expect(unwritable?.message.contains("no/such/dir") == true)

    let tensor = #expect(throws: SafetensorsError.self) { try SafetensorsFile().tensor(named: "classifier.weight") }
    #expect(tensor?.code == .missingTensor)
    #expect(tensor?.tensor == "classifier.weight")
  }

  @Test("a FIFO named like a weights file is refused at once, not waited on")
  func fifo() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("weights.safetensors")
    #expect(mkfifo(path, 0o600) == 0)
    #expect(throws: SafetensorsError(.io, "\(path) is not a regular file")) { _ = try SafetensorsFile(path: path) }
  }
}
