internal import CDCMTK
public import Imaging

/// Limits and knobs of decoding. Every limit is checked before anything is allocated for the pixels.
public struct DecodeOptions: Sendable, Equatable, Codable {
  /// The most pixels (Rows x Columns x frames) a file may declare; larger files are refused with
  /// `too_large`. The default (100 million) admits any radiograph and multi-frame objects up to about
  /// 200 MB of 16-bit samples.
  public var maximumPixelCount: Int
  /// The most memory decoding one frame may take, as ``PixelModule/decodeBytes`` estimates it (stored
  /// samples, their Float values and the gray image); larger frames are refused with `too_large`. The
  /// default (512 MiB) admits a 16-bit chest radiograph of 40 megapixels and refuses a 10,000 x 10,000
  /// RGB image of 32-bit samples (2.8 GB).
  public var maximumDecodeBytes: Int
  /// Worker threads OpenJPEG may use for one JPEG 2000 frame (1: the calling thread only).
  public var jpeg2000Threads: Int
  /// Bounds on the file's element structure, checked before DCMTK parses it.
  public var structure: StructureLimits

  public init(maximumPixelCount: Int = 100_000_000, maximumDecodeBytes: Int = 512 << 20, jpeg2000Threads: Int = 1,
              structure: StructureLimits = StructureLimits()) {
    self.maximumPixelCount = maximumPixelCount
    self.maximumDecodeBytes = maximumDecodeBytes
    self.jpeg2000Threads = jpeg2000Threads
    self.structure = structure
  }
}

/// The first frame of a DICOM image as gray values: modality values (Modality LUT or rescale applied
/// in Float32) in MONOCHROME2 polarity, or the luminance of a colour image.
public struct DICOMImage: Sendable {
  public let metadata: DICOMMetadata
  /// The gray values, `columns` wide and `rows` high.
  public let image: GrayImage
  /// The modality transform that was applied (``ModalityTransform/identity`` for colour images).
  public let modalityTransform: ModalityTransform
  /// For MONOCHROME1 images: the values are `pivot − m` for modality value `m`, where `pivot` is the
  /// sum of the smallest and largest modality value the stored bits allow, so the range is kept and
  /// high values are bright. nil when nothing was inverted.
  public let inversionPivot: Float?
  /// The values the image can take given its stored bits (not the values it does take).
  public let valueRange: ClosedRange<Float>
  /// The photometric interpretation of a colour image turned into luminance; nil for monochrome.
  public let convertedColour: String?
  /// The VOI windows and LUTs the file suggests, in its own units and polarity.
  public let voi: VOI
  /// Oddities met and handled while decoding, for logs and reports.
  public let warnings: [String]

  public var rows: Int { image.height }
  public var columns: Int { image.width }
  /// The values, row-major.
  public var values: [Float] { image.pixels }
  /// The smallest and largest value the image does take.
  public var extent: ClosedRange<Float> { image.range }

  /// Opens `path` and decodes its first frame.
  public init(contentsOf path: String, options: DecodeOptions = DecodeOptions()) throws(DICOMError) {
    self = try DICOMFile(path: path, limits: options.structure).decodeFirstFrame(options: options)
  }

  init(metadata: DICOMMetadata, image: GrayImage, modalityTransform: ModalityTransform, inversionPivot: Float?,
       valueRange: ClosedRange<Float>, convertedColour: String?, voi: VOI, warnings: [String]) {
    self.metadata = metadata
    self.image = image
    self.modalityTransform = modalityTransform
    self.inversionPivot = inversionPivot
    self.valueRange = valueRange
    self.convertedColour = convertedColour
    self.voi = voi
    self.warnings = warnings
  }
}

extension DICOMFile {
  /// Decodes the first frame into gray values. Checks, in order: pixel data present, transfer syntax
  /// decodable, Image Pixel module complete, size within `options.maximumPixelCount`, values
  /// consistent, photometric interpretation supported; then reads only frame 0.
  public func decodeFirstFrame(options: DecodeOptions = DecodeOptions()) throws(DICOMError) -> DICOMImage {
    try decodeFirstFrame(options: options, rowsTo: { _, _ in IgnoredRows() }).image
  }

