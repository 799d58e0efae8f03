import Imaging
import Phantoms

/// Writes a phantom the way `isnetd synth` does: DICOM through DICOMWriter, the mask as PNG.
func writePhantom(_ phantom: Phantom, dicom path: String, mask maskPath: String? = nil) throws {
  try SyntheticDatasetWriter.writeDICOM(of: phantom, to: path)
  if let maskPath { try SyntheticDatasetWriter.writeMask(of: phantom, to: maskPath) }
}

/// A frontal spec with everything explicit.
func spec(seed: UInt64, _ condition: PhantomClass = .normal, marker: Marker? = nil, size: Int = 96,
          difficulty: Double = 0.3, acquisition: Acquisition = Acquisition()) -> PhantomSpec {
  PhantomSpec(seed: seed, condition: condition, marker: marker, width: size, height: size, difficulty: difficulty,
              acquisition: acquisition, patientNumber: Int(seed % 1000))
}

/// The indices where two renderings differ.
func differences(_ a: Phantom, _ b: Phantom) -> [Int] {
  a.image.pixels.indices.filter { a.image.pixels[$0] != b.image.pixels[$0] }
}
