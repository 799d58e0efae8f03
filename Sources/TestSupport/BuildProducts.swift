import Foundation

/// Executables built beside the running test binary (the products folder of `swift build --build-tests`).
public enum BuildProducts {
  /// The path of the built product `name`, e.g. "isnetd" (the file need not exist; callers check).
  public static func executable(_ name: String) -> String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
  }
}
