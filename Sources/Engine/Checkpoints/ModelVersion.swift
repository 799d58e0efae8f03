public import Foundation

/// Model and bundle version strings: "20261129T105501Z-selective", the UTC creation time and what was
/// made. Sortable, unique per run, and they say what they name.
public enum ModelVersion {
  public static func make(_ kind: String, at date: Date = Date()) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return "\(formatter.string(from: date))-\(kind)"
  }
}
