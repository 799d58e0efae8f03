import DICOM
import PNG
import Screening
import Torch

/// The versions of isnetd and of the libraries it was built against.
enum BuildInfo {
  static let version = isnetdVersion

  static var versionText: String {
    """
    isnetd \(version)
    libtorch \(Torch.version)
    DCMTK \(DICOMFile.dcmtkVersion)
    libpng \(PNGImage.libpngVersion)
    """
  }
}
