import Foundation

/// One lung field of the lung model, in anatomical units (thoracic half-width 1, x towards the image's
/// right, y down).
struct LungShape: Sendable {
  /// The closed outline.
  var outline: [Vector2]
  /// -1: the patient's right lung (image left); +1: the left lung; 0: both superimposed (lateral view).
  var side: Int
  /// The outline's top and bottom.
  var top: Double
  var bottom: Double
  /// The peripheral border (lateral chest wall; posterior wall in a lateral view) from top to bottom.
  var peripheralBorder: [Vector2]
  /// The diaphragm under the lung, from its peripheral to its medial (anterior) end.
  var diaphragm: [Vector2]

  /// The x of the peripheral border at height `y` (linear between samples, clamped at the ends).
  func peripheralX(at y: Double) -> Double {
    guard let first = peripheralBorder.first, let last = peripheralBorder.last else { return 0 }
    if y <= first.y { return first.x }
    if y >= last.y { return last.x }
    for i in 1..<peripheralBorder.count where peripheralBorder[i].y >= y {
      let a = peripheralBorder[i - 1]
      let b = peripheralBorder[i]
      let t = b.y > a.y ? (y - a.y) / (b.y - a.y) : 0
      return a.x + t * (b.x - a.x)
    }
    return last.x
  }

  /// Whether an anatomical point is inside the outline.
  func contains(_ p: Vector2) -> Bool {
    Polygon(outline).contains(x: p.x, y: p.y)
  }
}

/// A bone drawn as a stroke: a rib, a clavicle, the sternum.
struct BoneStroke: Sendable {
  var points: [Vector2]
  var startHalfWidth: Double
  var endHalfWidth: Double
  /// Attenuation added at the centre of the bone, at its end.
  var density: Float
  /// The same at its start (fading in, as posterior ribs do towards the spine).
  var startDensity: Float? = nil
}

/// A vertebral body (and its pedicles when `pedicles`).
struct Vertebra: Sendable {
  var centre: Vector2
  var halfWidth: Double
  var halfHeight: Double
  var pedicles: Bool
}

/// The anatomy of one phantom in anatomical units and where it lies in the image.
struct Anatomy: Sendable {
  var placement: Placement
  var body: [Vector2]
  var lungs: [LungShape]
  var heart: [Vector2]
  /// Extra attenuation of the heart, and of the abdomen, at their thickest.
  var heartDensity: Float
  /// The abdomen below the diaphragm (liver, spleen): as dense as the heart.
  var abdomen: [Vector2]
  /// Trachea and main bronchi: centre lines and half-widths.
  var airways: [(points: [Vector2], halfWidth: Double)]
  var vertebrae: [Vertebra]
  var bones: [BoneStroke]
  /// Where the vessel trees start, with the direction (radians, image convention) they fan around.
  var hila: [(point: Vector2, direction: Double)]
  var gastricBubble: (centre: Vector2, rx: Double, ry: Double)?
}

/// Smoothstep from 0 at `a` to 1 at `b`.
func smoothstep(_ a: Double, _ b: Double, _ x: Double) -> Double {
  let t = min(1, max(0, (x - a) / (b - a)))
  return t * t * (3 - 2 * t)
}

enum AnatomyBuilder {
  /// Where the anatomy lies: about 3 anatomical units across the smaller image side, centred with a
  /// small random shift, scale and rotation.
  static func placement(width: Int, height: Int, random: inout SplitMix64) -> Placement {
    let side = Double(min(width, height))
    let scale = side / 3.0 * random.uniform(0.9...1.04)
    let origin = Vector2(Double(width) / 2 + side * random.uniform(-0.025...0.025),
                         Double(height) / 2 + side * random.uniform(-0.02...0.03))
    let rotation = random.uniform(-4...4) * Double.pi / 180
    return Placement(scale: scale, rotation: rotation, origin: origin)
  }

