import Foundation

/// Row-major Float32 layers the renderer paints into, and the few drawing primitives it needs. Every
/// primitive visits only the bounding box of what it draws.
struct Raster: Sendable {
  let width: Int
  let height: Int
  var values: [Float]

  init(width: Int, height: Int, value: Float = 0) {
    self.width = width
    self.height = height
    values = [Float](repeating: value, count: width * height)
  }

  /// `self += other × factor`, where `weight` (when given) multiplies pixel by pixel.
  mutating func add(_ other: Raster, factor: Float, weight: [Float]? = nil) {
    values.withUnsafeMutableBufferPointer { target in
      other.values.withUnsafeBufferPointer { source in
        if let weight {
          weight.withUnsafeBufferPointer { w in
            for i in 0..<target.count { target[i] += source[i] * factor * w[i] }
          }
        } else {
          for i in 0..<target.count { target[i] += source[i] * factor }
        }
      }
    }
  }

  /// The pixel range `[low, high)` covered by `[a - margin, b + margin]` along an axis of `size` pixels.
  static func span(_ a: Double, _ b: Double, margin: Double, size: Int) -> Range<Int> {
    let low = max(0, Int((min(a, b) - margin).rounded(.down)))
    let high = min(size, Int((max(a, b) + margin).rounded(.up)) + 1)
    return low < high ? low..<high : 0..<0
  }

  /// Paints the segment `a`–`b` (pixels) with a half-width going from `halfWidthA` to `halfWidthB`:
  /// each pixel takes the larger of its value and `amplitude × profile(d / w)`, `d` the distance of its
  /// centre to the segment and `w` the half-width there.
  mutating func stroke(_ a: Vector2, _ b: Vector2, halfWidthA: Double, halfWidthB: Double, amplitude: Float,
                       profile: StrokeProfile) {
    let margin = max(halfWidthA, halfWidthB) + 1
    let columns = Self.span(a.x, b.x, margin: margin, size: width)
    let rows = Self.span(a.y, b.y, margin: margin, size: height)
    guard !columns.isEmpty, !rows.isEmpty else { return }
    let d = b - a
    let lengthSquared = max(d.x * d.x + d.y * d.y, 1e-12)
    let width = self.width
    values.withUnsafeMutableBufferPointer { buffer in
      for row in rows {
        let py = Double(row) + 0.5
        for column in columns {
          let px = Double(column) + 0.5
          let t = min(1, max(0, ((px - a.x) * d.x + (py - a.y) * d.y) / lengthSquared))
          let cx = a.x + t * d.x - px
          let cy = a.y + t * d.y - py
          let halfWidth = halfWidthA + t * (halfWidthB - halfWidthA)
          let r = (cx * cx + cy * cy).squareRoot() / halfWidth
          guard r < 1.25 else { continue }
          let value = amplitude * profile(r)
          let index = row * width + column
          if value > buffer[index] { buffer[index] = value }
        }
      }
    }
  }

  /// Paints a polyline as consecutive segments (see ``stroke(_:_:halfWidthA:halfWidthB:amplitude:profile:)``),
  /// the half-width interpolated along it from `startHalfWidth` to `endHalfWidth`, the amplitude segment
  /// by segment from `startAmplitude` (default `amplitude`) to `amplitude`.
  mutating func polyline(_ points: [Vector2], startHalfWidth: Double, endHalfWidth: Double, amplitude: Float,
                         startAmplitude: Float? = nil, profile: StrokeProfile) {
    guard points.count >= 2 else { return }
    let last = Double(points.count - 1)
    let first = startAmplitude ?? amplitude
    for i in 0..<(points.count - 1) {
      let w0 = startHalfWidth + (endHalfWidth - startHalfWidth) * Double(i) / last
      let w1 = startHalfWidth + (endHalfWidth - startHalfWidth) * Double(i + 1) / last
      let a = first + (amplitude - first) * Float((Double(i) + 0.5) / last)
      stroke(points[i], points[i + 1], halfWidthA: w0, halfWidthB: w1, amplitude: a, profile: profile)
    }
  }

