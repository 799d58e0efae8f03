/// A 5 x 7 pixel font for burned-in text (letters, digits and a little punctuation), built in so that
/// no font file is needed: phantom markers, report pictures and charts all draw
/// with it. Each glyph occupies a 6 x 8 cell: one column and one row of spacing.
public enum BitmapFont {
  static let glyphWidth = 5
  static let glyphHeight = 7

  /// Rows of each glyph, top first; bit 4 is the leftmost column.
  static let glyphs: [Character: [UInt8]] = {
    let table: [Character: String] = [
      "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
      "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11100 10010 10001 10001 10001 10010 11100",
      "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
      "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
      "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
      "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
      "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
      "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
      "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
      "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
      "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
      "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
      "Y": "10001 10001 10001 01010 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
      "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
      "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
      "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
      "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
      "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
      "-": "00000 00000 00000 11111 00000 00000 00000", ".": "00000 00000 00000 00000 00000 01100 01100",
      ":": "00000 01100 01100 00000 01100 01100 00000", "/": "00000 00001 00010 00100 01000 10000 00000",
      "^": "00100 01010 10001 00000 00000 00000 00000", " ": "00000 00000 00000 00000 00000 00000 00000",
      "(": "00010 00100 01000 01000 01000 00100 00010", ")": "01000 00100 00010 00010 00010 00100 01000",
      ",": "00000 00000 00000 00000 01100 00100 01000", "=": "00000 00000 11111 00000 11111 00000 00000",
      "%": "11000 11001 00010 00100 01000 10011 00011", "+": "00000 00100 00100 11111 00100 00100 00000",
      "<": "00010 00100 01000 10000 01000 00100 00010", ">": "01000 00100 00010 00001 00010 00100 01000",
      "_": "00000 00000 00000 00000 00000 00000 11111", "'": "00100 00100 01000 00000 00000 00000 00000",
    ]
    return table.mapValues { rows in rows.split(separator: " ").map { UInt8($0, radix: 2)! } }
  }()

  /// The size in pixels of `text` drawn at `scale` (pixels per font pixel), without trailing spacing.
  public static func size(of text: String, scale: Int) -> (width: Int, height: Int) {
    let count = text.count
    return (count == 0 ? 0 : (count * (glyphWidth + 1) - 1) * scale, glyphHeight * scale)
  }

  /// Calls `body(x, y)` for every pixel of `text` drawn with its top-left corner at (`left`, `top`),
  /// each font pixel a `scale` x `scale` block. Characters the font lacks are drawn as blanks.
  public static func forEachPixel(of text: String, left: Int, top: Int, scale: Int, _ body: (Int, Int) -> Void) {
    for (index, character) in text.uppercased().enumerated() {
      guard let rows = glyphs[character] else { continue }
      let cellLeft = left + index * (glyphWidth + 1) * scale
      for (row, bits) in rows.enumerated() {
        for column in 0..<glyphWidth where bits & (1 << (glyphWidth - 1 - column)) != 0 {
          for dy in 0..<scale {
            for dx in 0..<scale { body(cellLeft + column * scale + dx, top + row * scale + dy) }
          }
        }
      }
    }
  }
}