  /// A PA or AP chest.
  static func frontal(view: View, width: Int, height: Int, random: inout SplitMix64) -> Anatomy {
    let placement = placement(width: width, height: height, random: &random)
    let ap = view == .anteroposterior
    // Heart: cardiothoracic ratio about 0.47 (larger in AP: magnification).
    let heartWidth = 2 * min(0.6, max(0.36, random.normal(mean: 0.47, deviation: 0.04))) * (ap ? 1.1 : 1)
    let heartRight = 0.36 * heartWidth
    let heartLeft = 0.64 * heartWidth
    let heartTop = random.normal(mean: -0.1, deviation: 0.04)
    let mediastinumTop = random.normal(mean: 0.13, deviation: 0.012)
    let knob = random.normal(mean: 0.08, deviation: 0.015)
    let gap = 0.025

    /// Distance of the mediastinal border from the midline at height y, right (-1) or left (+1) side.
    func mediastinum(_ y: Double, _ side: Int) -> Double {
      if side < 0 {
        let rise = smoothstep(0.0, 0.45, y) * (1 - 0.2 * smoothstep(0.5, 0.95, y))
        return mediastinumTop + 0.02 * smoothstep(-0.8, -0.3, y) + (heartRight - mediastinumTop - 0.02) * rise
      }
      let aortic = knob * exp(-pow((y + 0.42) / 0.09, 2))
      let trunk = 0.03 * exp(-pow((y + 0.2) / 0.07, 2))
      let rise = smoothstep(heartTop, 0.55, y) * (1 - 0.1 * smoothstep(0.6, 0.95, y))
      return mediastinumTop + aortic + trunk + (heartLeft - mediastinumTop) * rise
    }

    var lungs: [LungShape] = []
    var domes: [Double] = []
    let rightDome = random.normal(mean: 0.5, deviation: 0.05)
    for side in [-1, 1] {
      let apex = random.normal(mean: -0.97, deviation: 0.04)
      let costophrenic = random.normal(mean: side < 0 ? 0.8 : 0.83, deviation: 0.045)
      let lateralWidth = random.normal(mean: 0.93, deviation: 0.035)
      let apexWidth = random.normal(mean: 0.6, deviation: 0.025)
      let dome = side < 0 ? rightDome : rightDome + random.normal(mean: 0.06, deviation: 0.02)
      let cardiophrenic = dome + 0.09
      domes.append(dome)
      let capHeight = 0.28

      func lateral(_ y: Double) -> Double {
        let s = min(1, max(0, (y - apex) / (costophrenic - apex)))
        return apexWidth + (lateralWidth - apexWidth) * (1 - pow(1 - s, 2.2))
      }
      /// Medial and lateral |x| at height y, the apex rounded off.
      func extent(_ y: Double) -> (medial: Double, lateral: Double) {
        let m = mediastinum(y, side) + gap
        let l = lateral(y)
        let t = min(1, max(0, (y - apex) / capHeight))
        let cap = (1 - (1 - t) * (1 - t)).squareRoot()
        let middle = (m + l) / 2
        let half = (l - m) / 2 * cap
        return (middle - half, middle + half)
      }
      let s = Double(side)
      var outline: [Vector2] = [Vector2(s * extent(apex).lateral, apex)]
      var border: [Vector2] = []
      let steps = 36
      for i in 1...steps {
        let y = apex + (costophrenic - apex) * pow(Double(i) / Double(steps), 1.4)
        let point = Vector2(s * extent(y).lateral, y)
        outline.append(point)
        border.append(point)
      }
      let p0 = outline.last!
      let p2 = Vector2(s * extent(cardiophrenic).medial, cardiophrenic)
      let p1 = Vector2(p0.x * 0.45 + p2.x * 0.55, 2 * dome - 0.5 * (p0.y + p2.y))
      let diaphragm = quadraticBezier(p0, p1, p2, count: 20)
      outline += diaphragm.dropFirst()
      for j in stride(from: steps - 1, through: 1, by: -1) {
        let y = apex + (cardiophrenic - apex) * pow(Double(j) / Double(steps), 1.4)
        outline.append(Vector2(s * extent(y).medial, y))
      }
      lungs.append(LungShape(outline: outline, side: side, top: apex, bottom: costophrenic, peripheralBorder: border,
                             diaphragm: diaphragm))
    }

    // Heart: between the mediastinal borders, from a rounded top down to the diaphragm.
    var heart: [Vector2] = []
    let heartBottom = max(domes[0], domes[1]) + 0.2
    let heartSteps = 24
    for i in 0...heartSteps {
      let y = heartTop + (heartBottom - heartTop) * Double(i) / Double(heartSteps)
      heart.append(Vector2(mediastinum(y, 1), y))
    }
    for i in stride(from: heartSteps, through: 0, by: -1) {
      let y = heartTop + (heartBottom - heartTop) * Double(i) / Double(heartSteps)
      heart.append(Vector2(-mediastinum(y, -1), y))
    }
    heart += cubicBezier(Vector2(-mediastinum(heartTop, -1), heartTop), Vector2(-0.1, heartTop - 0.12),
                         Vector2(0.1, heartTop - 0.12), Vector2(mediastinum(heartTop, 1), heartTop), count: 8)
      .dropFirst().dropLast()

    // Abdomen: everything under the two domes, joined under the heart.
    let abdomen = [Vector2(-2, lungs[0].bottom + 0.02)] + lungs[0].diaphragm
      + lungs[1].diaphragm.reversed() + [Vector2(2, lungs[1].bottom + 0.02), Vector2(2, 2.5), Vector2(-2, 2.5)]

    // Body: neck, shoulders running out of the field, chest wall, abdomen.
    let wall = lungs.flatMap(\.peripheralBorder).map { abs($0.x) }.max()! + max(0.1, random.normal(mean: 0.19, deviation: 0.04))
    let shoulder = random.normal(mean: -1.02, deviation: 0.04)
    let neck = random.normal(mean: 0.4, deviation: 0.03)
    var half: [Vector2] = [Vector2(neck, -2.2), Vector2(neck, -1.35)]
    half += cubicBezier(Vector2(neck, -1.35), Vector2(neck + 0.1, shoulder - 0.05), Vector2(1.1, shoulder - 0.06),
                        Vector2(1.75, shoulder + 0.12), count: 10).dropFirst()
    half += cubicBezier(Vector2(1.75, shoulder + 0.12), Vector2(1.8, -0.55), Vector2(wall + 0.05, -0.6),
                        Vector2(wall, -0.3), count: 8).dropFirst()
    half += [Vector2(wall + 0.03, 0.4), Vector2(wall + 0.02, 1.0), Vector2(wall - 0.05, 2.2)]
    let body = half + half.reversed().map { Vector2(-$0.x, $0.y) }

    // Airways: trachea slightly right of the midline down to the carina, then the main bronchi.
    let carina = Vector2(-0.02, random.normal(mean: -0.42, deviation: 0.03))
    let airways: [(points: [Vector2], halfWidth: Double)] = [
      ([Vector2(-0.01, -2.0), Vector2(-0.015, -1.0), carina], 0.055),
      ([carina, Vector2(-0.16, carina.y + 0.16), Vector2(-0.24, carina.y + 0.27)], 0.035),
      ([carina, Vector2(0.15, carina.y + 0.2), Vector2(0.24, carina.y + 0.32)], 0.033),
    ]

    // Spine: vertebral bodies along a gentle curve.
    let scoliosis = random.normal(mean: 0, deviation: 0.02)
    var vertebrae: [Vertebra] = []
    var y = -1.9 + random.uniform(0...0.2)
    while y < 2.2 {
      let height = y < -1.1 ? 0.12 : 0.16
      vertebrae.append(Vertebra(centre: Vector2(scoliosis * sin(y * 1.7), y), halfWidth: y < -1.1 ? 0.12 : 0.14,
                                halfHeight: height / 2 - 0.018, pedicles: y > -1.2))
      y += height
    }

    // Ribs: ten posterior arcs a side from the spine out to the chest wall, the upper six with their
    // fainter anterior arcs; the clavicles.
    var bones: [BoneStroke] = []
    let ribStart = random.normal(mean: -0.98, deviation: 0.02)
    let ribStep = random.normal(mean: 0.165, deviation: 0.008)
    for side in [-1.0, 1.0] {
      let lung = lungs[side < 0 ? 0 : 1]
      for k in 0..<10 {
        let level = ribStart + ribStep * Double(k) + random.normal(mean: 0, deviation: 0.01)
        let outer = abs(lung.peripheralX(at: level + 0.12)) + 0.06
        let posterior = cubicBezier(
          Vector2(side * 0.15, level), Vector2(side * 0.45, level - 0.11), Vector2(side * (outer - 0.08), level - 0.04),
          Vector2(side * outer, level + 0.2), count: 14)
        bones.append(BoneStroke(points: posterior, startHalfWidth: 0.03, endHalfWidth: 0.046, density: 0.11,
                                startDensity: 0.02))
        if k < 6 {
          let anterior = cubicBezier(
            Vector2(side * outer, level + 0.2), Vector2(side * (outer - 0.02), level + 0.42),
            Vector2(side * 0.62, level + 0.5), Vector2(side * 0.3, level + 0.6), count: 12)
          bones.append(BoneStroke(points: Array(anterior.dropFirst(2)), startHalfWidth: 0.045, endHalfWidth: 0.04,
                                  density: 0.045, startDensity: 0.01))
        }
      }
      let clavicle = random.normal(mean: ap ? -0.98 : -0.88, deviation: 0.03)
      let points = cubicBezier(
        Vector2(side * 0.1, clavicle + 0.02), Vector2(side * 0.45, clavicle + 0.08),
        Vector2(side * 0.8, clavicle - (ap ? 0.04 : 0.12)), Vector2(side * 1.12, clavicle - (ap ? 0.02 : 0.1)), count: 14)
      bones.append(BoneStroke(points: points, startHalfWidth: 0.05, endHalfWidth: 0.04, density: 0.2))
    }

    let hila: [(point: Vector2, direction: Double)] = [
      (Vector2(-0.27, random.normal(mean: -0.1, deviation: 0.03)), Double.pi),
      (Vector2(0.27, random.normal(mean: -0.16, deviation: 0.03)), 0),
    ]
    let bubble = random.chance(0.6)
      ? (centre: Vector2(random.uniform(0.4...0.6), domes[1] + 0.14), rx: random.uniform(0.07...0.13), ry: random.uniform(0.05...0.08))
      : nil
    return Anatomy(placement: placement, body: body, lungs: lungs, heart: heart, heartDensity: ap ? 0.22 : 0.18,
                   abdomen: abdomen, airways: airways, vertebrae: vertebrae, bones: bones, hila: hila, gastricBubble: bubble)
  }

