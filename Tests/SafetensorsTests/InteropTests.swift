import Foundation
import Safetensors
import Testing
import TestSupport

/// The reference implementation's Python package (`pip install safetensors`), installed on first use
/// when missing: into the running Python, or, where that Python is externally managed (Debian's, PEP 668),
/// into a private folder put on PYTHONPATH.
struct ReferencePython: Sendable {
  struct Unavailable: Error {
    let reason: String
  }

  /// Extra environment for `python3`.
  let environment: [String: String]

  /// The package ready to use, or why it cannot be had; worked out once per test process.
  static let shared: Result<ReferencePython, Unavailable> = locate()

  static func locate() -> Result<ReferencePython, Unavailable> {
    guard Command.exists("python3") else { return .failure(Unavailable(reason: "python3 is not on PATH")) }
    let probe = ["-c", "import numpy, safetensors, safetensors.numpy"]
    let privateFolder = FileManager.default.temporaryDirectory.appendingPathComponent("isnetd-python-safetensors").path
    let privateEnvironment = ["PYTHONPATH": privateFolder]
    if (try? Command.run("python3", probe)) != nil { return .success(ReferencePython(environment: [:])) }
    if (try? Command.run("python3", probe, environment: privateEnvironment)) != nil {
      return .success(ReferencePython(environment: privateEnvironment))
    }
    let install = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    var failures: [String] = []
    do {
      try Command.run("python3", install + ["safetensors", "numpy"])
      try Command.run("python3", probe)
      return .success(ReferencePython(environment: [:]))
    } catch {
      failures.append("\(error)")
    }
    do {
      try Command.run("python3", install + ["--target", privateFolder, "safetensors", "numpy"])
      try Command.run("python3", probe, environment: privateEnvironment)
      return .success(ReferencePython(environment: privateEnvironment))
    } catch {
      failures.append("\(error)")
    }
    return .failure(
      Unavailable(reason: "`import safetensors` fails and pip could not install it: " + failures.joined(separator: "; ")))
  }

  /// Runs a Python script with `arguments` in `sys.argv[1...]`; returns its standard output.
  @discardableResult
  func run(_ script: String, _ arguments: [String]) throws -> String {
    try Command.run("python3", ["-c", script] + arguments, environment: environment)
  }
}

/// The reference package, or a recorded skip (printed, and the test cancelled) saying why it is missing.
func referencePython() throws -> ReferencePython? {
  switch ReferencePython.shared {
  case .success(let python):
    return python
  case .failure(let unavailable):
    let message = "SKIPPED safetensors interoperability test: \(unavailable.reason)"
    print(message)
    #if compiler(>=6.3)
    try Test.cancel(Comment(rawValue: message))
    #else
    return nil
    #endif
  }
}

/// Little-endian bytes of integers.
func littleEndian<Integer: FixedWidthInteger>(_ values: [Integer]) -> Data {
  var bytes = Data()
  for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
  return bytes
}

@Suite("safetensors interoperability with the reference Python package", .serialized)
struct InteropTests {
  static let metadata = ["epoch": "12", "naïve": "日本語 \"q\" \\ \n\u{01}"]
  static let unicodeName = "naïve ünïcode \"name\""

