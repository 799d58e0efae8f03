/// Which neighbours make pixels one connected region.
public enum Connectivity: Sendable, Equatable {
  /// Left, right, up and down.
  case four
  /// The four plus the diagonals.
  case eight

  /// The connectivity to use for the background when the foreground uses this one, so that regions and
  /// holes are each other's complement (an 8-connected ring encloses a 4-connected hole).
  public var complement: Connectivity { self == .eight ? .four : .eight }
}

/// One connected region of a mask.
public struct MaskComponent: Sendable, Equatable {
  /// The region's label, from 1, in the raster order of the regions' first pixels.
  public let label: Int
  /// Pixel count.
  public let area: Int
  /// Mean x of the region's pixel centres (`x + 0.5`).
  public let centroidX: Double
  /// Mean y of the region's pixel centres (`y + 0.5`).
  public let centroidY: Double
  /// First column of the bounding box.
  public let minX: Int
  /// Last column of the bounding box (inclusive).
  public let maxX: Int
  /// First row of the bounding box.
  public let minY: Int
  /// Last row of the bounding box (inclusive).
  public let maxY: Int

  /// Whether the region reaches the first or last row or column of a `width` x `height` image.
  public func touchesBorder(width: Int, height: Int) -> Bool {
    minX == 0 || minY == 0 || maxX == width - 1 || maxY == height - 1
  }
}

/// A horizontal run of pixels of one row: columns `start ..< end`.
public struct MaskRun: Sendable, Equatable {
  /// The row.
  public let row: Int
  /// First column of the run.
  public let start: Int
  /// One past the last column of the run.
  public let end: Int
  /// The label of the region the run belongs to.
  public let label: Int
}

/// The connected regions of a mask, as the runs that make each region and each region's size, centroid
/// and bounding box.
public struct ComponentLabels: Sendable, Equatable {
  /// Width of the labelled mask.
  public let width: Int
  /// Height of the labelled mask.
  public let height: Int
  /// The regions, in label order (`components[k - 1]` has label k).
  public let components: [MaskComponent]
  /// Every run of the regions, row by row, left to right.
  public let runs: [MaskRun]

  /// The regions sorted by decreasing area (equal areas keep label order).
  public var bySize: [MaskComponent] {
    components.sorted { $0.area != $1.area ? $0.area > $1.area : $0.label < $1.label }
  }

  /// A label per pixel, row-major: 0 outside every region, k inside `components[k - 1]`.
  public func labelImage() -> [Int32] {
    var labels = [Int32](repeating: 0, count: width * height)
    for run in runs {
      for x in run.start..<run.end { labels[run.row * width + x] = Int32(run.label) }
    }
    return labels
  }

  /// A mask of the regions whose label is in `labels`.
  public func mask(keeping labels: Set<Int>) -> BinaryMask {
    var pixels = [Bool](repeating: false, count: width * height)
    pixels.withUnsafeMutableBufferPointer { buffer in
      for run in runs where labels.contains(run.label) {
        let row = run.row * width
        for x in run.start..<run.end { buffer[row + x] = true }
      }
    }
    return BinaryMask(width: width, height: height, pixels: pixels)
  }
}

extension BinaryMask {
  /// The connected regions of the foreground. Works on runs: each row's foreground runs are found
  /// once, runs overlapping (4-connectivity) or touching diagonally (8-connectivity) a run of the row
  /// above are joined with a union-find, so the cost is one pass over the pixels plus a small amount
  /// per run.
  public func components(connectivity: Connectivity = .eight) -> ComponentLabels {
    let rowRuns = pixels.withUnsafeBufferPointer { buffer in
      (0..<height).map { y in Self.runs(in: buffer, from: y * width, count: width, of: true) }
    }
    return Self.label(rowRuns, width: width, height: height, connectivity: connectivity)
  }

  /// The mask with only its `count` largest connected regions (equal areas: the earlier in raster order).
  public func keepingLargestComponents(_ count: Int, connectivity: Connectivity = .eight) -> BinaryMask {
    precondition(count >= 0, "the number of regions to keep cannot be negative")
    let labelled = components(connectivity: connectivity)
    guard labelled.components.count > count else { return self }
    return labelled.mask(keeping: Set(labelled.bySize.prefix(count).map(\.label)))
  }

