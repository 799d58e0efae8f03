import DICOM
import PNG
import Torch

/// The versions of isnetd and of the libraries it was built against.
enum BuildInfo {
  static let version = "0.1.0-dev"

  static var versionText: String {
    """
    isnetd \(version)
    libtorch \(Torch.version)
    DCMTK \(DICOMFile.dcmtkVersion)
    libpng \(PNGImage.libpngVersion)
    """
  }
}
