internal import CCharLS

/// JPEG-LS frames: their bytes come out of the encapsulated pixel data through DCMTK, CharLS 2 decodes
/// them. DCMTK 3.6.7 embeds a fork of CharLS 1.0 whose assertions abort the process on damaged
/// codestreams (fuzzing hit `JlsContext::UpdateVariables` within seconds); CharLS 2 reports every
/// damage as an error code.
enum JPEGLS {
  /// CharLS's version ("2.4.1").
  static var charLSVersion: String { String(cString: charls_get_version_string()) }

  /// The stored values of frame 0.
  static func firstFrame(of file: DICOMFile, module: PixelModule, items: Int) throws(DICOMError) -> StoredSamples {
    let codestream = try file.firstFrameCodestream(items: items, frames: module.frames, codestreamStart: [0xFF, 0xD8])
    guard !codestream.isEmpty else { throw DICOMError(.corruptPixelData, "JPEG-LS frame 0 holds no data") }
    // CharLS reads from the codestream until decoding ends, so all of it happens inside one access.
    return try codestream.withUnsafeBytes { bytes in
      Result { () throws(DICOMError) in try decode(bytes, module: module) }
    }.get()
  }

  private static func decode(_ codestream: UnsafeRawBufferPointer, module: PixelModule) throws(DICOMError)
    -> StoredSamples
  {
    guard let decoder = charls_jpegls_decoder_create() else {
      throw DICOMError(.corruptPixelData, "CharLS could not create a JPEG-LS decoder")
    }
    defer { charls_jpegls_decoder_destroy(decoder) }
    func check(_ result: charls_jpegls_errc, _ step: String) throws(DICOMError) {
      guard result == CHARLS_JPEGLS_ERRC_SUCCESS else {
        throw DICOMError(.corruptPixelData, "JPEG-LS frame 0, \(step): \(String(cString: charls_get_error_message(result)))")
      }
    }
    var frame = charls_frame_info()
    var interleave = CHARLS_INTERLEAVE_MODE_NONE
    var size = 0
    try check(charls_jpegls_decoder_set_source_buffer(decoder, codestream.baseAddress!, codestream.count), "reading")
    try check(charls_jpegls_decoder_read_header(decoder), "reading the header")
    try check(charls_jpegls_decoder_get_frame_info(decoder, &frame), "reading the frame header")
    try check(charls_jpegls_decoder_get_interleave_mode(decoder, &interleave), "reading the interleave mode")
    // The size the codestream declares must be the dataset's before anything is allocated for it.
    let sampleBytes = frame.bits_per_sample <= 8 ? 1 : 2
    guard Int(frame.width) == module.columns, Int(frame.height) == module.rows,
      Int(frame.component_count) == module.samplesPerPixel, sampleBytes * 8 == module.bitsAllocated
    else {
      throw DICOMError(.corruptPixelData, "the JPEG-LS codestream is \(frame.width) x \(frame.height) with "
        + "\(frame.component_count) component(s) of \(frame.bits_per_sample) bits; the dataset says "
        + "\(module.columns) x \(module.rows) with \(module.samplesPerPixel) of \(module.bitsAllocated) bits allocated")
    }
    try check(charls_jpegls_decoder_get_destination_size(decoder, 0, &size), "sizing the frame")
    guard size > 0 else { throw DICOMError(.corruptPixelData, "JPEG-LS frame 0 decodes to no samples") }
    var failure = CHARLS_JPEGLS_ERRC_SUCCESS
    let samples = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      failure = charls_jpegls_decoder_decode_to_buffer(decoder, buffer.baseAddress!, buffer.count, 0)
      if failure != CHARLS_JPEGLS_ERRC_SUCCESS { buffer.initialize(repeating: 0) }
      initialized = buffer.count
    }
    try check(failure, "decoding")
    // CharLS delivers colour planes one after the other only for interleave mode none.
    let planar = module.samplesPerPixel > 1 && interleave == CHARLS_INTERLEAVE_MODE_NONE
    return try SampleLayout(module: module, bigEndian: false, photometric: module.photometric, planar: planar)
      .samples(of: samples)
  }
}