  /// Adds a polyline drawn as ``polyline(_:startHalfWidth:endHalfWidth:amplitude:startAmplitude:profile:)`` draws it
  /// (the larger value where its segments overlap), through `scratch`, an all-zero raster of the same
  /// size that is all zero again afterwards. Only the polyline's bounding box is visited.
  mutating func addPolyline(_ points: [Vector2], startHalfWidth: Double, endHalfWidth: Double, amplitude: Float,
                            startAmplitude: Float? = nil, profile: StrokeProfile, scratch: inout Raster) {
    guard let first = points.first else { return }
    scratch.polyline(points, startHalfWidth: startHalfWidth, endHalfWidth: endHalfWidth, amplitude: amplitude,
                     startAmplitude: startAmplitude, profile: profile)
    let xs = points.map(\.x)
    let ys = points.map(\.y)
    let margin = max(startHalfWidth, endHalfWidth) + 2
    let columns = Self.span(xs.min() ?? first.x, xs.max() ?? first.x, margin: margin, size: width)
    let rows = Self.span(ys.min() ?? first.y, ys.max() ?? first.y, margin: margin, size: height)
    let width = self.width
    values.withUnsafeMutableBufferPointer { target in
      scratch.values.withUnsafeMutableBufferPointer { source in
        for row in rows {
          for column in columns {
            let index = row * width + column
            target[index] += source[index]
            source[index] = 0
          }
        }
      }
    }
  }

  /// Adds `amplitude` inside the superellipse |u/rx|^p + |v/ry|^p < 1 (`power` p: 2 an ellipse, larger a
  /// rounded rectangle) rotated by `angle`, with an edge softened over `soft` pixels.
  mutating func ellipse(at centre: Vector2, rx: Double, ry: Double, angle: Double, amplitude: Float, soft: Double = 1,
                        power: Double = 2) {
    let reach = max(rx, ry) + soft + 1
    let columns = Self.span(centre.x, centre.x, margin: reach, size: width)
    let rows = Self.span(centre.y, centre.y, margin: reach, size: height)
    let c = cos(angle)
    let s = sin(angle)
    let width = self.width
    let meanRadius = (rx + ry) / 2
    values.withUnsafeMutableBufferPointer { buffer in
      for row in rows {
        let dy = Double(row) + 0.5 - centre.y
        for column in columns {
          let dx = Double(column) + 0.5 - centre.x
          let u = (c * dx + s * dy) / rx
          let v = (-s * dx + c * dy) / ry
          let r = power == 2 ? (u * u + v * v).squareRoot() : pow(pow(abs(u), power) + pow(abs(v), power), 1 / power)
          // distance to the edge in pixels, approximately
          let inside = (1 - r) * meanRadius / soft
          let weight = min(1, max(0, inside + 0.5))
          if weight > 0 { buffer[row * width + column] += amplitude * Float(weight) }
        }
      }
    }
  }
}

/// The cross-section of a stroke: its value at `r`, the distance from the centre line in half-widths.
enum StrokeProfile: Sendable {
  /// A smooth bell with an antialiased edge: vessels, airways.
  case bell
  /// Bone: a denser cortex at the edges, antialiased.
  case bone

  func callAsFunction(_ r: Double) -> Float {
    let edge = Float(min(1, max(0, (1.1 - r) / 0.2)))  // 1 inside, 0 from r = 1.1
    switch self {
    case .bell:
      let q = max(0, 1 - r * r)
      return Float(q * q.squareRoot()) * 0.9 + 0.1 * edge
    case .bone:
      return edge * Float(0.6 + 0.4 * pow(min(r, 1), 6))
    }
  }
}

