import Foundation

/// What a phantom's lungs show, as drawn: the pattern, how strong, where.
public struct Finding: Sendable, Codable, Equatable {
  /// The pattern of opacities.
  public enum Pattern: String, Sendable, Codable, CaseIterable {
    /// Clear lungs.
    case none
    /// A normal phantom with one faint, benign-looking density (difficulty above 0 only).
    case lookAlike = "look-alike"
    /// Pneumonia: one lobe consolidated, with a sharp fissure border and air bronchograms.
    case lobar
    /// Pneumonia: one to three dense patches in one lung.
    case focal
    /// Pneumonia, atypical: several dense patches in both lungs.
    case multifocal
    /// COVID-19: ground glass in the periphery of both lower zones.
    case peripheralGroundGlass = "peripheral-ground-glass"
    /// COVID-19, atypical: ground glass in one lung, any zone.
    case atypicalGroundGlass = "atypical-ground-glass"
  }

  /// What the opacities look like.
  public var pattern: Pattern
  /// How strongly the opacities replace lung air, relative to a typical case (1); 0 is invisible.
  public var severity: Double
  /// The lungs involved: "right", "left" (patient sides), or "both" for a lateral view.
  public var lungs: [String]
  /// The lobe of a lobar consolidation ("right-upper", "right-middle", "right-lower", "left-upper",
  /// "left-lower").
  public var lobe: String?
}

/// One opacity in anatomical units: the fraction of lung air it replaces at its centre.
enum Lesion: Sendable {
  /// A soft round patch, Gaussian with standard deviation `radius`.
  case patch(centre: Vector2, radius: Double, fill: Double, lung: Int)
  /// A consolidated lobe of lung `lung`.
  case lobe(Lobe, fill: Double, lung: Int)
  /// An air bronchogram: an airway kept dark inside a consolidation.
  case bronchogram(points: [Vector2], halfWidth: Double)
}

/// The lobes a lobar consolidation can fill, by how they project on a frontal view.
enum Lobe: String, Sendable {
  case rightUpper = "right-upper", rightMiddle = "right-middle", rightLower = "right-lower"
  case leftUpper = "left-upper", leftLower = "left-lower"

  /// The share of the lobe at anatomical point `p` (1 inside, 0 outside), with a sharp border along the
  /// horizontal fissure at height `fissure` and soft borders elsewhere.
  func weight(at p: Vector2, fissure: Double) -> Double {
    let sharp = smoothstep(fissure - 0.012, fissure + 0.012, p.y)
    switch self {
    case .rightUpper: return 1 - sharp
    case .rightMiddle: return sharp * (1 - smoothstep(0.45, 0.7, abs(p.x))) * (1 - smoothstep(0.55, 0.75, p.y))
    case .rightLower, .leftLower: return smoothstep(0.12, 0.4, p.y)
    case .leftUpper: return 1 - smoothstep(0.0, 0.3, p.y)
    }
  }
}