  /// Decodes the first frame as ``decodeFirstFrame(options:)`` does and hands its gray values, in
  /// order and each row once, to the consumer `makeConsumer` makes for the image's columns and rows.
  /// Uncompressed monochrome frames arrive a strip of rows at a time as they are converted, still in
  /// cache; other frames arrive whole once decoded.
  public func decodeFirstFrame<Consumer: GrayRowConsumer>(
    options: DecodeOptions = DecodeOptions(), rowsTo makeConsumer: (_ columns: Int, _ rows: Int) -> Consumer
  ) throws(DICOMError) -> (image: DICOMImage, consumer: Consumer) {
    let metadata = try metadata()
    let elements = dataset
    var status = CDcmStatus()
    var info = CDcmPixelDataInfo()
    cdcm_pixel_data_info(handle, &info, &status)
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "Pixel Data") }
    guard info.present else { throw Self.missingPixelData(metadata, floatPresent: info.float_present) }

    let syntax = metadata.transferSyntax
    guard syntax.decoder != .none else {
      throw DICOMError(.unsupportedTransferSyntax, "\(syntax.name) (\(syntax.uid))")
    }
    let module = try PixelModule(elements, maximumPixelCount: options.maximumPixelCount)
    let decodeBytes = module.decodeBytes(codec: syntax.decoder)
    guard decodeBytes <= options.maximumDecodeBytes else {
      throw DICOMError(.tooLarge, "decoding \(module.rows) x \(module.columns) pixels of \(module.samplesPerPixel) "
        + "sample(s) of \(module.bitsAllocated) bits takes about \(decodeBytes >> 20) MiB; the limit is "
        + "\(options.maximumDecodeBytes >> 20) MiB")
    }
    var consumer = makeConsumer(module.columns, module.rows)
    var warnings = module.warnings
    if module.frames > 1 { warnings.append("decoded frame 1 of \(module.frames)") }

    let samples: StoredSamples
    if info.encapsulated && syntax.decoder == .openJPEG {
      let frame = try JPEG2000.firstFrame(of: self, module: module, items: Int(info.items),
                                          threads: options.jpeg2000Threads)
      samples = frame.samples
      warnings += frame.warnings
    } else if info.encapsulated && syntax.decoder == .charLS {
      samples = try JPEGLS.firstFrame(of: self, module: module, items: Int(info.items))
    } else {
      if module.photometric == .ybrRCT || module.photometric == .ybrICT {
        throw DICOMError(.unsupportedPhotometricInterpretation,
                         "\(module.photometric.rawValue) outside JPEG 2000 (transfer syntax \(syntax.name))")
      }
      if info.encapsulated {
        guard syntax.decoder == .dcmtk else {
          throw DICOMError(.corrupt, "Pixel Data is encapsulated but the transfer syntax is \(syntax.name)")
        }
        samples = try codecFrame(module: module, syntax: syntax, items: Int(info.items))
      } else {
        if syntax.isEncapsulated {
          warnings.append("Pixel Data is not compressed although the transfer syntax is \(syntax.name)")
        }
        samples = try nativeFrame(module: module, length: Int(info.length), bigEndian: syntax.isBigEndian,
                                  words: info.words, consumer: &consumer)
      }
    }
    let streamed = samples.streamed
    let image = try Self.finish(samples, module: module, metadata: metadata, elements: elements, warnings: warnings)
    if !streamed {
      image.image.pixels.withUnsafeBufferPointer { consumer.consume($0) }
    }
    return (image, consumer)
  }

  private static func missingPixelData(_ metadata: DICOMMetadata, floatPresent: Bool) -> DICOMError {
    if floatPresent {
      return DICOMError(.notAnImage, "the object holds Float Pixel Data (a parametric map), not integer pixels")
    }
    guard let sopClass = metadata.sopClassUID else {
      return DICOMError(.notAnImage, "the object has neither a SOP Class UID nor Pixel Data \(Tag.pixelData)")
    }
    let name = metadata.sopClassName ?? sopClass
    if SOPClass.isImage(sopClass) {
      return DICOMError(.noPixelData, "\(name) object without Pixel Data \(Tag.pixelData)")
    }
    return DICOMError(.notAnImage, "SOP class \(name) is not an image storage class")
  }

  /// Frame 0 of native pixel data: only its bytes are read from the file, as stored.
  private func nativeFrame(module: PixelModule, length: Int, bigEndian: Bool, words: Bool,
                           consumer: inout some GrayRowConsumer) throws(DICOMError) -> StoredSamples
  {
    let needed = module.nativeFrameBytes
    guard length >= needed else {
      throw DICOMError(.truncated, "Pixel Data holds \(length) bytes; one frame of \(module.rows) x \(module.columns) "
        + "x \(module.samplesPerPixel) samples of \(module.bitsAllocated) bits needs \(needed)")
    }
    // 8-bit samples in 16-bit words (OW) of a big-endian file sit swapped in pairs.
    let swapPairs = bigEndian && words && module.bitsAllocated <= 8
    let layout = SampleLayout(module: module, bigEndian: bigEndian, photometric: module.photometric)
    if !swapPairs && module.samplesPerPixel == 1 && module.bitsAllocated >= 8 {
      let mapping = module.photometric.isMonochrome ? try GrayMapping(module: module, elements: dataset) : nil
      return try stripedFrame(layout: layout, mapping: mapping, consumer: &consumer)
    }
    let count = swapPairs ? Swift.min(needed + needed % 2, length) : needed
    var status = CDcmStatus()
    var bytes = [UInt8](unsafeUninitializedCapacity: count + count % 2) { buffer, initialized in
      buffer[buffer.count - 1] = 0  // the pad byte of an odd count
      cdcm_read_native_pixels(handle, 0, UInt32(count), buffer.baseAddress, &status)
      initialized = buffer.count
    }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading Pixel Data") }
    if swapPairs {
      for index in stride(from: 0, to: bytes.count - 1, by: 2) { bytes.swapAt(index, index + 1) }
    }
    return try layout.samples(of: bytes)
  }

  /// Frame 0 of native one-sample pixel data, read and converted a strip of rows at a time, so the
  /// stored bytes are never held whole: a radiograph costs its Float values plus one small reused strip.
  /// With a `mapping` (monochrome), each strip becomes gray values and goes to `consumer` while it is
  /// still in cache.
  private func stripedFrame(layout: SampleLayout, mapping: GrayMapping?, consumer: inout some GrayRowConsumer)
    throws(DICOMError) -> StoredSamples
  {
    let count = layout.module.pixelCount
    let columns = layout.module.columns
    let bytesPerSample = layout.module.bitsAllocated / 8
    // About 512 KB of Float values: the strip stays in a core's L2 cache between its steps.
    let stripPixels = Swift.max(1, (1 << 17) / columns) * columns
    var strip = [UInt8](repeating: 0, count: Swift.min(count, stripPixels) * bytesPerSample)
    var status = CDcmStatus()
    let values = [Float](unsafeUninitializedCapacity: count) { output, initialized in
      strip.withUnsafeMutableBytes { buffer in
        var start = 0
        while start < count {
          let pixels = Swift.min(stripPixels, count - start)
          cdcm_read_native_pixels(handle, UInt32(start * bytesPerSample), UInt32(pixels * bytesPerSample),
                                  buffer.baseAddress, &status)
          if status.failure != CDCM_OK { break }
          let target = UnsafeMutableBufferPointer(start: output.baseAddress! + start, count: pixels)
          layout.extractMonochrome(buffer.baseAddress!, pixels: pixels, into: target.baseAddress!)
          if let mapping {
            mapping.apply(to: target)
            consumer.consume(UnsafeBufferPointer(target))
          }
          start += pixels
        }
        if start < count { output.baseAddress!.advanced(by: start).initialize(repeating: 0, count: count - start) }
      }
      initialized = count
    }
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "reading Pixel Data") }
    return StoredSamples(channels: [values], photometric: layout.module.photometric, mapping: mapping)
  }

  /// Frame 0 of encapsulated pixel data, decoded by the DCMTK codec registered for its transfer syntax.
  private func codecFrame(module: PixelModule, syntax: TransferSyntax, items: Int) throws(DICOMError) -> StoredSamples {
    guard items >= 2 else { throw DICOMError(.corruptPixelData, "the encapsulated pixel data holds no fragment") }
    if syntax.uid == TransferSyntax.rleUID {
      try CodestreamCheck.rle(firstFragment: try pixelItem(1), fragmentCount: items - 1, module: module)
    } else {
      try CodestreamCheck.jpeg(firstFragment: try pixelItem(1), module: module, syntax: syntax.name)
    }
    var status = CDcmStatus()
    let size = Int(cdcm_uncompressed_frame_size(handle, &status))
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "sizing frame 0") }
    var model = [CChar](repeating: 0, count: 64)
    let bytes = [UInt8](unsafeUninitializedCapacity: size + size % 2) { buffer, initialized in
      cdcm_decode_frame(handle, 0, buffer.baseAddress, buffer.count, &model, model.count, &status)
      if status.failure != CDCM_OK { buffer.initialize(repeating: 0) }
      initialized = buffer.count
    }
    // The codec is registered for this syntax, so a failure is damaged data, whatever DCMTK calls it.
    if status.failure != CDCM_OK { throw DICOMError(status: status, context: "decoding frame 0").as(.corruptPixelData) }
    let decodedModel = String(decoding: model.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // Codecs change colour models (YBR to RGB), never monochrome polarity; DCMTK calls any decoded
    // grayscale "MONOCHROME2".
    let photometric = module.photometric.isMonochrome
      ? module.photometric : (Photometric(rawValue: decodedModel) ?? module.photometric)
    guard photometric.samplesPerPixel == module.samplesPerPixel else {
      throw DICOMError(.corruptPixelData, "the codec decoded \(decodedModel) from \(module.photometric.rawValue)")
    }
    return try SampleLayout(module: module, bigEndian: false, photometric: photometric).samples(of: bytes)
  }

  /// Stored values to gray values: the modality transform and MONOCHROME1 inversion (unless the strips
  /// were mapped already), or luminance.
  private static func finish(_ samples: consuming StoredSamples, module: PixelModule, metadata: DICOMMetadata,
                             elements: Elements, warnings: [String]) throws(DICOMError) -> DICOMImage {
    var warnings = warnings
    var values: [Float]
    var mapping: GrayMapping?
    let range: ClosedRange<Float>
    var colour: String?
    switch samples.photometric {
    case .monochrome1, .monochrome2:
      // `samples` is consumed, so `values` is the array's sole owner and the mapping works in place
      // (a second reference would make it copy 20 MB of a radiograph).
      values = samples.channels.removeFirst()
      if let applied = samples.mapping {
        mapping = applied
      } else {
        let gray = try GrayMapping(module: module, elements: elements)
        if !gray.isIdentity { values.withUnsafeMutableBufferPointer { gray.apply(to: $0) } }
        mapping = gray
      }
      range = mapping!.range
    case .palette:
      let palette = try Palette(elements, isSigned: module.isSigned)
      values = palette.luminance(of: samples.channels[0])
      range = 0...Swift.max(palette.red.max() ?? 0, palette.green.max() ?? 0, palette.blue.max() ?? 0)
      colour = module.photometric.rawValue
    default:
      values = Luminance.of(samples)
      range = 0...Float((UInt64(1) << UInt64(module.bitsStored)) - 1)
      colour = module.photometric.rawValue
    }
    if let colour { warnings.append("\(colour) colour image converted to luminance") }
    return DICOMImage(
      metadata: metadata, image: GrayImage(width: module.columns, height: module.rows, pixels: values),
      modalityTransform: mapping?.transform ?? .identity, inversionPivot: mapping?.pivot, valueRange: range,
      convertedColour: colour,
      voi: try VOI(elements), warnings: warnings)
  }
}

