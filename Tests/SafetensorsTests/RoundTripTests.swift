import Foundation
import Safetensors
import Testing
import TestSupport

@Suite("safetensors round trips")
struct RoundTripTests {
  @Test("every dtype, NaN payloads, -0.0, empty tensors and scalars survive bytes and files bit for bit")
  func roundTrip() throws {
    let original = try Fixtures.everything()
    let bytes = try original.serialized()
    let fromBytes = try SafetensorsFile(bytes: bytes)
    #expect(fromBytes == original)

    let directory = try TemporaryDirectory()
    let path = directory.path("model.safetensors")
    try original.write(toPath: path)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    let fromFile = try SafetensorsFile(path: path)
    #expect(fromFile == original)
    #expect(fromFile.metadata == original.metadata)
    #expect(try fromFile.serialized() == bytes)

    let weights = try fromFile.tensor(named: "features.denseblock1.denselayer1.conv1.weight")
    #expect(weights.dtype == .f32)
    #expect(weights.shape == [3, 4])
    #expect(try weights.floats().map(\.bitPattern) == Fixtures.floatBits)
    #expect(try fromFile.tensor(named: "f64").doubles().map(\.bitPattern) == Fixtures.doubleBits)
    #expect(try fromFile.tensor(named: "i64").int64s() == Fixtures.int64s)

    let scalar = try fromFile.tensor(named: "scalar.f64")
    #expect(scalar.shape == [])
    #expect(scalar.elementCount == 1)
    #expect(try scalar.doubles().map(\.bitPattern) == [0x8000_0000_0000_0000])
    #expect(try fromFile.tensor(named: "scalar.i8").bytes == Data([0x80]))
    #expect(try fromFile.tensor(named: "empty").floats() == [])
    #expect(try fromFile.tensor(named: "empty.3d").shape == [3, 0, 2])
    #expect(try fromFile.tensor(named: "empty.3d").elementCount == 0)
    #expect(try fromFile.tensor(named: "").bytes == Data([42]))
    #expect(try fromFile.tensor(named: "f6").bytes == Data([0xAB, 0xCD, 0xEF]))
  }

  @Test("the same tensors give the same bytes, whatever the insertion order")
  func deterministic() throws {
    let original = try Fixtures.everything()
    var reversed = SafetensorsFile()
    for name in original.tensors.keys.sorted().reversed() { reversed[name] = original[name] }
    for key in original.metadata.keys.sorted().reversed() { reversed.metadata[key] = original.metadata[key] }
    let copy = try SafetensorsFile(bytes: try original.serialized())
    #expect(try reversed.serialized() == original.serialized())
    #expect(try copy.serialized() == original.serialized())
  }

