public import Foundation

/// DICOM files written by DCMTK's own command-line tools, so tests read what a real toolkit wrote.
public enum DICOMFixtures {
  /// Writes a MONOCHROME2 Secondary Capture with 16-bit unsigned stored values through `dump2dcm`,
  /// explicit VR little endian. `values` are row-major, rows x columns. `extraAttributes` are dump2dcm
  /// lines; one whose tag is among the defaults replaces that default.
  public static func writeMonochrome16(
    to path: String, rows: Int, columns: Int, values: [UInt16], bitsStored: Int = 16,
    extraAttributes: [String] = []
  ) throws {
    precondition(values.count == rows * columns, "values must hold rows x columns samples")
    let rawPath = path + ".pixels.raw"
    let dumpPath = path + ".dump"
    defer {
      try? FileManager.default.removeItem(atPath: rawPath)
      try? FileManager.default.removeItem(atPath: dumpPath)
    }
    try littleEndianBytes(values).write(to: URL(fileURLWithPath: rawPath))
    let defaults = [
      "(0002,0010) UI =LittleEndianExplicit",
      "(0008,0016) UI =SecondaryCaptureImageStorage",
      "(0008,0060) CS [OT]",
      "(0010,0010) PN [Test^Phantom]",
      "(0028,0002) US 1",
      "(0028,0004) CS [MONOCHROME2]",
      "(0028,0010) US \(rows)",
      "(0028,0011) US \(columns)",
      "(0028,0100) US 16",
      "(0028,0101) US \(bitsStored)",
      "(0028,0102) US \(bitsStored - 1)",
      "(0028,0103) US 0",
    ]
    // An extra attribute replaces the default with the same tag.
    let replaced = Set(extraAttributes.map { $0.prefix(11).lowercased() })
    let lines = defaults.filter { !replaced.contains($0.prefix(11).lowercased()) } + extraAttributes
      + ["(7fe0,0010) OW =\(rawPath)"]
    let dump = lines.joined(separator: "\n")
    try dump.write(toFile: dumpPath, atomically: true, encoding: .utf8)
    try Command.run("dump2dcm", ["--quiet", "+te", "+Ug", dumpPath, path])
  }

  /// The attributes of a frontal chest radiograph (CR, PA, chest), for `extraAttributes` of
  /// ``writeMonochrome16(to:rows:columns:values:bitsStored:extraAttributes:)``.
  public static let chestRadiographAttributes = [
    "(0008,0016) UI =ComputedRadiographyImageStorage",
    "(0008,0018) UI [1.2.826.0.1.3680043.10.1234.1.1]",
    "(0008,0060) CS [CR]",
    "(0018,0015) CS [CHEST]",
    "(0018,1164) DS [0.15\\0.15]",
    "(0018,5101) CS [PA]",
    "(0020,000d) UI [1.2.826.0.1.3680043.10.1234.2]",
    "(0020,000e) UI [1.2.826.0.1.3680043.10.1234.3]",
  ]