/// How stored monochrome values become gray values: the modality transform, then for MONOCHROME1 the
/// inversion `pivot − m`, where `pivot` is the sum of the smallest and largest modality value the
/// stored bits allow, so the range is kept and high values are bright.
struct GrayMapping {
  let transform: ModalityTransform
  let pivot: Float?
  /// The gray values the stored bits allow.
  let range: ClosedRange<Float>

  init(module: PixelModule, elements: Elements) throws(DICOMError) {
    transform = try ModalityTransform(elements, isSigned: module.isSigned)
    let half = Float(UInt64(1) << UInt64(module.bitsStored - 1))
    let stored: ClosedRange<Float> = module.isSigned ? -half...(half - 1) : 0...(2 * half - 1)
    range = try transform.outputRange(of: stored)
    pivot = module.photometric == .monochrome1 ? range.lowerBound + range.upperBound : nil
  }

  /// Stored values are gray values already.
  var isIdentity: Bool { transform == .identity && pivot == nil }

  func apply(to values: UnsafeMutableBufferPointer<Float>) {
    transform.apply(to: values, invertingAround: pivot)
  }
}

/// A row consumer that keeps nothing, for a plain decode.
struct IgnoredRows: GrayRowConsumer {
  func consume(_ strip: UnsafeBufferPointer<Float>) {}
}
