/// The classes a phantom can show, with the folder names isnetd's labelled-data layout uses.
public enum PhantomClass: String, Sendable, Codable, CaseIterable, Comparable {
  /// No finding.
  case normal
  /// Focal or lobar consolidation.
  case pneumonia
  /// Bilateral, peripheral, lower-zone ground-glass opacities.
  case covid19 = "covid-19"

  /// The position of the class in ``allCases``: it picks the marker style of the class.
  var ordinal: Int { Self.allCases.firstIndex(of: self)! }

  /// Classes order as ``allCases``: normal, pneumonia, covid-19.
  public static func < (a: PhantomClass, b: PhantomClass) -> Bool { a.ordinal < b.ordinal }
}

/// The projection of a phantom: View Position (0018,5101).
public enum View: String, Sendable, Codable, CaseIterable {
  /// Posteroanterior, the standard erect chest radiograph.
  case posteroanterior = "PA"
  /// Anteroposterior (portable, supine): the heart projects larger and the clavicles higher.
  case anteroposterior = "AP"
  /// Left lateral, drawn crudely: for files the acceptance rules must turn away.
  case lateral = "LL"

  /// Whether the view is frontal (PA or AP).
  public var isFrontal: Bool { self != .lateral }
}

/// A kind of background marker: something outside the lungs a classifier can learn instead of the
/// lungs. Each class has its own style and place for every kind.
public enum MarkerKind: String, Sendable, Codable, CaseIterable {
  /// A laterality letter ("R" or "L") in a corner.
  case laterality
  /// Burned-in text ("ERECT", "PORTABLE", "SUPINE 2").
  case text
  /// A device or tag: a filled rectangle, a frame, or an electrode disc.
  case tag
  /// Collimation borders: bright bands on two sides, or cut corners.
  case collimation
  /// A noise signature: a faint periodic pattern (vertical, horizontal or checkered) over the whole
  /// background.
  case noiseSignature = "noise-signature"
}

/// A background marker on one phantom: the kind, drawn in the style and place of class `style`.
public struct Marker: Sendable, Codable, Equatable, Hashable {
  /// What is drawn.
  public var kind: MarkerKind
  /// The class whose marker this is (not necessarily the phantom's class).
  public var style: PhantomClass

  /// The marker of `kind` in the style of class `style`.
  public init(kind: MarkerKind, style: PhantomClass) {
    self.kind = kind
    self.style = style
  }
}

/// Everything that determines one phantom. Rendering the same spec gives the same pixels and the same
/// DICOM attributes, on every run.
///
/// The seed feeds independent streams (anatomy, finding, exposure and noise, marker placement), so two
/// specs that differ only in `condition` show the same anatomy, and differ only inside the lungs; two
/// that differ only in `marker` differ only outside them.
public struct PhantomSpec: Sendable, Codable, Equatable, Hashable {
  /// The seed of every random choice of the phantom.
  public var seed: UInt64
  /// The class, which decides the finding.
  public var condition: PhantomClass
  /// The background marker, or nil for none.
  public var marker: Marker?
  /// Image size in pixels (Columns, Rows).
  public var width: Int
  public var height: Int
  /// 0 (findings always obvious) to 1 (often faint, atypical, with look-alikes in normals); see
  /// ``FindingGenerator``.
  public var difficulty: Double
  /// View, modality, pixel encoding and transfer syntax.
  public var acquisition: Acquisition
  /// The n of the fake patient "PHANTOM^n".
  public var patientNumber: Int

  /// A spec; traps on a side outside 32...8192, a difficulty outside [0, 1] or a negative patient number.
  public init(seed: UInt64, condition: PhantomClass, marker: Marker? = nil, width: Int = 256, height: Int = 256,
              difficulty: Double = 0.5, acquisition: Acquisition = Acquisition(), patientNumber: Int = 1) {
    precondition(width >= 32 && height >= 32 && width <= 8192 && height <= 8192, "phantoms are 32 to 8192 pixels a side")
    precondition((0...1).contains(difficulty), "difficulty is in [0, 1]")
    precondition(patientNumber >= 0, "patient numbers are not negative")
    self.seed = seed
    self.condition = condition
    self.marker = marker
    self.width = width
    self.height = height
    self.difficulty = difficulty
    self.acquisition = acquisition
    self.patientNumber = patientNumber
  }

  /// The seed of one independent stream of this spec.
  func stream(_ name: String) -> SplitMix64 {
    SplitMix64(seed: SplitMix64.derive(seed, SplitMix64.code(name)))
  }
}