/// Distance maps and value noise.
enum Fields {
  /// For every pixel of `mask` that is set, its distance in pixels to the nearest unset pixel (chamfer
  /// 1 / √2, two passes); 0 where the mask is unset. Pixels beyond the image edge count as unset, or as
  /// set with `edgesInside` (a body cut by the field of view does not thin towards the edge).
  static func distance(_ mask: [UInt8], width: Int, height: Int, edgesInside: Bool = false) -> [Float] {
    let far: Float = 1e6
    let edge: Float = edgesInside ? far : 0
    var d = [Float](repeating: 0, count: mask.count)
    let diagonal: Float = 1.41421356
    d.withUnsafeMutableBufferPointer { d in
      mask.withUnsafeBufferPointer { mask in
        for i in 0..<mask.count { d[i] = mask[i] != 0 ? far : 0 }
        for y in 0..<height {
          for x in 0..<width where d[y * width + x] > 0 {
            var best = d[y * width + x]
            let up = y > 0
            best = min(best, (x > 0 ? d[y * width + x - 1] : edge) + 1)
            best = min(best, (up ? d[(y - 1) * width + x] : edge) + 1)
            best = min(best, (up && x > 0 ? d[(y - 1) * width + x - 1] : edge) + diagonal)
            best = min(best, (up && x + 1 < width ? d[(y - 1) * width + x + 1] : edge) + diagonal)
            d[y * width + x] = best
          }
        }
        for y in stride(from: height - 1, through: 0, by: -1) {
          for x in stride(from: width - 1, through: 0, by: -1) where d[y * width + x] > 0 {
            var best = d[y * width + x]
            let down = y + 1 < height
            best = min(best, (x + 1 < width ? d[y * width + x + 1] : edge) + 1)
            best = min(best, (down ? d[(y + 1) * width + x] : edge) + 1)
            best = min(best, (down && x + 1 < width ? d[(y + 1) * width + x + 1] : edge) + diagonal)
            best = min(best, (down && x > 0 ? d[(y + 1) * width + x - 1] : edge) + diagonal)
            d[y * width + x] = best
          }
        }
        if edgesInside {
          for i in 0..<d.count where d[i] >= far { d[i] = far }
        }
      }
    }
    return d
  }

  /// Smooth value noise in about [-1, 1]: random values on a grid of `cell`-pixel cells, interpolated
  /// with a smoothstep, summed over `octaves` halvings of the cell with halving amplitude.
  static func noise(width: Int, height: Int, cell: Double, octaves: Int, random: inout SplitMix64) -> [Float] {
    var result = [Float](repeating: 0, count: width * height)
    var cellSize = cell
    var amplitude: Float = 1
    var total: Float = 0
    for _ in 0..<octaves {
      let columns = Int((Double(width) / cellSize).rounded(.up)) + 2
      let rows = Int((Double(height) / cellSize).rounded(.up)) + 2
      let grid = (0..<(columns * rows)).map { _ in Float(random.unit() * 2 - 1) }
      let inverse = 1 / cellSize
      // Horizontal weights and cells once per octave.
      let cellX = (0..<width).map { x -> (Int, Float) in
        let gx = (Double(x) + 0.5) * inverse
        let i = Int(gx)
        let f = gx - Double(i)
        return (i, Float(f * f * (3 - 2 * f)))
      }
      result.withUnsafeMutableBufferPointer { out in
        grid.withUnsafeBufferPointer { grid in
          for y in 0..<height {
            let gy = (Double(y) + 0.5) * inverse
            let j = Int(gy)
            let fy = gy - Double(j)
            let ty = Float(fy * fy * (3 - 2 * fy))
            for x in 0..<width {
              let (i, tx) = cellX[x]
              let a = grid[j * columns + i]
              let b = grid[j * columns + i + 1]
              let c = grid[(j + 1) * columns + i]
              let d = grid[(j + 1) * columns + i + 1]
              let top = a + (b - a) * tx
              let bottom = c + (d - c) * tx
              out[y * width + x] += amplitude * (top + (bottom - top) * ty)
            }
          }
        }
      }
      total += amplitude
      amplitude *= 0.5
      cellSize = max(1, cellSize / 2)
    }
    let normaliser = 1.6 / total
    for i in result.indices { result[i] *= normaliser }
    return result
  }
}
