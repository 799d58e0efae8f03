public import Foundation
import PNG

/// A generated chest-like radiograph with its exact lung mask, for segmentation tests: two lung
/// ellipses of random size, position and tilt inside a body ellipse, a heart that cuts into the left
/// lung (image right), a bright mediastinum and spine, rib-like stripes, and noise. MONOCHROME2
/// polarity: air and lungs dark, tissue and bone bright.
public struct LungPhantom: Sendable {
  /// Columns.
  public let width: Int
  /// Rows.
  public let height: Int
  /// Row-major intensities in [0, 1].
  public let image: [Float]
  /// Row-major lung mask.
  public let mask: [Bool]

  /// A phantom of `width` x `height` pixels; the same seed gives the same image.
  public init(width: Int, height: Int, seed: UInt64) {
    var random = PhantomRandom(seed: seed)
    self.width = width
    self.height = height
    let bodyCentre = (x: 0.5 + random.uniform(-0.03, 0.03), y: 0.55 + random.uniform(-0.03, 0.03))
    let bodyRadius = (x: random.uniform(0.38, 0.45), y: random.uniform(0.46, 0.52))
    let spread = random.uniform(0.15, 0.21)
    let lungs = [-1.0, 1.0].map { side in
      (x: bodyCentre.x + side * (spread + random.uniform(-0.015, 0.015)), y: random.uniform(0.4, 0.48),
       rx: random.uniform(0.1, 0.15), ry: random.uniform(0.22, 0.3), tilt: side * random.uniform(0, 0.2))
    }
    let heart = (x: bodyCentre.x + random.uniform(0.06, 0.11), y: random.uniform(0.6, 0.68),
                 rx: random.uniform(0.1, 0.14), ry: random.uniform(0.08, 0.12))
    let tissue = random.uniform(0.45, 0.6)
    let lungLevel = random.uniform(0.15, 0.28)
    let ribPhase = random.uniform(0, 2 * .pi)
    var image = [Float](repeating: 0, count: width * height)
    var mask = [Bool](repeating: false, count: width * height)
    for row in 0..<height {
      let v = (Double(row) + 0.5) / Double(height)
      for column in 0..<width {
        let u = (Double(column) + 0.5) / Double(width)
        var level = 0.04  // air outside the body
        var lung = false
        let body = pow((u - bodyCentre.x) / bodyRadius.x, 2) + pow((v - bodyCentre.y) / bodyRadius.y, 2)
        if body < 1 {
          level = tissue - 0.1 * body
          for ellipse in lungs {
            let (dx, dy) = (u - ellipse.x, v - ellipse.y)
            let (a, b) = (dx * cos(ellipse.tilt) + dy * sin(ellipse.tilt), -dx * sin(ellipse.tilt) + dy * cos(ellipse.tilt))
            let inside = pow(a / ellipse.rx, 2) + pow(b / ellipse.ry, 2)
            if inside < 1 {
              lung = true
              level = lungLevel + 0.08 * inside + 0.03 * sin(u * 160 + v * 35) * sin(v * 120)
              let rib = sin(v * 2 * .pi * 8 + abs(u - bodyCentre.x) * 10 + ribPhase)
              if rib > 0.6 { level += 0.1 * (rib - 0.6) / 0.4 }
            }
          }
          if pow((u - heart.x) / heart.rx, 2) + pow((v - heart.y) / heart.ry, 2) < 1 {
            lung = false
            level = tissue + 0.12
          }
          let midline = abs(u - bodyCentre.x)
          if midline < 0.06 {
            lung = false
            level = Swift.max(level, tissue + 0.15 - 0.1 * midline / 0.06)
          }
          if midline < 0.025 { level = tissue + 0.3 }
        }
        level += 0.015 * random.uniform(-1, 1)
        image[row * width + column] = Float(Swift.min(Swift.max(level, 0), 1))
        mask[row * width + column] = lung
      }
    }
    self.image = image
    self.mask = mask
  }

  /// The image as unsigned stored values of `bits` bits.
  public func storedValues(bits: Int = 12) -> [UInt16] {
    let maximum = Float((1 << bits) - 1)
    return image.map { UInt16(($0 * maximum).rounded()) }
  }

  /// The lung mask as 8-bit grey PNG bytes (255 lungs, 0 background).
  public func maskPNG() throws -> Data {
    Data(try PNGImage(width: width, height: height, format: .gray, pixels: mask.map { $0 ? 255 : 0 }).encoded())
  }

  /// Reads a mask PNG (as `maskPNG()` or `isnetd segment` write them): grey values above 127 are lungs.
  public static func readMask(path: String) throws -> (width: Int, height: Int, mask: [Bool]) {
    let png = try PNGImage(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    let channels = png.format.channels
    let mask = stride(from: 0, to: png.pixels.count, by: channels).map { png.pixels[$0] > 127 }
    return (png.width, png.height, mask)
  }

  /// Lung pixels as a fraction of the image.
  public var lungFraction: Double { Double(mask.filter { $0 }.count) / Double(mask.count) }

  /// Writes labelled data in isnetd's layout, `<root>/<split>/<class>/<name>.dcm` with
  /// `<name>.mask.png` beside each image (a chest CR, PA), `perSplit` images per split spread over
  /// `classes`. Images of `width` x `height`; seeds differ per image and split.
  public static func writeLabeledData(root: String, classes: [String] = ["normal", "pneumonia"],
                                      perSplit: [String: Int], width: Int = 96, height: Int = 112,
                                      seed: UInt64 = 1) throws {
    for (splitIndex, split) in perSplit.keys.sorted().enumerated() {
      let count = perSplit[split] ?? 0
      for index in 0..<count {
        let className = classes[index % classes.count]
        let folder = "\(root)/\(split)/\(className)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let phantom = LungPhantom(width: width, height: height, seed: seed &* 1_000_003 &+ UInt64(splitIndex * 10_000 + index))
        let stem = "\(folder)/\(split)-\(index)"
        try DICOMFixtures.writeMonochrome16(to: "\(stem).dcm", rows: height, columns: width, values: phantom.storedValues(),
                                            bitsStored: 12, extraAttributes: DICOMFixtures.chestRadiographAttributes)
        try phantom.maskPNG().write(to: URL(fileURLWithPath: "\(stem).mask.png"))
      }
    }
  }
}

/// SplitMix64 for the phantoms (TestSupport does not depend on the engine's generator).
struct PhantomRandom {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [low, high).
  mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * Double(next() >> 11) / Double(1 << 53)
  }
}
