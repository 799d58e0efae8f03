extension BinaryMask {
  /// The mask grown by a disc of `radius` pixels: a pixel is set when some foreground pixel's centre lies
  /// within `radius` of its own (Euclidean). Exact for any radius and linear in the pixel count: the
  /// squared distance to the nearest foreground pixel comes from the separable distance transform of
  /// Felzenszwalb and Huttenlocher (Theory of Computing 8, 2012), a running count down each column
  /// then the lower envelope of parabolas along each row. Only the foreground's bounding box grown by
  /// the radius is transformed; nothing outside it can be reached.
  public func dilated(radius: Double) -> BinaryMask {
    precondition(radius >= 0 && radius.isFinite, "the dilation radius must be finite and not negative")
    if radius == 0 { return self }
    guard let box = foregroundBox else { return self }
    let reach = Int(radius.rounded(.down))
    let region = (minX: Swift.max(0, box.minX - reach), maxX: Swift.min(width - 1, box.maxX + reach),
                  minY: Swift.max(0, box.minY - reach), maxY: Swift.min(height - 1, box.maxY + reach))
    let limit = radius * radius
    var result = [Bool](repeating: false, count: width * height)
    let width = self.width
    result.withUnsafeMutableBufferPointer { output in
      forEachRowOfSquaredDistances(in: region) { y, distances in
        let row = y * width + region.minX
        for x in 0..<distances.count where distances[x] <= limit { output[row + x] = true }
      }
    }
    return BinaryMask(width: width, height: height, pixels: result)
  }

  /// The squared Euclidean distance from each pixel centre to the nearest foreground pixel centre
  /// (0 on the foreground; `.infinity` everywhere when the mask is empty), row-major.
  public func squaredDistancesToForeground() -> [Double] {
    var result = [Double](repeating: .infinity, count: width * height)
    guard foregroundBox != nil else { return result }
    let width = self.width
    result.withUnsafeMutableBufferPointer { output in
      forEachRowOfSquaredDistances(in: (0, width - 1, 0, height - 1)) { y, distances in
        for x in 0..<width { output[y * width + x] = distances[x] >= Self.far ? .infinity : distances[x] }
      }
    }
    return result
  }

  /// The inclusive bounding box of the foreground; nil when there is none.
  var foregroundBox: (minX: Int, maxX: Int, minY: Int, maxY: Int)? {
    pixels.withUnsafeBufferPointer { buffer in
      var box: (minX: Int, maxX: Int, minY: Int, maxY: Int)?
      for y in 0..<height {
        let row = y * width
        var first = -1
        var last = -1
        for x in 0..<width where buffer[row + x] {
          if first < 0 { first = x }
          last = x
        }
        guard first >= 0 else { continue }
        if let current = box {
          box = (Swift.min(current.minX, first), Swift.max(current.maxX, last), current.minY, y)
        } else {
          box = (first, last, y, y)
        }
      }
      return box
    }
  }

  /// Stand-in for "no foreground": larger than any real squared distance, small enough for the
  /// parabola intersections to stay finite.
  private static let far = 1e20

  /// Calls `body(y, distances)` for each row of `region` (inclusive bounds) with the squared distances
  /// of that row's pixels in the region, to the foreground inside the region.
  private func forEachRowOfSquaredDistances(in region: (minX: Int, maxX: Int, minY: Int, maxY: Int),
                                            _ body: (Int, UnsafeBufferPointer<Double>) -> Void) {
    let regionWidth = region.maxX - region.minX + 1
    let regionHeight = region.maxY - region.minY + 1
    let width = self.width
    // Columns: distance to the nearest foreground pixel in the same column (-1: none).
    var columnDistance = [Int32](repeating: -1, count: regionWidth * regionHeight)
    var nearest = [Int](repeating: -1, count: regionWidth)  // row of the nearest foreground pixel seen so far
    pixels.withUnsafeBufferPointer { mask in
      columnDistance.withUnsafeMutableBufferPointer { distance in
        nearest.withUnsafeMutableBufferPointer { seen in
          // Downwards, row by row (cache-friendly): distance to the foreground above.
          for y in 0..<regionHeight {
            let source = (region.minY + y) * width + region.minX
            let target = y * regionWidth
            for x in 0..<regionWidth {
              if mask[source + x] { seen[x] = y }
              distance[target + x] = seen[x] < 0 ? -1 : Int32(y - seen[x])
            }
          }
          // Upwards: the foreground below, when nearer.
          for x in 0..<regionWidth { seen[x] = -1 }
          for y in stride(from: regionHeight - 1, through: 0, by: -1) {
            let source = (region.minY + y) * width + region.minX
            let target = y * regionWidth
            for x in 0..<regionWidth {
              if mask[source + x] { seen[x] = y }
              guard seen[x] >= 0 else { continue }
              let below = Int32(seen[x] - y)
              if distance[target + x] < 0 || below < distance[target + x] { distance[target + x] = below }
            }
          }
        }
      }
    }
    // Rows: lower envelope of the parabolas (x - q)² + f(q).
    let f = UnsafeMutableBufferPointer<Double>.allocate(capacity: regionWidth)
    let output = UnsafeMutableBufferPointer<Double>.allocate(capacity: regionWidth)
    let vertices = UnsafeMutableBufferPointer<Int>.allocate(capacity: regionWidth)
    let boundaries = UnsafeMutableBufferPointer<Double>.allocate(capacity: regionWidth + 1)
    defer {
      f.deallocate()
      output.deallocate()
      vertices.deallocate()
      boundaries.deallocate()
    }
    columnDistance.withUnsafeBufferPointer { distance in
      for y in 0..<regionHeight {
        for x in 0..<regionWidth {
          let value = distance[y * regionWidth + x]
          f[x] = value < 0 ? Self.far : Double(value) * Double(value)
        }
        var k = 0
        vertices[0] = 0
        boundaries[0] = -.infinity
        boundaries[1] = .infinity
        if regionWidth > 1 {
          for q in 1..<regionWidth {
            var v = vertices[k]
            var s = ((f[q] + Double(q * q)) - (f[v] + Double(v * v))) / Double(2 * q - 2 * v)
            while s <= boundaries[k] {  // never past k = 0, whose boundary is -infinity
              k -= 1
              v = vertices[k]
              s = ((f[q] + Double(q * q)) - (f[v] + Double(v * v))) / Double(2 * q - 2 * v)
            }
            k += 1
            vertices[k] = q
            boundaries[k] = s
            boundaries[k + 1] = .infinity
          }
        }
        k = 0
        for q in 0..<regionWidth {
          while boundaries[k + 1] < Double(q) { k += 1 }
          let v = vertices[k]
          output[q] = Double((q - v) * (q - v)) + f[v]
        }
        body(region.minY + y, UnsafeBufferPointer(output))
      }
    }
  }
}
