import Foundation
import Imaging

/// Renders phantoms: anatomy, finding, exposure, noise and marker drawn from the spec's seed, then
/// quantised to the acquisition's stored values and given a DICOM header.
///
/// The picture is built as attenuation (soft tissue about 1 at full body thickness, air 0): the body
/// with a rounded thickness profile, the lungs taking air away in proportion to their depth, the heart
/// and mediastinum, trachea and bronchi, the spine, ribs and clavicles, vessel trees from the hila,
/// parenchymal texture and the finding (opacities replace lung air, so they stay inside the lungs). A
/// random window, gamma, heel effect, quantum-like noise and mottle turn it into display values; the
/// marker is painted last, on non-lung pixels only.
public enum PhantomRenderer {
  /// The finding `spec` draws, without rendering anything (the anatomy and finding streams only).
  public static func finding(for spec: PhantomSpec) -> Finding {
    var anatomyRandom = spec.stream("anatomy")
    let anatomy = anatomy(for: spec, random: &anatomyRandom)
    var findingRandom = spec.stream("finding")
    return FindingGenerator.draw(spec.condition, difficulty: spec.difficulty, anatomy: anatomy, random: &findingRandom).0
  }

  static func anatomy(for spec: PhantomSpec, random: inout SplitMix64) -> Anatomy {
    spec.acquisition.view.isFrontal
      ? AnatomyBuilder.frontal(view: spec.acquisition.view, width: spec.width, height: spec.height, random: &random)
      : AnatomyBuilder.lateral(width: spec.width, height: spec.height, random: &random)
  }