  @Test("the header is compact JSON in the reference order, space-padded to 8 bytes")
  func exactBytes() throws {
    var file = SafetensorsFile(metadata: ["b": "2", "a": "x\"\n\u{01}/é"])
    file["b"] = try SafetensorsTensor([1.0 as Float], shape: [1])
    file["a"] = try SafetensorsTensor([2.0 as Float, 3.0], shape: [2])
    file["z"] = try SafetensorsTensor(dtype: .u8, shape: [], bytes: Data([7]))
    file["w"] = try SafetensorsTensor([Int64(-1)], shape: [1, 1])
    let bytes = try file.serialized()

    let json = #"{"__metadata__":{"a":"x\"\n\u0001/é","b":"2"},"#
      + #""w":{"dtype":"I64","shape":[1,1],"data_offsets":[0,8]},"#
      + #""a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"#
      + #""b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"#
      + #""z":{"dtype":"U8","shape":[],"data_offsets":[20,21]}}"#
    let headerLength = (json.utf8.count + 7) / 8 * 8
    #expect(bytes.prefix(8) == Data(withUnsafeBytes(of: UInt64(headerLength).littleEndian) { Array($0) }))
    let header = bytes.subdata(in: 8..<(8 + headerLength))
    #expect(String(decoding: header, as: UTF8.self) == json + String(repeating: " ", count: headerLength - json.utf8.count))
    let data = bytes.subdata(in: (8 + headerLength)..<bytes.count)
    #expect(
      data
        == Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x3F, 7]))
    #expect(file.orderedNames == ["w", "a", "b", "z"])
  }

  @Test("tensors are written widest dtype first, so each starts at a multiple of its element size")
  func alignment() throws {
    var file = SafetensorsFile()
    for (index, dtype) in SafetensorsDType.allCases.enumerated() where dtype.bitSize % 8 == 0 {
      file["t\(index)"] = try SafetensorsTensor(dtype: dtype, shape: [3], bytes: Fixtures.pattern(3 * dtype.bitSize / 8, seed: index))
    }
    let bytes = try file.serialized()
    let headerLength = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
    #expect(headerLength % 8 == 0)
    var offset = 8 + headerLength
    for name in file.orderedNames {
      let tensor = try #require(file[name])
      #expect(offset % (tensor.dtype.bitSize / 8) == 0, "\(name) (\(tensor.dtype)) starts at \(offset)")
      #expect(bytes.subdata(in: offset..<(offset + tensor.bytes.count)) == tensor.bytes)
      offset += tensor.bytes.count
    }
    #expect(offset == bytes.count)
    #expect(file.orderedNames.first.flatMap { file[$0]?.dtype } == .u64)
  }

  @Test("a 100+ MB file reads into one buffer that its tensors share")
  func largeFileSharesOneBuffer() throws {
    let count = 26_500_000  // 106 MB of F32
    var large = [Float](repeating: 0, count: count)
    for index in stride(from: 0, to: count, by: 4096) { large[index] = Float(index) }
    large[count - 1] = -.nan
    var file = SafetensorsFile()
    file["large"] = try SafetensorsTensor(large, shape: [count])
    file["small"] = try SafetensorsTensor(Fixtures.doubleBits.map(Double.init(bitPattern:)), shape: [6])
    let directory = try TemporaryDirectory()
    let path = directory.path("large.safetensors")
    try file.write(toPath: path)

    let read = try SafetensorsFile(path: path)
    #expect(read == file)
    // F64 comes before F32: "large" starts right where "small" ends, in the same buffer.
    #expect(read.orderedNames == ["small", "large"])
    let small = try #require(read["small"]).bytes
    let largeBytes = try #require(read["large"]).bytes
    let smallEnd = small.withUnsafeBytes { $0.baseAddress! + $0.count }
    let largeStart = largeBytes.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) }
    #expect(UnsafeRawPointer(smallEnd) == largeStart)
    #expect(Int(bitPattern: largeStart) % 8 == 0)
  }

  @Test("tensor bytes read from a file stay valid after the file is replaced")
  func readersKeepTheirBytes() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("model.safetensors")
    var first = SafetensorsFile()
    first["w"] = try SafetensorsTensor([Float](repeating: 1.5, count: 64), shape: [8, 8])
    try first.write(toPath: path)
    let loaded = try SafetensorsFile(path: path)

    var second = SafetensorsFile()
    second["w"] = try SafetensorsTensor([Float](repeating: -2, count: 64), shape: [8, 8])
    try second.write(toPath: path)
    #expect(try loaded.tensor(named: "w").floats() == [Float](repeating: 1.5, count: 64))
    #expect(try SafetensorsFile(path: path) == second)
  }

  @Test("an atomic write replaces the file and leaves no temporary file behind")
  func atomicWrite() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("model.safetensors")
    try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
    let file = try Fixtures.everything()
    try file.write(toPath: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["model.safetensors"])
    #expect(try SafetensorsFile(path: path) == file)

    // A failure before anything is written leaves the old file and no temporary file.
    var bad = file
    bad["__metadata__"] = try SafetensorsTensor([1.0 as Float], shape: [1])
    let error = #expect(throws: SafetensorsError.self) { try bad.write(toPath: path) }
    #expect(error?.code == .reservedName)
    #expect(error?.tensor == "__metadata__")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["model.safetensors"])
    #expect(try SafetensorsFile(path: path) == file)

    // A relative path writes into the current directory.
    let relative = "isnetd-safetensors-\(UUID().uuidString).safetensors"
    defer { try? FileManager.default.removeItem(atPath: relative) }
    try file.write(toPath: relative)
    #expect(try SafetensorsFile(path: relative) == file)
  }

  @Test("arrays convert both ways, and a count that disagrees with the shape is refused")
  func arrays() throws {
    let floats: [Float] = [1, -0.0, .infinity, Float(bitPattern: 0x7FA0_0001)]
    let tensor = try SafetensorsTensor(floats, shape: [2, 2])
    #expect(tensor.bytes == Data([0, 0, 0x80, 0x3F, 0, 0, 0, 0x80, 0, 0, 0x80, 0x7F, 0x01, 0, 0xA0, 0x7F]))
    #expect(try tensor.floats().map(\.bitPattern) == floats.map(\.bitPattern))
    #expect(try SafetensorsTensor([Int64(258)], shape: []).bytes == Data([2, 1, 0, 0, 0, 0, 0, 0]))
    #expect(try SafetensorsTensor([1.0], shape: [1]).bytes == Data([0, 0, 0, 0, 0, 0, 0xF0, 0x3F]))

    let count = #expect(throws: SafetensorsError.self) { try SafetensorsTensor(floats, shape: [3]) }
    #expect(count?.code == .byteLengthMismatch)
    let negative = #expect(throws: SafetensorsError.self) { try SafetensorsTensor([Float](), shape: [-1, 0]) }
    #expect(negative?.code == .invalidShape)
    let bytes = #expect(throws: SafetensorsError.self) {
      try SafetensorsTensor(dtype: .bf16, shape: [3], bytes: Data(count: 4))
    }
    #expect(bytes?.code == .byteLengthMismatch)
    #expect(bytes?.message.contains("BF16") == true)
    let mismatch = #expect(throws: SafetensorsError.self) { try tensor.int64s() }
    #expect(mismatch?.code == .dtypeMismatch)
    #expect(mismatch?.message.contains("F32") == true)
    #expect(throws: SafetensorsError.self) { try tensor.doubles() }

    // Slices of a larger buffer are stored with zero-based indices.
    let slice = Data([9, 9, 1, 2, 3, 4])[2...]
    let sliced = try SafetensorsTensor(dtype: .i32, shape: [1], bytes: slice)
    #expect(sliced.bytes.startIndex == 0)
    #expect(sliced.bytes == Data([1, 2, 3, 4]))
  }
}
