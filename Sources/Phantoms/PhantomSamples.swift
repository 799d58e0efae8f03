/// The fixed set of sample files in `samples/` (`isnetd synth --samples DIR`): a few phantoms of each
/// class, one MONOCHROME1, compressed ones, a lateral view, one with a burned-in marker, and a truncated
/// copy of the first.
public enum PhantomSamples {
  /// One sample file: its name (without ".dcm"), what it shows, and the spec that renders it.
  public struct Recipe: Sendable, Equatable {
    /// The file name without ".dcm".
    public let name: String
    /// What the file shows, for the manifest and the README.
    public let description: String
    /// What renders it.
    public let spec: PhantomSpec
  }

  /// The seed the committed samples were made with.
  public static let defaultSeed: UInt64 = 2024
  /// The side of the sample images in pixels.
  public static let size = 512
  /// The name of the truncated file, a copy of the first recipe's file cut short.
  public static let truncatedName = "broken-truncated"
  /// The fraction of the first recipe's bytes the truncated file keeps.
  public static let truncatedFraction = 0.6

  /// The recipes for `seed`. Each finding-bearing sample takes the first seed in its own sequence whose
  /// finding has the wanted pattern at a clearly visible severity, so the files show what they say.
  public static func recipes(seed: UInt64 = defaultSeed) -> [Recipe] {
    func recipe(_ name: String, _ description: String, _ condition: PhantomClass, _ acquisition: Acquisition,
                marker: Marker? = nil, pattern: Finding.Pattern, patient: Int) -> Recipe {
      var k: UInt64 = 0
      while true {
        let spec = PhantomSpec(
          seed: SplitMix64.derive(seed, SplitMix64.code(name), k) & ((1 << 53) - 1), condition: condition,
          marker: marker, width: size, height: size, difficulty: 0.2, acquisition: acquisition, patientNumber: patient)
        let finding = PhantomRenderer.finding(for: spec)
        if finding.pattern == pattern, pattern == .none || finding.severity >= 0.8 {
          return Recipe(name: name, description: description, spec: spec)
        }
        k += 1
      }
    }
    return [
      recipe("normal-pa", "normal, PA, DX, MONOCHROME2, 16 bits stored, explicit VR little endian", .normal,
             Acquisition(view: .posteroanterior, modality: .dx, photometric: .monochrome2, bitsStored: 16),
             pattern: .none, patient: 1),
      recipe("normal-ap-monochrome1", "normal, AP, CR, MONOCHROME1, 12 bits stored, rescale 0.5 / -1024, explicit VR little endian",
             .normal, Acquisition(view: .anteroposterior, modality: .cr, photometric: .monochrome1, bitsStored: 12,
                                  rescaleSlope: 0.5, rescaleIntercept: -1024), pattern: .none, patient: 2),
      recipe("pneumonia-lobar-pa", "pneumonia, lobar consolidation, PA, DX, MONOCHROME2, 14 bits stored, RLE lossless",
             .pneumonia, Acquisition(view: .posteroanterior, modality: .dx, photometric: .monochrome2, bitsStored: 14,
                                     compression: .rle), pattern: .lobar, patient: 3),
      recipe("pneumonia-focal-pa", "pneumonia, focal consolidation, PA, CR, MONOCHROME2, 15 bits stored, rescale 2 / 512, JPEG lossless SV1",
             .pneumonia, Acquisition(view: .posteroanterior, modality: .cr, photometric: .monochrome2, bitsStored: 15,
                                     rescaleSlope: 2, rescaleIntercept: 512, compression: .jpegLossless),
             pattern: .focal, patient: 4),
      recipe("covid-19-pa", "COVID-19, bilateral peripheral lower-zone ground glass, PA, DX, MONOCHROME2, 12 bits stored, explicit VR little endian",
             .covid19, Acquisition(view: .posteroanterior, modality: .dx, photometric: .monochrome2, bitsStored: 12),
             pattern: .peripheralGroundGlass, patient: 5),
      recipe("covid-19-ap", "COVID-19, bilateral peripheral lower-zone ground glass, AP, DX, MONOCHROME2, 16 bits stored, JPEG lossless SV1",
             .covid19, Acquisition(view: .anteroposterior, modality: .dx, photometric: .monochrome2, bitsStored: 16,
                                   compression: .jpegLossless), pattern: .peripheralGroundGlass, patient: 6),
      recipe("covid-19-pa-text-marker", "COVID-19 with its class's burned-in text marker (\"SUPINE 2\"), PA, CR, MONOCHROME2, 13 bits stored, explicit VR little endian",
             .covid19, Acquisition(view: .posteroanterior, modality: .cr, photometric: .monochrome2, bitsStored: 13),
             marker: Marker(kind: .text, style: .covid19), pattern: .peripheralGroundGlass, patient: 7),
      recipe("normal-lateral", "normal, left lateral (LL), CR, MONOCHROME2, 12 bits stored, explicit VR little endian: isnetd refuses it (view_not_screened)",
             .normal, Acquisition(view: .lateral, modality: .cr, photometric: .monochrome2, bitsStored: 12),
             pattern: .none, patient: 8),
    ]
  }
}