  /// Renders one phantom.
  public static func render(_ spec: PhantomSpec) -> Phantom {
    let width = spec.width
    let height = spec.height
    let count = width * height
    var anatomyRandom = spec.stream("anatomy")
    let anatomy = anatomy(for: spec, random: &anatomyRandom)
    let place = anatomy.placement

    // Masks: body, lungs (lung i is i + 1), heart.
    var bodyMask = [UInt8](repeating: 0, count: count)
    Polygon(place(anatomy.body)).fill(&bodyMask, width: width, height: height)
    let outlines = anatomy.lungs.map { Polygon(place($0.outline)) }
    var lungIndex = [UInt8](repeating: 0, count: count)
    for (index, outline) in outlines.enumerated() {
      outline.fill(&lungIndex, width: width, height: height, value: UInt8(index + 1))
    }
    let lungMask = lungIndex.map { $0 == 0 ? UInt8(0) : 1 }
    // Heart and abdomen are one soft-tissue mass, so the heart sits on the diaphragm without a seam.
    var denseMask = [UInt8](repeating: 0, count: count)
    Polygon(place(anatomy.heart)).fill(&denseMask, width: width, height: height)
    Polygon(place(anatomy.abdomen)).fill(&denseMask, width: width, height: height)
    for i in 0..<count where lungMask[i] != 0 || bodyMask[i] == 0 { denseMask[i] = 0 }

    let bodyDistance = Fields.distance(bodyMask, width: width, height: height, edgesInside: true)
    let lungDistance = Fields.distance(lungMask, width: width, height: height)
    let denseDistance = Fields.distance(denseMask, width: width, height: height, edgesInside: true)
    let bodyScale = Float(place.pixels(0.4))
    let lungScale = Float(place.pixels(0.16))
    let heartScale = Float(place.pixels(0.25))
    let lungAir: Float = 0.62
    var depth = [Float](repeating: 0, count: count)
    var attenuation = Raster(width: width, height: height)
    for i in 0..<count {
      var a = min(1, bodyDistance[i] / bodyScale).squareRoot()
      if lungMask[i] != 0 {
        depth[i] = pow(min(1, lungDistance[i] / lungScale), 0.55)
        a -= lungAir * depth[i]
      }
      if denseMask[i] != 0 { a += anatomy.heartDensity * min(1, denseDistance[i] / heartScale).squareRoot() }
      attenuation.values[i] = a
    }

    // Air outside the lungs: trachea, bronchi, gastric bubble.
    var air = Raster(width: width, height: height)
    for airway in anatomy.airways {
      air.polyline(place(airway.points), startHalfWidth: place.pixels(airway.halfWidth),
                   endHalfWidth: place.pixels(airway.halfWidth), amplitude: 1, profile: .bell)
    }
    if let bubble = anatomy.gastricBubble {
      air.ellipse(at: place(bubble.centre), rx: place.pixels(bubble.rx), ry: place.pixels(bubble.ry),
                  angle: place.rotation, amplitude: 1, soft: 2)
    }
    let outsideLungs = lungMask.map { Float(1 - Int($0)) }
    attenuation.add(air, factor: -0.25, weight: outsideLungs)

    // Bones.
    var spine = Raster(width: width, height: height)
    for vertebra in anatomy.vertebrae {
      let centre = place(vertebra.centre)
      spine.ellipse(at: centre, rx: place.pixels(vertebra.halfWidth), ry: place.pixels(vertebra.halfHeight),
                    angle: place.rotation, amplitude: 0.05, soft: 1.5, power: 3.5)
      if vertebra.pedicles {
        for side in [-1.0, 1.0] {
          let pedicle = place(vertebra.centre + Vector2(side * vertebra.halfWidth * 0.62, -vertebra.halfHeight * 0.2))
          spine.ellipse(at: pedicle, rx: place.pixels(0.022), ry: place.pixels(0.032), angle: place.rotation,
                        amplitude: 0.04, soft: 1)
        }
      }
    }
    attenuation.add(spine, factor: 1, weight: bodyMask.map { Float($0) })
    var scratch = Raster(width: width, height: height)
    for bone in anatomy.bones {
      // Each bone is drawn whole, then added: where two bones cross both count.
      attenuation.addPolyline(place(bone.points), startHalfWidth: place.pixels(bone.startHalfWidth),
                              endHalfWidth: place.pixels(bone.endHalfWidth), amplitude: bone.density,
                              startAmplitude: bone.startDensity, profile: .bone,
                              scratch: &scratch)
    }

    // Vessels and parenchyma, inside the lungs only.
    var vessels = Raster(width: width, height: height)
    for hilum in anatomy.hila {
      let fan: [Double] = anatomy.lungs.count == 1 ? [-2.6, -1.6, -0.7, 0.2, 1.1, 2.0, 2.8] : [-1.4, -0.85, -0.3, 0.25, 0.8, 1.3]
      for offset in fan {
        let angle = hilum.direction + offset + anatomyRandom.uniform(-0.15...0.15)
        branch(from: hilum.point, angle: angle, length: anatomyRandom.uniform(0.15...0.2), halfWidth: 0.018, depth: 5,
               place: place, into: &vessels, random: &anatomyRandom)
      }
    }
    let texture = Fields.noise(width: width, height: height, cell: place.pixels(0.12), octaves: 3, random: &anatomyRandom)
    var finding = Raster(width: width, height: height)
    var findingRandom = spec.stream("finding")
    let (description, lesions) = FindingGenerator.draw(spec.condition, difficulty: spec.difficulty, anatomy: anatomy,
                                                       random: &findingRandom)
    paint(lesions, anatomy: anatomy, lungIndex: lungIndex, into: &finding, random: &findingRandom)
    for i in 0..<count where lungMask[i] != 0 {
      let rim = min(1, depth[i] * 2)
      attenuation.values[i] += 0.09 * vessels.values[i] * rim + 0.025 * texture[i] * depth[i]
        + lungAir * depth[i] * min(1, finding.values[i])
    }

    // Exposure and noise.
    var exposure = spec.stream("exposure")
    let low = exposure.uniform(-0.12...(-0.04))
    let high = exposure.uniform(1.35...1.6)
    let gamma = exposure.uniform(0.8...1.25)
    let heel = exposure.uniform(-0.06...0.06)
    let sigma = exposure.uniform(0.004...0.016)
    let mottle = Fields.noise(width: width, height: height, cell: Double(min(width, height)) / 6, octaves: 2,
                              random: &exposure)
    var display = [Float](repeating: 0, count: count)
    for y in 0..<height {
      let heelFactor = 1 + heel * ((Double(y) + 0.5) / Double(height) - 0.5)
      for x in 0..<width {
        let i = y * width + x
        var d = (Double(attenuation.values[i]) - low) / (high - low)
        d = pow(min(1, max(0, d)), gamma) * heelFactor + 0.012 * Double(mottle[i])
        d += sigma * (0.6 + 0.8 * d) * exposure.normal()
        display[i] = Float(min(1, max(0, d)))
      }
    }
    if let marker = spec.marker {
      var markerRandom = spec.stream("marker")
      MarkerPainter.paint(marker, on: &display, lungs: lungMask, width: width, height: height, random: &markerRandom)
    }

    let (stored, window) = quantise(display, acquisition: spec.acquisition, random: &exposure)
    let attributes = HeaderBuilder.attributes(for: spec, window: window)
    return Phantom(spec: spec, finding: description, image: GrayImage(width: width, height: height, pixels: display),
                   lungMask: lungMask, lungOutlines: outlines, storedValues: stored, window: window,
                   attributes: attributes)
  }

  /// Renders `specs` on `threads` threads, in order; each phantom depends on its spec alone, so the
  /// result is the same for any thread count. `transform` runs on the rendering thread.
  public static func render<Result: Sendable>(_ specs: [PhantomSpec], threads: Int = ParallelMap.defaultThreads,
                                              transform: @Sendable (Phantom) throws -> Result) throws -> [Result] {
    try ParallelMap.map(count: specs.count, threads: threads) { index in try transform(render(specs[index])) }
  }

