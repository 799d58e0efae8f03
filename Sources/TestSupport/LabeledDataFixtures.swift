import Foundation
import PNG

/// Small labelled datasets on disk in isnetd's layout (<root>/<split>/<class>/<name>.dcm and
/// <name>.mask.png), for command-line tests. Class k has a bright square in its lung at a class-specific
/// height, so a model can learn it.
public enum LabeledDataFixtures {
  public static func write(root: String, classes: [String], perClass: [String: Int], size: Int = 48) throws {
    let lungs = (0..<(size * size)).map { index -> Bool in
      let (row, column) = (index / size, index % size)
      return row >= size / 6 && row < size * 5 / 6 && column >= size / 8 && column < size * 7 / 8 && abs(column - size / 2) > size / 16
    }
    for (split, count) in perClass {
      for (label, name) in classes.enumerated() {
        let folder = "\(root)/\(split)/\(name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for index in 0..<count {
          let top = size / 4 + label * size / 4
          let values = (0..<(size * size)).map { pixel -> UInt16 in
            let (row, column) = (pixel / size, pixel % size)
            var value = lungs[pixel] ? 1200 : 300
            value += (pixel * 7919 + index * 104_729 + label * 31) % 200
            if row >= top, row < top + size / 8, column >= size / 4, column < size / 4 + size / 8 { value += 1500 }
            return UInt16(value)
          }
          let stem = "\(folder)/\(name)-\(index)"
          try DICOMFixtures.writeMonochrome16(to: "\(stem).dcm", rows: size, columns: size, values: values, bitsStored: 12,
                                              extraAttributes: ["(0018,0015) CS [CHEST]", "(0018,5101) CS [PA]"])
          let mask = try PNGImage(width: size, height: size, format: .gray, pixels: lungs.map { $0 ? 255 : 0 })
          try Data(mask.encoded()).write(to: URL(fileURLWithPath: "\(stem).mask.png"))
        }
      }
    }
  }
}