  /// A crude left lateral chest: anterior to the image's left, the spine on the right, one lung field
  /// (both lungs superimposed) behind the sternum and above the diaphragm, the heart in front of it.
  static func lateral(width: Int, height: Int, random: inout SplitMix64) -> Anatomy {
    let placement = placement(width: width, height: height, random: &random)
    let front = random.normal(mean: -0.95, deviation: 0.03)
    let back = random.normal(mean: 1.05, deviation: 0.03)
    let body: [Vector2] = [
      Vector2(-0.3, -2.2), Vector2(-0.35, -1.5), Vector2(front + 0.3, -1.15), Vector2(front + 0.05, -0.6),
      Vector2(front - 0.05, 0.3), Vector2(front - 0.1, 1.2), Vector2(front - 0.1, 2.2), Vector2(back - 0.1, 2.2),
      Vector2(back, 1.0), Vector2(back + 0.05, 0.0), Vector2(back - 0.1, -1.0), Vector2(0.55, -1.6), Vector2(0.5, -2.2),
    ]
    let apex = random.normal(mean: -1.0, deviation: 0.03)
    let sulcus = random.normal(mean: 0.95, deviation: 0.03)
    let dome = random.normal(mean: 0.42, deviation: 0.04)
    let heartTop = random.normal(mean: -0.1, deviation: 0.04)
    var outline: [Vector2] = cubicBezier(
      Vector2(0.05, apex), Vector2(-0.35, apex + 0.02), Vector2(front + 0.3, -0.6), Vector2(front + 0.28, heartTop), count: 14)
    // Along the back of the heart down to the diaphragm.
    outline += cubicBezier(
      Vector2(front + 0.28, heartTop), Vector2(-0.2, heartTop - 0.02), Vector2(0.12, 0.15), Vector2(0.15, dome + 0.05), count: 12)
      .dropFirst()
    // Diaphragm down to the posterior costophrenic sulcus, then up the posterior wall.
    let diaphragm = quadraticBezier(Vector2(0.15, dome + 0.05), Vector2(0.5, dome - 0.05), Vector2(0.78, sulcus), count: 12)
    outline += diaphragm.dropFirst()
    let posterior = cubicBezier(
      Vector2(0.78, sulcus), Vector2(0.8, 0.3), Vector2(0.72, -0.6), Vector2(0.05, apex), count: 16)
    outline += posterior.dropFirst().dropLast()
    let lung = LungShape(outline: outline, side: 0, top: apex, bottom: sulcus,
                         peripheralBorder: posterior.reversed().filter { $0.y > apex + 0.05 },
                         diaphragm: diaphragm.reversed())
    let abdomen = [Vector2(front - 0.5, dome + 0.1), Vector2(0.15, dome + 0.05)] + diaphragm.dropFirst()
      + [Vector2(back + 0.5, sulcus + 0.02), Vector2(back + 0.5, 2.5), Vector2(front - 0.5, 2.5)]
    let heart: [Vector2] = cubicBezier(
      Vector2(front + 0.2, heartTop - 0.05), Vector2(-0.2, heartTop - 0.1), Vector2(0.2, 0.15), Vector2(0.2, dome + 0.35), count: 14)
      + [Vector2(front, dome + 0.35), Vector2(front + 0.05, 0.2)]
    var vertebrae: [Vertebra] = []
    var y = -1.9 + random.uniform(0...0.2)
    while y < 2.2 {
      vertebrae.append(Vertebra(centre: Vector2(back - 0.33, y), halfWidth: 0.15, halfHeight: 0.065, pedicles: false))
      y += 0.165
    }
    var bones: [BoneStroke] = [
      BoneStroke(points: [Vector2(front + 0.32, -1.05), Vector2(front + 0.12, -0.4), Vector2(front + 0.02, 0.35)],
                 startHalfWidth: 0.05, endHalfWidth: 0.04, density: 0.18),
    ]
    for k in 0..<9 {
      let level = apex + 0.1 + 0.17 * Double(k)
      let rib = cubicBezier(Vector2(back - 0.25, level), Vector2(back - 0.6, level + 0.1), Vector2(0.0, level + 0.3),
                            Vector2(front + 0.3, level + 0.55), count: 14)
      bones.append(BoneStroke(points: rib, startHalfWidth: 0.035, endHalfWidth: 0.03, density: 0.01, startDensity: 0.06))
    }
    let airways: [(points: [Vector2], halfWidth: Double)] = [
      ([Vector2(-0.05, -2.0), Vector2(0.0, -1.0), Vector2(0.08, -0.3)], 0.06),
    ]
    return Anatomy(placement: placement, body: body, lungs: [lung], heart: heart, heartDensity: 0.2, abdomen: abdomen,
                   airways: airways, vertebrae: vertebrae, bones: bones,
                   hila: [(Vector2(0.1, -0.12), Double.pi / 2)], gastricBubble: nil)
  }
}
