internal import CDCMTK

extension DICOMFile {
  /// Writes a copy of this file to `path` in the encapsulated transfer syntax `transferSyntaxUID`,
  /// its Pixel Data replaced by an empty Basic Offset Table and one fragment per frame, through DCMTK.
  /// For fixtures and benchmarks: it wraps frames some other encoder compressed (JPEG 2000 from
  /// OpenJPEG, say) without checking them.
  public func writeEncapsulatedCopy(to path: String, transferSyntaxUID: String, frames: [[UInt8]]) throws(DICOMError) {
    var status = CDcmStatus()
    let buffers = frames.map { frame in
      let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(frame.count, 1))
      _ = buffer.initialize(from: frame)
      return buffer
    }
    defer { buffers.forEach { $0.deallocate() } }
    let pointers: [UnsafePointer<UInt8>?] = buffers.map { UnsafePointer($0.baseAddress) }
    cdcm_save_encapsulated(handle, transferSyntaxUID, pointers, frames.map(\.count), UInt32(frames.count), path, &status)
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "writing \(path)") }
  }
}