/// Draws a finding for a class: what it looks like, how strong and how typical, as the difficulty says.
///
/// With difficulty `d`:
/// - severity is normal with mean 1 − 0.7d and deviation 0.1 + 0.3d, clamped to [0, 1.2]: at the
///   default 0.5 about 1 % of findings are practically invisible (severity below 0.05) and one in six is
///   faint (below 0.4); at 1, about 30 % are below 0.1;
/// - with probability 0.3d a finding is atypical (pneumonia multifocal in both lungs, COVID-19 ground
///   glass in one lung, any zone);
/// - with probability 0.5d a normal phantom gets a faint look-alike density.
enum FindingGenerator {
  static func draw(_ condition: PhantomClass, difficulty d: Double, anatomy: Anatomy, random: inout SplitMix64)
    -> (Finding, [Lesion])
  {
    let severity = min(1.2, max(0, random.normal(mean: 1 - 0.7 * d, deviation: 0.1 + 0.3 * d)))
    let atypical = random.chance(0.3 * d)
    let lungs = anatomy.lungs
    let name = { (index: Int) -> String in
      switch lungs[index].side { case -1: "right"; case 1: "left"; default: "both" }
    }
    var lesions: [Lesion] = []
    switch condition {
    case .normal:
      guard random.chance(0.5 * d) else { return (Finding(pattern: .none, severity: 0, lungs: []), []) }
      let lung = random.integer(0...(lungs.count - 1))
      let fill = random.uniform(0.08...0.2)
      lesions.append(.patch(centre: point(in: lungs[lung], random: &random), radius: random.uniform(0.06...0.12),
                            fill: fill, lung: lung))
      return (Finding(pattern: .lookAlike, severity: fill, lungs: [name(lung)]), lesions)

    case .pneumonia:
      if atypical {
        var involved: Set<Int> = []
        for _ in 0..<random.integer(3...5) {
          let lung = random.integer(0...(lungs.count - 1))
          involved.insert(lung)
          lesions.append(.patch(centre: point(in: lungs[lung], random: &random), radius: random.uniform(0.05...0.1),
                                fill: 0.75 * severity, lung: lung))
        }
        return (Finding(pattern: .multifocal, severity: severity, lungs: involved.sorted().map(name)), lesions)
      }
      let lung = random.integer(0...(lungs.count - 1))
      let shape = lungs[lung]
      if random.chance(0.6) {
        let lobes: [Lobe] = shape.side < 0 ? [.rightUpper, .rightMiddle, .rightLower] : [.leftUpper, .leftLower]
        let lobe = random.pick(lobes)
        let fill = min(0.95, 0.85 * severity)
        lesions.append(.lobe(lobe, fill: fill, lung: lung))
        // Air bronchograms: a few short dark branches inside the lobe.
        for _ in 0..<random.integer(2...4) {
          var p = point(in: shape, random: &random) { lobe.weight(at: $0, fissure: fissure(shape)) > 0.8 }
          var angle = random.uniform(0...(2 * Double.pi))
          var points = [p]
          for _ in 0..<3 {
            angle += random.uniform(-0.4...0.4)
            p = p + Vector2(cos(angle), sin(angle)) * 0.06
            points.append(p)
          }
          lesions.append(.bronchogram(points: points, halfWidth: 0.016))
        }
        return (Finding(pattern: .lobar, severity: severity, lungs: [name(lung)], lobe: lobe.rawValue), lesions)
      }
      let centre = point(in: shape, random: &random)
      for _ in 0..<random.integer(1...3) {
        let offset = Vector2(random.normal(mean: 0, deviation: 0.06), random.normal(mean: 0, deviation: 0.06))
        lesions.append(.patch(centre: centre + offset, radius: random.uniform(0.07...0.14), fill: 0.85 * severity, lung: lung))
      }
      return (Finding(pattern: .focal, severity: severity, lungs: [name(lung)]), lesions)

    case .covid19:
      if atypical {
        let lung = random.integer(0...(lungs.count - 1))
        for _ in 0..<random.integer(1...3) {
          lesions.append(.patch(centre: point(in: lungs[lung], random: &random), radius: random.uniform(0.1...0.2),
                                fill: 0.55 * severity, lung: lung))
        }
        return (Finding(pattern: .atypicalGroundGlass, severity: severity, lungs: [name(lung)]), lesions)
      }
      for (index, shape) in lungs.enumerated() {
        for _ in 0..<random.integer(2...4) {
          let radius = random.uniform(0.1...0.2)
          let lower = shape.top + 0.55 * (shape.bottom - shape.top)
          let y = random.uniform(lower...(shape.bottom - 0.08))
          let edge = shape.peripheralX(at: y)
          let inward = edge > 0 || shape.side == 0 ? -1.0 : 1.0
          let x = edge + inward * random.uniform(0.3...0.9) * radius
          lesions.append(.patch(centre: Vector2(x, y), radius: radius, fill: 0.55 * severity, lung: index))
        }
      }
      return (Finding(pattern: .peripheralGroundGlass, severity: severity, lungs: lungs.indices.map(name)), lesions)
    }
  }

  /// The height of the horizontal fissure of a lung.
  static func fissure(_ lung: LungShape) -> Double {
    lung.top + 0.5 * (lung.bottom - lung.top)
  }

  /// A point inside `lung` (and satisfying `accept`, when it can be found in a few hundred tries),
  /// uniformly by rejection from the lung's bounding box.
  static func point(in lung: LungShape, random: inout SplitMix64, where accept: (Vector2) -> Bool = { _ in true })
    -> Vector2
  {
    let xs = lung.outline.map(\.x)
    var fallback: Vector2?
    for _ in 0..<400 {
      let p = Vector2(random.uniform(xs.min()!...xs.max()!), random.uniform(lung.top...lung.bottom))
      guard lung.contains(p) else { continue }
      if accept(p) { return p }
      if fallback == nil { fallback = p }
    }
    return fallback ?? Vector2((xs.min()! + xs.max()!) / 2, (lung.top + lung.bottom) / 2)
  }
}
