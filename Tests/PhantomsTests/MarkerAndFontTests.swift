import Imaging
import Phantoms
import Testing

@Suite("Built-in bitmap font and marker placement")
struct MarkerAndFontTests {
  @Test("text markers spell their words in the built-in font at the class's corner")
  func textMarkers() {
    // "ERECT" (normal) sits top right, "PORTABLE" (pneumonia) bottom left, "SUPINE 2" (COVID-19) bottom right.
    let corners: [(PhantomClass, xRight: Bool, yBottom: Bool)] = [(.normal, true, false), (.pneumonia, false, true), (.covid19, true, true)]
    for (style, right, bottom) in corners {
      let plain = PhantomRenderer.render(spec(seed: 40, size: 256))
      let marked = PhantomRenderer.render(spec(seed: 40, marker: Marker(kind: .text, style: style), size: 256))
      let changed = differences(plain, marked)
      let xs = changed.map { $0 % 256 }
      let ys = changed.map { $0 / 256 }
      #expect((xs.reduce(0, +) / changed.count > 128) == right, "\(style)")
      #expect((ys.reduce(0, +) / changed.count > 128) == bottom, "\(style)")
      #expect(ys.max()! - ys.min()! < 20, "one line of text")
      // 2x scale, 5x7 glyphs: at least 5 strokes of 4 pixels per letter.
      #expect(changed.count > 5 * 4 * 5)
    }
  }

  @Test("a marker and a finding of the same seed do not disturb each other")
  func independentStreams() {
    let a = PhantomRenderer.render(spec(seed: 41, .pneumonia, difficulty: 0))
    let b = PhantomRenderer.render(spec(seed: 41, .pneumonia, marker: Marker(kind: .laterality, style: .covid19), difficulty: 0))
    #expect(a.finding == b.finding)
    for i in a.lungMask.indices where a.lungMask[i] == 1 {
      #expect(a.image.pixels[i] == b.image.pixels[i])
    }
  }
}
