import Foundation
public import Imaging

/// A 2-D vector in anatomical units or pixels.
struct Vector2: Sendable, Equatable {
  var x: Double
  var y: Double

  init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }

  static func + (a: Vector2, b: Vector2) -> Vector2 { Vector2(a.x + b.x, a.y + b.y) }
  static func - (a: Vector2, b: Vector2) -> Vector2 { Vector2(a.x - b.x, a.y - b.y) }
  static func * (a: Vector2, k: Double) -> Vector2 { Vector2(a.x * k, a.y * k) }
  var length: Double { (x * x + y * y).squareRoot() }
}

/// `count` points of the cubic Bézier curve through `p0` and `p3` with control points `p1`, `p2`,
/// both ends included.
func cubicBezier(_ p0: Vector2, _ p1: Vector2, _ p2: Vector2, _ p3: Vector2, count: Int) -> [Vector2] {
  (0..<count).map { i in
    let t = Double(i) / Double(count - 1)
    let s = 1 - t
    return p0 * (s * s * s) + p1 * (3 * s * s * t) + p2 * (3 * s * t * t) + p3 * (t * t * t)
  }
}

/// `count` points of the quadratic Bézier curve from `p0` to `p2` with control point `p1`.
func quadraticBezier(_ p0: Vector2, _ p1: Vector2, _ p2: Vector2, count: Int) -> [Vector2] {
  (0..<count).map { i in
    let t = Double(i) / Double(count - 1)
    let s = 1 - t
    return p0 * (s * s) + p1 * (2 * s * t) + p2 * (t * t)
  }
}

/// Places anatomy in the image: anatomical units (thoracic half-width 1, x towards the image's right,
/// y down) scaled, rotated about the origin and moved to the image position of the origin.
struct Placement: Sendable {
  var scale: Double
  var rotation: Double
  var origin: Vector2

  func callAsFunction(_ p: Vector2) -> Vector2 {
    let c = cos(rotation)
    let s = sin(rotation)
    return Vector2(origin.x + scale * (c * p.x - s * p.y), origin.y + scale * (s * p.x + c * p.y))
  }

  func callAsFunction(_ points: [Vector2]) -> [Vector2] { points.map { self($0) } }

  /// A length in anatomical units, in pixels.
  func pixels(_ length: Double) -> Double { scale * length }
}

/// A closed polygon in pixel coordinates (the last vertex connects back to the first), filled by the
/// even-odd rule. Pixel `(x, y)` belongs to it when its centre `(x + 0.5, y + 0.5)` does.
public struct Polygon: Sendable, Equatable, Codable {
  /// The vertices, in pixels: pixel `(x, y)` covers `[x, x + 1) × [y, y + 1)`.
  public let vertices: [Point]

  /// A polygon through `vertices` (at least three).
  public init(vertices: [Point]) {
    precondition(vertices.count >= 3, "a polygon has at least three vertices")
    self.vertices = vertices
  }

  init(_ points: [Vector2]) {
    self.init(vertices: points.map { Point(x: $0.x, y: $0.y) })
  }

  /// Whether the point is inside (ray casting: a crossing counts when the edge spans the point's `y`
  /// half-open, `(y_i > y) != (y_j > y)`, and lies right of `x`).
  public func contains(x: Double, y: Double) -> Bool {
    var inside = false
    var j = vertices.count - 1
    for i in vertices.indices {
      let a = vertices[i]
      let b = vertices[j]
      if (a.y > y) != (b.y > y) {
        let crossing = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)
        if x < crossing { inside.toggle() }
      }
      j = i
    }
    return inside
  }

  /// Sets `mask[y * width + x] = value` for every pixel whose centre is inside (scanline filling with
  /// the crossings of ``contains(x:y:)``, so both agree pixel for pixel).
  func fill(_ mask: inout [UInt8], width: Int, height: Int, value: UInt8 = 1) {
    var crossings: [Double] = []
    crossings.reserveCapacity(16)
    let low = max(0, Int(vertices.map(\.y).min()!.rounded(.down)) - 1)
    let high = min(height - 1, Int(vertices.map(\.y).max()!.rounded(.up)) + 1)
    guard low <= high else { return }
    for row in low...high {
      let y = Double(row) + 0.5
      crossings.removeAll(keepingCapacity: true)
      var j = vertices.count - 1
      for i in vertices.indices {
        let a = vertices[i]
        let b = vertices[j]
        if (a.y > y) != (b.y > y) {
          crossings.append(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y))
        }
        j = i
      }
      crossings.sort()
      // A centre x is inside when an odd number of crossings lie right of it: x in [c0, c1), [c2, c3)...
      var k = 0
      while k + 1 < crossings.count {
        let start = Self.firstColumn(atOrAfter: crossings[k], width: width)
        let end = Self.firstColumn(atOrAfter: crossings[k + 1], width: width)
        if start < end {
          for column in start..<end { mask[row * width + column] = value }
        }
        k += 2
      }
    }
  }

  /// The first column whose centre is at or right of `position`, clamped to `0...width`.
  private static func firstColumn(atOrAfter position: Double, width: Int) -> Int {
    guard position > 0.5 else { return 0 }
    guard position <= Double(width) - 0.5 else { return width }
    var column = Int((position - 0.5).rounded(.up))
    while column > 0, Double(column - 1) + 0.5 >= position { column -= 1 }
    while Double(column) + 0.5 < position { column += 1 }
    return min(column, width)
  }
}
