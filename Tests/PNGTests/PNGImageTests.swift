import PNG
import Testing

@Suite("libpng")
struct PNGImageTests {
  @Test("gray and RGB images survive encode then decode byte for byte", arguments: [PNGImage.Format.gray, .rgb])
  func roundTrip(format: PNGImage.Format) throws {
    let width = 17
    let height = 9
    let pixels = (0..<(width * height * format.channels)).map { UInt8(($0 * 37 + 11) % 256) }
    let image = try PNGImage(width: width, height: height, format: format, pixels: pixels)
    let encoded = try image.encoded()
    #expect(Array(encoded.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    let decoded = try PNGImage(decoding: encoded)
    #expect(decoded.width == width)
    #expect(decoded.height == height)
    #expect(decoded.format == format)
    #expect(decoded.pixels == pixels)
  }

  @Test("garbage bytes give libpng's error, not a crash")
  func garbage() {
    let error = #expect(throws: PNGError.self) { try PNGImage(decoding: [1, 2, 3, 4, 5, 6, 7, 8, 9]) }
    #expect(error?.message.isEmpty == false)
  }

  @Test("a pixel count that disagrees with the size is refused")
  func wrongCount() {
    #expect(throws: PNGError.self) { try PNGImage(width: 2, height: 2, format: .rgb, pixels: [0, 0, 0]) }
  }
}
