internal import CDCMTK
internal import COpenJPEG

/// JPEG 2000 frames: their bytes come out of the encapsulated pixel data through DCMTK, OpenJPEG
/// decodes them.
enum JPEG2000 {
  /// OpenJPEG's version ("2.5.0").
  static var openJPEGVersion: String { String(cString: copj_version()) }

  /// The stored values of frame 0.
  static func firstFrame(of file: DICOMFile, module: PixelModule, items: Int, threads: Int)
    throws(DICOMError) -> (samples: StoredSamples, warnings: [String])
  {
    let codestream = try file.firstFrameCodestream(items: items, frames: module.frames,
                                                  codestreamStart: [0xFF, 0x4F, 0xFF, 0x51])
    try CodestreamCheck.jpeg2000(codestream, module: module)
    let format: COpjFormat = codestream.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) ? COPJ_JP2 : COPJ_CODESTREAM
    var status = COpjStatus()
    let decoded = codestream.withUnsafeBufferPointer { buffer in
      copj_decode(buffer.baseAddress, buffer.count, format, UInt32(module.columns), UInt32(module.rows),
                  UInt32(Swift.max(1, threads)), &status)
    }
    guard let decoded else {
      let text = withUnsafeBytes(of: status.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      throw DICOMError(.corruptPixelData, "JPEG 2000 frame 0: \(text)")
    }
    defer { copj_free(decoded) }
    return try samples(of: decoded, module: module)
  }

  /// Turns OpenJPEG's components into channels. As pydicom does, a monochrome codestream whose
  /// signedness differs from Pixel Representation is reinterpreted: its low `precision` bits are read
  /// with the signedness Pixel Representation declares.
  private static func samples(of image: OpaquePointer, module: PixelModule)
    throws(DICOMError) -> (samples: StoredSamples, warnings: [String])
  {
    let width = Int(copj_width(image))
    let height = Int(copj_height(image))
    guard width == module.columns, height == module.rows else {
      throw DICOMError(.corruptPixelData, "the JPEG 2000 codestream is \(width) x \(height), "
        + "the dataset says \(module.columns) x \(module.rows)")
    }
    let components = Int(copj_component_count(image))
    guard components >= module.samplesPerPixel else {
      throw DICOMError(.corruptPixelData,
                       "the JPEG 2000 codestream has \(components) component(s), \(module.samplesPerPixel) expected")
    }
    var warnings: [String] = []
    var channels: [[Float]] = []
    for index in 0..<module.samplesPerPixel {
      var component = COpjComponent()
      _ = copj_component(image, UInt32(index), &component)
      let precision = Int(component.precision)
      guard precision >= 1, precision <= 32, component.dx >= 1, component.dy >= 1 else {
        throw DICOMError(.corruptPixelData, "JPEG 2000 component \(index) has precision \(precision)")
      }
      let reinterpret = module.photometric.isMonochrome && component.is_signed != module.isSigned
      if reinterpret {
        warnings.append("the JPEG 2000 codestream is \(component.is_signed ? "signed" : "unsigned"), "
          + "Pixel Representation says \(module.isSigned ? "signed" : "unsigned"); read as Pixel Representation says")
      }
      // Colour codestreams keep pydicom's unused-bit correction: values are masked to Bits Stored.
      let maskToStored = !module.photometric.isMonochrome && module.bitsAllocated > module.bitsStored
      let bits = maskToStored ? module.bitsStored : precision
      let mask: Int64 = bits >= 63 ? -1 : (1 << Int64(bits)) - 1
      let signBit: Int64 = 1 << Int64(bits - 1)
      let wantSigned = module.isSigned
      let data = component.data!
      let componentWidth = Int(component.width)
      let dx = Int(component.dx)
      let dy = Int(component.dy)
      let rows = module.rows
      let columns = module.columns
      var channel = [Float](repeating: 0, count: module.pixelCount)
      channel.withUnsafeMutableBufferPointer { output in
        for y in 0..<rows {
          let sourceRow = (y / dy) * componentWidth
          for x in 0..<columns {
            var value = Int64(data[sourceRow + x / dx])
            if reinterpret || maskToStored {
              value &= mask
              if wantSigned && value & signBit != 0 { value -= signBit << 1 }
            }
            output[y * columns + x] = Float(value)
          }
        }
      }
      channels.append(channel)
    }
    // YBR_RCT and YBR_ICT name the component transform the codestream applies, which OpenJPEG inverts
    // while decoding (PS3.5 A.4.4): the components come out as R, G, B, as pydicom also reads them.
    let photometric: Photometric = module.photometric.isMonochrome || module.photometric == .palette
      ? module.photometric : .rgb
    return (StoredSamples(channels: channels, photometric: photometric), warnings)
  }
}
