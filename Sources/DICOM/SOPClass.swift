internal import CDCMTK

/// SOP class knowledge taken from DCMTK.
public enum SOPClass {
  public static let computedRadiography = "1.2.840.10008.5.1.4.1.1.1"
  public static let digitalXRayForPresentation = "1.2.840.10008.5.1.4.1.1.1.1"
  public static let digitalXRayForProcessing = "1.2.840.10008.5.1.4.1.1.1.1.1"

  /// DCMTK's name of `uid` ("CRImageStorage"), or nil when it has none.
  public static func name(of uid: String) -> String? {
    cdcm_uid_name(uid).map { String(cString: $0) }
  }

  /// Whether `uid` is an image storage SOP class (DCMTK's list of them).
  public static func isImage(_ uid: String) -> Bool {
    cdcm_is_image_sop_class(uid)
  }
}
