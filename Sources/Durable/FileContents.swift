/// The bytes of a regular file no larger than a limit, read through ``RegularFile`` (so a FIFO in its
/// place is refused, not waited on). Foundation's `Data(contentsOf:)` follows a FIFO into a blocking
/// read and leaks its 4 KiB buffer on an empty file, found by LeakSanitizer while fuzzing checkpoints.
public enum FileContents {
  /// Why a file could not be read, in words, naming the file.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    public let description: String
  }

  public static func read(_ path: String, limit: Int? = nil) throws(Failure) -> [UInt8] {
    do {
      let file = try RegularFile(path: path)
      if let limit, file.size > limit {
        throw Failure(description: "\(path) holds \(file.size) bytes, more than the \(limit) it may have")
      }
      var bytes = [UInt8](repeating: 0, count: file.size)
      var filled = 0
      while filled < file.size {
        let count = try bytes.withUnsafeMutableBytes { buffer throws(RegularFile.Failure) in
          try file.read(at: filled, into: buffer.baseAddress! + filled, count: buffer.count - filled)
        }
        if count == 0 { break }  // the file shrank while being read
        filled += count
      }
      return Array(bytes.prefix(filled))
    } catch let failure as Failure {
      throw failure
    } catch let failure as RegularFile.Failure {
      throw Failure(description: failure.isNotRegular ? "\(path) is not a regular file" : "cannot read \(path): \(failure)")
    } catch {
      throw Failure(description: "cannot read \(path): \(error)")
    }
  }
}