  /// Every dtype numpy has, with extreme values, NaN payloads, a scalar and an empty tensor.
  static func swiftWritten() throws -> SafetensorsFile {
    var file = SafetensorsFile(metadata: metadata)
    file["features.denseblock1.denselayer1.conv1.weight"] = try SafetensorsTensor(
      Fixtures.floatBits.map(Float.init(bitPattern:)), shape: [3, 4])
    file["f64"] = try SafetensorsTensor(Fixtures.doubleBits.map(Double.init(bitPattern:)), shape: [2, 3])
    file["i64"] = try SafetensorsTensor(Fixtures.int64s, shape: [6])
    file["i32"] = try SafetensorsTensor(dtype: .i32, shape: [3], bytes: littleEndian([Int32(-2), .max, .min]))
    file["i16"] = try SafetensorsTensor(dtype: .i16, shape: [2], bytes: littleEndian([Int16(-300), .max]))
    file["i8"] = try SafetensorsTensor(dtype: .i8, shape: [3], bytes: littleEndian([Int8.min, .max, 0]))
    file["u8"] = try SafetensorsTensor(dtype: .u8, shape: [3], bytes: Data([0, 255, 7]))
    file["u16"] = try SafetensorsTensor(dtype: .u16, shape: [2], bytes: littleEndian([UInt16.max, 1]))
    file["u32"] = try SafetensorsTensor(dtype: .u32, shape: [2], bytes: littleEndian([UInt32.max, 3]))
    file["u64"] = try SafetensorsTensor(dtype: .u64, shape: [2], bytes: littleEndian([UInt64.max, 5]))
    file["bool"] = try SafetensorsTensor(dtype: .bool, shape: [3], bytes: Data([1, 0, 1]))
    file["f16"] = try SafetensorsTensor(
      dtype: .f16, shape: [5], bytes: littleEndian([UInt16(0x3C00), 0xC000, 0x7BFF, 0x7E01, 0x8000]))
    file["scalar"] = try SafetensorsTensor([2.5], shape: [])
    file["empty"] = try SafetensorsTensor([Float](), shape: [2, 0])
    file[unicodeName] = try SafetensorsTensor(dtype: .u8, shape: [1], bytes: Data([1]))
    return file
  }

  @Test("a file Swift writes is read by safetensors.numpy.load_file with equal values and metadata")
  func swiftToPython() throws {
    guard let python = try referencePython() else { return }
    let directory = try TemporaryDirectory()
    let path = directory.path("swift.safetensors")
    let resaved = directory.path("resaved.safetensors")
    let file = try Self.swiftWritten()
    try file.write(toPath: path)

    let script = """
      import sys
      import numpy as np
      from safetensors import safe_open
      from safetensors.numpy import load_file, save_file

      path, resaved = sys.argv[1], sys.argv[2]
      t = load_file(path)
      with safe_open(path, framework="np") as f:
          metadata = f.metadata()

      def expect(name, dtype, shape, values, view=None):
          a = t[name]
          assert a.dtype == np.dtype(dtype), f"{name}: dtype {a.dtype}"
          assert a.shape == shape, f"{name}: shape {a.shape}"
          got = (a.view(view) if view else a).ravel().tolist()
          assert got == values, f"{name}: {got}"

      assert metadata == {"epoch": "12", "naïve": "日本語 \\"q\\" \\\\ \\n\\x01"}, repr(metadata)
      assert len(t) == 15, sorted(t)
      expect("features.denseblock1.denselayer1.conv1.weight", "float32", (3, 4), \(Fixtures.floatBits), np.uint32)
      expect("f64", "float64", (2, 3), \(Fixtures.doubleBits), np.uint64)
      assert t["f64"][1, 2] == np.pi
      assert np.signbit(t["f64"][0, 2]) and t["f64"][0, 2] == 0
      expect("i64", "int64", (6,), \(Fixtures.int64s))
      expect("i32", "int32", (3,), [-2, 2**31 - 1, -2**31])
      expect("i16", "int16", (2,), [-300, 32767])
      expect("i8", "int8", (3,), [-128, 127, 0])
      expect("u8", "uint8", (3,), [0, 255, 7])
      expect("u16", "uint16", (2,), [65535, 1])
      expect("u32", "uint32", (2,), [2**32 - 1, 3])
      expect("u64", "uint64", (2,), [2**64 - 1, 5])
      expect("bool", "bool", (3,), [True, False, True])
      expect("f16", "float16", (5,), [0x3C00, 0xC000, 0x7BFF, 0x7E01, 0x8000], np.uint16)
      assert t["f16"][2] == 65504.0
      expect("scalar", "float64", (), [2.5])
      expect("empty", "float32", (2, 0), [])
      expect('naïve ünïcode "name"', "uint8", (1,), [1])
      save_file(t, resaved)
      print("checked", len(t), "tensors")
      """
    let output = try python.run(script, [path, resaved])
    #expect(output.contains("checked 15 tensors"), "\(output)")

    // The reference package writes the same tensors (without metadata) to the same bytes as Swift.
    var plain = file
    plain.metadata = [:]
    #expect(try Data(contentsOf: URL(fileURLWithPath: resaved)) == plain.serialized())
  }

