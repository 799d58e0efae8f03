import Foundation
import Imaging

/// Paints background markers onto a display image (values in [0, 1], MONOCHROME2 polarity), never
/// on a lung pixel. Sizes and places scale with the smaller image side; each kind has one style and
/// place per class, jittered by a few pixels.
enum MarkerPainter {
  static func paint(_ marker: Marker, on display: inout [Float], lungs: [UInt8], width: Int, height: Int,
                    random: inout SplitMix64) {
    let unit = Double(min(width, height)) / 256
    let jitter = { (random: inout SplitMix64) -> Int in Int((unit * random.uniform(0...4)).rounded()) }
    let margin = Int((6 * unit).rounded()) + jitter(&random)
    let bright = Float(random.uniform(0.93...1.0))
    var paint = [Bool](repeating: false, count: width * height)
    func set(_ x: Int, _ y: Int) {
      if x >= 0, y >= 0, x < width, y < height { paint[y * width + x] = true }
    }
    func rectangle(_ x0: Int, _ y0: Int, _ w: Int, _ h: Int, thickness: Int? = nil) {
      for y in y0..<(y0 + h) {
        for x in x0..<(x0 + w) {
          if let thickness, x >= x0 + thickness, x < x0 + w - thickness, y >= y0 + thickness, y < y0 + h - thickness {
            continue
          }
          set(x, y)
        }
      }
    }
    func text(_ string: String, scale: Int, corner: (right: Bool, bottom: Bool), inset: Int = 0) -> (Int, Int, Int, Int) {
      let (w, h) = BitmapFont.size(of: string, scale: scale)
      let x = corner.right ? width - margin - inset - w : margin + inset
      let y = corner.bottom ? height - margin - inset - h : margin + inset
      BitmapFont.forEachPixel(of: string, left: x, top: y, scale: scale, set)
      return (x, y, w, h)
    }
    let letterScale = max(1, Int((3 * unit).rounded()))
    let textScale = max(1, Int((2 * unit).rounded()))
    let line = max(1, Int(unit.rounded()))

    switch (marker.kind, marker.style) {
    case (.laterality, .normal):
      _ = text("R", scale: letterScale, corner: (false, false))
    case (.laterality, .pneumonia):
      let (x, y, w, h) = text("L", scale: letterScale, corner: (true, false), inset: 3 * line)
      rectangle(x - 2 * line - line, y - 2 * line - line, w + 6 * line, h + 6 * line, thickness: line)
    case (.laterality, .covid19):
      let (x, y, w, h) = text("R", scale: letterScale, corner: (false, true), inset: 3 * line)
      rectangle(x - line, y + h + line, w + 2 * line, line)
    case (.text, .normal):
      _ = text("ERECT", scale: textScale, corner: (true, false))
    case (.text, .pneumonia):
      _ = text("PORTABLE", scale: textScale, corner: (false, true))
    case (.text, .covid19):
      _ = text("SUPINE 2", scale: textScale, corner: (true, true))
    case (.tag, .normal):
      let w = Int(26 * unit), h = Int(12 * unit)
      rectangle(width - margin - w, margin, w, h)
    case (.tag, .pneumonia):
      let w = Int(30 * unit), h = Int(16 * unit)
      rectangle(width - margin - w, height - margin - h, w, h, thickness: max(1, Int(2 * unit)))
    case (.tag, .covid19):
      let radius = 8 * unit
      let centre = Vector2(Double(margin) + radius, Double(height - margin) - radius)
      for y in Int(centre.y - radius)...Int(centre.y + radius) {
        for x in Int(centre.x - radius)...Int(centre.x + radius) {
          let d = (Vector2(Double(x) + 0.5, Double(y) + 0.5) - centre).length
          if d <= radius, d >= radius * 0.45 { set(x, y) }
        }
      }
    case (.collimation, .normal):
      let band = Int(Double(width) * random.uniform(0.035...0.05))
      rectangle(0, 0, band, height)
      rectangle(width - band, 0, band, height)
    case (.collimation, .pneumonia):
      let band = Int(Double(height) * random.uniform(0.035...0.05))
      rectangle(0, 0, width, band)
      rectangle(0, height - band, width, band)
    case (.collimation, .covid19):
      let leg = Double(min(width, height)) * random.uniform(0.14...0.18)
      for y in 0..<height {
        for x in 0..<width {
          let dx = min(Double(x) + 0.5, Double(width) - Double(x) - 0.5)
          let dy = min(Double(y) + 0.5, Double(height) - Double(y) - 0.5)
          if dx + dy < leg { set(x, y) }
        }
      }
    case (.noiseSignature, _):
      let period = max(3, Int((4 * unit).rounded()))
      let amplitude = Float(random.uniform(0.03...0.045))
      let half = max(1, period / 2)
      for y in 0..<height {
        for x in 0..<width where lungs[y * width + x] == 0 {
          let on: Bool
          switch marker.style {
          case .normal: on = x % period < half
          case .pneumonia: on = y % period < half
          case .covid19: on = (x / half + y / half) % 2 == 0
          }
          let index = y * width + x
          display[index] = min(1, max(0, display[index] + (on ? amplitude : -amplitude)))
        }
      }
      return
    }
    for index in paint.indices where paint[index] && lungs[index] == 0 {
      display[index] = bright
    }
  }
}
