import DICOM
import Foundation
import PNG
import Imaging
import Phantoms

/// Writes a phantom the way `isnetd synth` does: DICOM through DICOMWriter, the mask as PNG.
func writePhantom(_ phantom: Phantom, dicom path: String, mask maskPath: String? = nil) throws {
  let spec = phantom.spec
  let acquisition = spec.acquisition
  let attributes = Dictionary(uniqueKeysWithValues: phantom.attributes.map { (Tag($0.group, $0.element), $0.value) })
  let pixels = DICOMWriter.Pixels(
    columns: spec.width, rows: spec.height, bitsStored: acquisition.bitsStored,
    photometric: acquisition.photometric == .monochrome1 ? .monochrome1 : .monochrome2, samples: phantom.storedValues)
  let encoding = DICOMWriter.Encoding(transferSyntaxUID: acquisition.compression.transferSyntaxUID)!
  try DICOMWriter(attributes: attributes).write(pixels, to: path, encoding: encoding)
  if let maskPath {
    let png = try PNGImage(width: spec.width, height: spec.height, format: .gray, pixels: phantom.maskBytes)
    try Data(png.encoded()).write(to: URL(fileURLWithPath: maskPath))
  }
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