  /// A deterministic synthetic chest radiograph in MONOCHROME2 polarity: dark collimated air, the
  /// body, darker lungs with vessel texture and ribs, a bright mediastinum and spine, and noise. Uses
  /// the full range of `bitsStored` bits.
  public static func chestPhantom(rows: Int, columns: Int, bitsStored: Int = 16, seed: UInt64 = 1) -> [UInt16] {
    let maximum = Double((1 << bitsStored) - 1)
    var random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    func noise() -> Double {
      // xorshift64*, two uniforms summed: a cheap bell-shaped deviate in [-1, 1].
      var sum = 0.0
      for _ in 0..<2 {
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        sum += Double((random &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
      }
      return sum - 1
    }
    var values = [UInt16](repeating: 0, count: rows * columns)
    let height = Double(rows)
    let width = Double(columns)
    for y in 0..<rows {
      let v = (Double(y) + 0.5) / height
      for x in 0..<columns {
        let u = (Double(x) + 0.5) / width
        var level = 0.03  // air outside the body
        let body = pow((u - 0.5) / 0.44, 2) + pow((v - 0.55) / 0.52, 2)
        if body < 1 {
          level = 0.55 - 0.1 * body  // soft tissue, thinner at the edges
          for side in [-1.0, 1.0] {
            let lung = pow((u - 0.5 - side * 0.19) / 0.15, 2) + pow((v - 0.45) / 0.3, 2)
            if lung < 1 {
              level = 0.22 + 0.08 * lung
              level += 0.03 * sin(u * 180 + v * 40) * sin(v * 150)  // vessels
              let rib = sin(v * 2 * .pi * 9 + abs(u - 0.5) * 9)
              if rib > 0.6 { level += 0.12 * (rib - 0.6) / 0.4 }
            }
          }
          if abs(u - 0.5) < 0.07 { level = max(level, 0.75 - 0.2 * abs(u - 0.5) / 0.07) }  // mediastinum
          if abs(u - 0.5) < 0.03 { level = 0.85 }  // spine
        }
        let value = (level + 0.01 * noise()) * maximum
        values[y * columns + x] = UInt16(min(max(value.rounded(), 0), maximum))
      }
    }
    return values
  }

  /// A file derived from a source file by one of DCMTK's tools.
  public enum Variant: String, CaseIterable, Sendable {
    case implicitLittleEndian = "implicit-little-endian"
    case explicitBigEndian = "explicit-big-endian"
    case deflated
    /// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).
    case jpegLossless = "jpeg-lossless-sv1"
    case jpegLSLossless = "jpeg-ls-lossless"
    case rle
    /// Photometric Interpretation changed to MONOCHROME1 (stored values unchanged).
    case monochrome1
    /// Rescale Slope 0.5 and Rescale Intercept -1024 added (stored values unchanged).
    case rescale

    /// The DCMTK command that writes this variant of `source` to `target`.
    public func write(from source: String, to target: String) throws {
      switch self {
      case .implicitLittleEndian: try Command.run("dcmconv", ["--quiet", "+ti", source, target])
      case .explicitBigEndian: try Command.run("dcmconv", ["--quiet", "+tb", source, target])
      case .deflated: try Command.run("dcmconv", ["--quiet", "+td", source, target])
      case .jpegLossless: try Command.run("dcmcjpeg", ["--quiet", "+e1", source, target])
      case .jpegLSLossless: try Command.run("dcmcjpls", ["--quiet", "+el", source, target])
      case .rle: try Command.run("dcmcrle", ["--quiet", source, target])
      case .monochrome1:
        try FileManager.default.copyItem(atPath: source, toPath: target)
        try Command.run("dcmodify", ["--quiet", "-nb", "-m", "(0028,0004)=MONOCHROME1", target])
      case .rescale:
        try FileManager.default.copyItem(atPath: source, toPath: target)
        try Command.run("dcmodify", ["--quiet", "-nb", "-i", "(0028,1052)=-1024", "-i", "(0028,1053)=0.5", target])
      }
    }

    /// The rescale this variant adds, if any.
    public static let rescaleSlope = 0.5
    public static let rescaleIntercept = -1024.0
  }

  /// A JPEG 2000 codestream of a one-component image, written by OpenJPEG's `opj_compress`: lossless
  /// (reversible 5-3 wavelet) or lossy (irreversible 9-7 wavelet at `ratio`:1).
  public static func jpeg2000Codestream(
    values: [UInt16], rows: Int, columns: Int, bitsStored: Int = 16, lossyRatio ratio: Int? = nil
  ) throws -> Data {
    let directory = try TemporaryDirectory(prefix: "isnetd-j2k")
    let raw = directory.path("image.rawl")
    let codestream = directory.path("image.j2k")
    try littleEndianBytes(values).write(to: URL(fileURLWithPath: raw))
    var arguments = ["-i", raw, "-o", codestream, "-F", "\(columns),\(rows),1,\(bitsStored),u"]
    if let ratio { arguments += ["-I", "-r", "\(ratio)"] }
    try Command.run("opj_compress", arguments)
    return try Data(contentsOf: URL(fileURLWithPath: codestream))
  }

  static func littleEndianBytes(_ values: [UInt16]) -> Data {
    var data = Data(count: values.count * 2)
    data.withUnsafeMutableBytes { raw in
      for (index, value) in values.enumerated() {
        raw.storeBytes(of: value.littleEndian, toByteOffset: index * 2, as: UInt16.self)
      }
    }
    return data
  }
}
