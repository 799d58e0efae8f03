public import Imaging

/// One attribute of a phantom's DICOM header: tag, keyword and value as a DICOM string (several values
/// separated by "\"). The Image Pixel module is not among them: it follows from the stored values.
public struct HeaderAttribute: Sendable, Equatable {
  /// The tag: group and element numbers.
  public let group: UInt16
  public let element: UInt16
  /// The DICOM keyword ("Modality"), for reading.
  public let keyword: String
  /// The value as a DICOM string; empty for an empty (type 2) element.
  public let value: String

  /// An attribute of tag (`group`, `element`).
  public init(group: UInt16, element: UInt16, keyword: String, value: String) {
    self.group = group
    self.element = element
    self.keyword = keyword
    self.value = value
  }
}

/// A rendered phantom: the image, its exact lung mask, the stored values and DICOM header of its file.
public struct Phantom: Sendable {
  /// What was rendered.
  public let spec: PhantomSpec
  /// What the lungs show, as drawn.
  public let finding: Finding
  /// The rendering before quantisation: display values in [0, 1], MONOCHROME2 polarity (bright is
  /// dense), ``PhantomSpec/width`` x ``PhantomSpec/height``.
  public let image: GrayImage
  /// The lung mask, row-major, same geometry: 1 where the pixel centre is inside a lung outline, else 0.
  public let lungMask: [UInt8]
  /// The lung model in pixels: the mask is exactly the pixels whose centres these polygons contain.
  public let lungOutlines: [Polygon]
  /// The samples of the file, row-major: unsigned, below 2^bitsStored, in the file's photometric
  /// interpretation.
  public let storedValues: [UInt16]
  /// Window Center and Window Width in the file's modality units and polarity.
  public let window: (center: Double, width: Double)
  /// The DICOM header besides the Image Pixel module.
  public let attributes: [HeaderAttribute]

  /// What isnetd's DICOM input decodes from the file: modality values (stored × slope + intercept, exact
  /// in Float32 for the slopes and intercepts phantoms use), MONOCHROME1 inverted around the sum of the
  /// lowest and highest possible modality value.
  public var modalityImage: GrayImage {
    let acquisition = spec.acquisition
    let slope = Float(acquisition.rescaleSlope)
    let intercept = Float(acquisition.rescaleIntercept)
    let pivot = 2 * intercept + Float(acquisition.maximumStored) * slope
    let invert = acquisition.photometric == .monochrome1
    let values = storedValues.map { stored -> Float in
      let value = Float(stored) * slope + intercept
      return invert ? pivot - value : value
    }
    return GrayImage(width: spec.width, height: spec.height, pixels: values)
  }

  /// The lung mask as an 8-bit grey image: 255 on the lungs, 0 elsewhere (isnetd reads > 127 as lungs).
  public var maskBytes: [UInt8] { lungMask.map { $0 == 0 ? 0 : 255 } }

  /// The number of lung pixels.
  public var lungPixelCount: Int { lungMask.reduce(0) { $0 + Int($1) } }
}