  /// The mask with its holes filled: every background region (connected with `connectivity`'s
  /// complement, so holes and regions are duals) that does not reach the image border becomes
  /// foreground.
  public func fillingHoles(connectivity: Connectivity = .eight) -> BinaryMask {
    let rowRuns = pixels.withUnsafeBufferPointer { buffer in
      (0..<height).map { y in Self.runs(in: buffer, from: y * width, count: width, of: false) }
    }
    let background = Self.label(rowRuns, width: width, height: height, connectivity: connectivity.complement)
    let holes = background.components.filter { !$0.touchesBorder(width: width, height: height) }
    guard !holes.isEmpty else { return self }
    let holeLabels = Set(holes.map(\.label))
    var result = self
    result.pixels.withUnsafeMutableBufferPointer { buffer in
      for run in background.runs where holeLabels.contains(run.label) {
        let row = run.row * width
        for x in run.start..<run.end { buffer[row + x] = true }
      }
    }
    return result
  }

  /// The runs of `value` in `count` pixels from `offset`, as (start, end) columns.
  private static func runs(in buffer: UnsafeBufferPointer<Bool>, from offset: Int, count: Int, of value: Bool) -> [(Int, Int)] {
    var result: [(Int, Int)] = []
    var x = 0
    while x < count {
      while x < count && buffer[offset + x] != value { x += 1 }
      guard x < count else { break }
      let start = x
      while x < count && buffer[offset + x] == value { x += 1 }
      result.append((start, x))
    }
    return result
  }

  /// Joins runs of consecutive rows into regions and measures them.
  private static func label(_ rowRuns: [[(Int, Int)]], width: Int, height: Int, connectivity: Connectivity) -> ComponentLabels {
    // Provisional label = run index; union-find over runs.
    var parent: [Int] = []
    var firstRun: [Int] = []  // index of each row's first run
    var runRow: [Int] = []
    var runStart: [Int] = []
    var runEnd: [Int] = []
    func root(_ index: Int) -> Int {
      var current = index
      while parent[current] != current {
        parent[current] = parent[parent[current]]
        current = parent[current]
      }
      return current
    }
    let reach = connectivity == .eight ? 1 : 0
    for (y, runs) in rowRuns.enumerated() {
      firstRun.append(parent.count)
      let previousStart = y > 0 ? firstRun[y - 1] : 0
      let previousEnd = y > 0 ? firstRun[y] : 0
      var candidate = previousStart
      for (start, end) in runs {
        let index = parent.count
        parent.append(index)
        runRow.append(y)
        runStart.append(start)
        runEnd.append(end)
        // Runs of the row above that touch [start - reach, end + reach).
        while candidate < previousEnd && runEnd[candidate] + reach <= start { candidate += 1 }
        var other = candidate
        while other < previousEnd && runStart[other] < end + reach {
          let (a, b) = (root(index), root(other))
          if a != b { parent[Swift.max(a, b)] = Swift.min(a, b) }
          other += 1
        }
      }
    }

    // Final labels in raster order of each region's first run, and statistics.
    var compact = [Int](repeating: 0, count: parent.count)
    var areas: [Int] = []
    var sumX: [Double] = []
    var sumY: [Double] = []
    var boxes: [(minX: Int, maxX: Int, minY: Int, maxY: Int)] = []
    var labelled: [MaskRun] = []
    labelled.reserveCapacity(parent.count)
    for index in parent.indices {
      let representative = root(index)
      if compact[representative] == 0 {
        areas.append(0)
        sumX.append(0)
        sumY.append(0)
        boxes.append((runStart[index], runEnd[index] - 1, runRow[index], runRow[index]))
        compact[representative] = areas.count
      }
      let label = compact[representative]
      let slot = label - 1
      let (y, start, end) = (runRow[index], runStart[index], runEnd[index])
      let length = end - start
      areas[slot] += length
      sumX[slot] += Double(length) * Double(start + end) / 2
      sumY[slot] += Double(length) * (Double(y) + 0.5)
      boxes[slot].minX = Swift.min(boxes[slot].minX, start)
      boxes[slot].maxX = Swift.max(boxes[slot].maxX, end - 1)
      boxes[slot].maxY = y
      labelled.append(MaskRun(row: y, start: start, end: end, label: label))
    }
    let components = areas.indices.map { slot in
      MaskComponent(label: slot + 1, area: areas[slot], centroidX: sumX[slot] / Double(areas[slot]),
                    centroidY: sumY[slot] / Double(areas[slot]), minX: boxes[slot].minX, maxX: boxes[slot].maxX,
                    minY: boxes[slot].minY, maxY: boxes[slot].maxY)
    }
    return ComponentLabels(width: width, height: height, components: components, runs: labelled)
  }
}
