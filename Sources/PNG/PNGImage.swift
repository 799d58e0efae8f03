internal import CPNG

/// An 8-bit grayscale or RGB raster, encoded and decoded with libpng's simplified API.
public struct PNGImage: Equatable, Sendable {
  public enum Format: Sendable, Equatable {
    case gray
    case rgb

    public var channels: Int { self == .gray ? 1 : 3 }

    var libpng: UInt32 { self == .gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB) }
  }

  public let width: Int
  public let height: Int
  public let format: Format
  /// Row-major samples, `channels` per pixel, no padding.
  public let pixels: [UInt8]

  public init(width: Int, height: Int, format: Format, pixels: [UInt8]) throws(PNGError) {
    guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
      throw PNGError("image size \(width)x\(height) is not encodable")
    }
    guard pixels.count == width * height * format.channels else {
      throw PNGError("\(pixels.count) samples for a \(width)x\(height) \(format) image")
    }
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
  }

  /// The PNG file bytes. `fast` asks libpng to favour speed over size (PNG_IMAGE_FLAG_FAST: cheaper
  /// filtering and compression, a larger file), for pictures written on every screened image.
  public func encoded(fast: Bool = false) throws(PNGError) -> [UInt8] {
    var image = makeHeader()
    if fast { image.flags |= UInt32(PNG_IMAGE_FLAG_FAST) }
    var size: png_alloc_size_t = 0
    let stride = Int32(width * format.channels)
    let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
    guard sized != 0 else { throw PNGError(image: image) }
    var output = [UInt8](repeating: 0, count: Int(size))
    let written = output.withUnsafeMutableBytes { destination in
      pixels.withUnsafeBytes { png_image_write_to_memory(&image, destination.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
    }
    guard written != 0 else { throw PNGError(image: image) }
    return Array(output.prefix(Int(size)))
  }

  /// Decodes PNG bytes; grayscale files stay gray, colour files become RGB, alpha is composited on black.
  public init(decoding data: [UInt8]) throws(PNGError) {
    // libpng reads from `data` between begin and finish, so both happen while it is lent.
    let decoded = data.withUnsafeBytes { bytes -> Result<(Int, Int, Format, [UInt8]), PNGError> in
      var image = png_image()
      image.version = UInt32(PNG_IMAGE_VERSION)
      guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
        return .failure(PNGError(image: image))
      }
      let format: Format = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) == 0 ? .gray : .rgb
      image.format = format.libpng
      let width = Int(image.width)
      let height = Int(image.height)
      var pixels = [UInt8](repeating: 0, count: width * height * format.channels)
      let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
      guard finished != 0 else {
        let error = PNGError(image: image)
        png_image_free(&image)
        return .failure(error)
      }
      return .success((width, height, format, pixels))
    }
    let (width, height, format, pixels) = try decoded.get()
    try self.init(width: width, height: height, format: format, pixels: pixels)
  }

  private func makeHeader() -> png_image {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format.libpng
    return image
  }

  /// The libpng version linked at run time.
  public static var libpngVersion: String { String(cString: png_get_libpng_ver(nil)) }
}

/// A failure reported by libpng, with its message.
public struct PNGError: Error, Equatable, CustomStringConvertible, Sendable {
  public let message: String

  public init(_ message: String) { self.message = message }

  init(image: png_image) {
    let text = withUnsafeBytes(of: image.message) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    self.init(text.isEmpty ? "libpng failed without a message" : text)
  }

  public var description: String { "png: \(message)" }
}