  /// A vessel segment and, below `depth` 0, its two branches.
  private static func branch(from start: Vector2, angle: Double, length: Double, halfWidth: Double, depth: Int,
                             place: Placement, into layer: inout Raster, random: inout SplitMix64) {
    let end = start + Vector2(cos(angle), sin(angle)) * length
    // Thinner branches are fainter: their amplitude follows their width down to 0.4.
    layer.stroke(place(start), place(end), halfWidthA: max(0.6, place.pixels(halfWidth)),
                 halfWidthB: max(0.6, place.pixels(halfWidth * 0.85)), amplitude: Float(max(0.4, min(1, halfWidth / 0.012))),
                 profile: .bell)
    guard depth > 0 else { return }
    let spread = random.uniform(0.3...0.5)
    for sign in [-1.0, 1.0] {
      branch(from: end, angle: angle + sign * spread + random.uniform(-0.1...0.1), length: length * random.uniform(0.72...0.85),
             halfWidth: halfWidth * 0.72, depth: depth - 1, place: place, into: &layer, random: &random)
    }
  }

  /// Paints the fraction of lung air each lesion replaces, patchy, restricted to its lung.
  private static func paint(_ lesions: [Lesion], anatomy: Anatomy, lungIndex: [UInt8], into layer: inout Raster,
                            random: inout SplitMix64) {
    guard !lesions.isEmpty else { return }
    let place = anatomy.placement
    let width = layer.width
    let height = layer.height
    let patchiness = Fields.noise(width: width, height: height, cell: place.pixels(0.08), octaves: 3, random: &random)
    var bronchi = Raster(width: width, height: height)
    for lesion in lesions {
      switch lesion {
      case .patch(let centre, let radius, let fill, let lung):
        // A Gaussian 1.3 times the fill at its centre, capped at the fill: a flat top, soft edges.
        let middle = place(centre)
        let sigma = place.pixels(radius)
        let scale = -0.5 / (sigma * sigma)
        for y in Raster.span(middle.y, middle.y, margin: 3 * sigma, size: height) {
          let dy = Double(y) + 0.5 - middle.y
          for x in Raster.span(middle.x, middle.x, margin: 3 * sigma, size: width)
          where Int(lungIndex[y * width + x]) == lung + 1 {
            let dx = Double(x) + 0.5 - middle.x
            let value = min(Float(fill), Float(fill) * 1.3 * Float(exp((dx * dx + dy * dy) * scale)))
            layer.values[y * width + x] = max(layer.values[y * width + x], value)
          }
        }
      case .lobe(let lobe, let fill, let lung):
        let fissure = FindingGenerator.fissure(anatomy.lungs[lung])
        let c = cos(-place.rotation)
        let s = sin(-place.rotation)
        for y in 0..<height {
          for x in 0..<width where Int(lungIndex[y * width + x]) == lung + 1 {
            // Back to anatomical units.
            let dx = (Double(x) + 0.5 - place.origin.x) / place.scale
            let dy = (Double(y) + 0.5 - place.origin.y) / place.scale
            let p = Vector2(c * dx - s * dy, s * dx + c * dy)
            let share = Float(lobe.weight(at: p, fissure: fissure) * fill)
            layer.values[y * width + x] = max(layer.values[y * width + x], share)
          }
        }
      case .bronchogram(let points, let halfWidth):
        bronchi.polyline(place(points), startHalfWidth: max(1, place.pixels(halfWidth)),
                         endHalfWidth: max(0.8, place.pixels(halfWidth * 0.7)), amplitude: 1, profile: .bell)
      }
    }
    for i in 0..<layer.values.count where layer.values[i] > 0 {
      let patchy = min(1, max(0, 0.8 + 0.35 * patchiness[i]))
      layer.values[i] *= patchy * (1 - 0.45 * bronchi.values[i])
    }
  }

  /// Display values to stored samples: a random lower and upper stored level, inverted for
  /// MONOCHROME1; and a window (1st to 99th percentile) in modality units.
  private static func quantise(_ display: [Float], acquisition: Acquisition, random: inout SplitMix64)
    -> ([UInt16], (center: Double, width: Double))
  {
    let maximum = Double(acquisition.maximumStored)
    let low = (maximum * random.uniform(0...0.05)).rounded(.down)
    let high = maximum - (maximum * random.uniform(0...0.04)).rounded(.down)
    let invert = acquisition.photometric == .monochrome1
    var histogram = [Int](repeating: 0, count: acquisition.maximumStored + 1)
    let stored = display.map { value -> UInt16 in
      var level = Int((low + Double(value) * (high - low)).rounded())
      if invert { level = acquisition.maximumStored - level }
      histogram[level] += 1
      return UInt16(level)
    }
    func percentile(_ fraction: Double) -> Double {
      let target = Int(Double(display.count) * fraction)
      var seen = 0
      for (level, n) in histogram.enumerated() {
        seen += n
        if seen > target { return Double(level) }
      }
      return maximum
    }
    let p1 = percentile(0.01)
    let p99 = percentile(0.99)
    let slope = acquisition.rescaleSlope
    let center = ((p1 + p99) / 2 * slope + acquisition.rescaleIntercept).rounded()
    let width = max(1, ((p99 - p1) * slope).rounded())
    return (stored, (center, width))
  }
}