  @Test("a file safetensors.numpy writes is read by Swift with equal values, and written back byte for byte")
  func pythonToSwift() throws {
    guard let python = try referencePython() else { return }
    let directory = try TemporaryDirectory()
    let script = """
      import sys
      import numpy as np
      from safetensors.numpy import save_file

      directory = sys.argv[1]
      t = {
          "f32": np.array([[1.5, -0.0, np.inf], [-np.inf, 3.25, 1e-45]], dtype=np.float32),
          "nan": np.array([0x7FC01234, 0xFFA00001], dtype=np.uint32).view(np.float32),
          "f64": (np.arange(6, dtype=np.float64) / 7).reshape(2, 3),
          "i64": np.array([-2**63, 2**63 - 1, 0, -1], dtype=np.int64),
          "f16": np.array([1.0, -2.0, 65504.0], dtype=np.float16),
          "bool": np.array([True, False, True]),
          "i8": np.array([-128, 127], dtype=np.int8),
          "u16": np.array([[1, 2], [3, 65535]], dtype=np.uint16),
          "i32": np.array([-7], dtype=np.int32),
          "u64": np.array([2**64 - 1], dtype=np.uint64),
          "scalar": np.array(2.5, dtype=np.float64),
          "empty": np.zeros((0, 3), dtype=np.float32),
          "z.unicode.é": np.arange(4, dtype=np.uint8),
      }
      save_file(t, directory + "/with_metadata.safetensors", metadata={"format": "np", "note": 'é "q"\\n'})
      save_file(t, directory + "/plain.safetensors")
      print(len(t))
      """
    try python.run(script, [directory.url.path])

    let file = try SafetensorsFile(path: directory.path("with_metadata.safetensors"))
    #expect(file.metadata == ["format": "np", "note": "é \"q\"\n"])
    #expect(file.tensors.count == 13)
    let f32 = try file.tensor(named: "f32")
    #expect(f32.dtype == .f32)
    #expect(f32.shape == [2, 3])
    #expect(try f32.floats().map(\.bitPattern) == [1.5, -0.0, .infinity, -.infinity, 3.25, 1e-45].map { Float($0).bitPattern })
    #expect(try file.tensor(named: "nan").floats().map(\.bitPattern) == [0x7FC0_1234, 0xFFA0_0001])
    #expect(try file.tensor(named: "f64").doubles() == (0..<6).map { Double($0) / 7 })
    #expect(try file.tensor(named: "f64").shape == [2, 3])
    #expect(try file.tensor(named: "i64").int64s() == [.min, .max, 0, -1])
    #expect(try file.tensor(named: "f16") == SafetensorsTensor(dtype: .f16, shape: [3], bytes: littleEndian([UInt16(0x3C00), 0xC000, 0x7BFF])))
    #expect(try file.tensor(named: "bool") == SafetensorsTensor(dtype: .bool, shape: [3], bytes: Data([1, 0, 1])))
    #expect(try file.tensor(named: "i8") == SafetensorsTensor(dtype: .i8, shape: [2], bytes: Data([0x80, 0x7F])))
    #expect(try file.tensor(named: "u16") == SafetensorsTensor(dtype: .u16, shape: [2, 2], bytes: littleEndian([UInt16(1), 2, 3, 65535])))
    #expect(try file.tensor(named: "i32") == SafetensorsTensor(dtype: .i32, shape: [1], bytes: littleEndian([Int32(-7)])))
    #expect(try file.tensor(named: "u64") == SafetensorsTensor(dtype: .u64, shape: [1], bytes: littleEndian([UInt64.max])))
    #expect(try file.tensor(named: "scalar").shape == [])
    #expect(try file.tensor(named: "scalar").doubles() == [2.5])
    #expect(try file.tensor(named: "empty").shape == [0, 3])
    #expect(try file.tensor(named: "empty").floats() == [])
    #expect(try file.tensor(named: "z.unicode.é").bytes == Data([0, 1, 2, 3]))

    // Same tensors, so same bytes: Swift's output equals what the reference package wrote.
    let plainPath = directory.path("plain.safetensors")
    let plain = try SafetensorsFile(path: plainPath)
    #expect(plain.tensors == file.tensors)
    #expect(plain.metadata.isEmpty)
    #expect(try plain.serialized() == Data(contentsOf: URL(fileURLWithPath: plainPath)))
  }
}
