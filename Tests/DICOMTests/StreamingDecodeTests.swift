import DICOM
import Imaging
import Testing
import TestSupport

/// Decoding with a row consumer: the consumer gets every gray row once, in order, and preprocessing fed
/// that way gives exactly what it gives on the decoded image.
@Suite("decoding into a row consumer")
struct StreamingDecodeTests {
  // 600 x 500: several strips of rows for uncompressed data.
  static let rows = 600
  static let columns = 500

  /// Collects the strips it is given.
  struct Recorder: GrayRowConsumer {
    var strips: [[Float]] = []
    mutating func consume(_ strip: UnsafeBufferPointer<Float>) { strips.append(Array(strip)) }
  }

  static func files(in directory: TemporaryDirectory) throws -> [(name: String, path: String, streamedInStrips: Bool)] {
    let source = directory.path("source.dcm")
    try DICOMFixtures.writeMonochrome16(to: source, rows: rows, columns: columns,
                                        values: DICOMFixtures.chestPhantom(rows: rows, columns: columns, seed: 5),
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes)
    let rescaled = directory.path("rescale.dcm")
    try DICOMFixtures.Variant.rescale.write(from: source, to: rescaled)
    let inverted = directory.path("rescale-mono1.dcm")
    try DICOMFixtures.Variant.monochrome1.write(from: rescaled, to: inverted)
    let compressed = directory.path("jpeg.dcm")
    try DICOMFixtures.Variant.jpegLossless.write(from: inverted, to: compressed)
    return [("native", source, true), ("rescale + MONOCHROME1", inverted, true), ("JPEG lossless", compressed, false)]
  }

  @Test("every row arrives once, in order, as the decoded gray values; uncompressed data in several strips")
  func rowsArriveInOrder() throws {
    let directory = try TemporaryDirectory()
    for file in try Self.files(in: directory) {
      let (image, recorder) = try DICOMFile(path: file.path).decodeFirstFrame(rowsTo: { columns, rows in
        #expect(columns == Self.columns && rows == Self.rows)
        return Recorder()
      })
      #expect(image.values == (try DICOMImage(contentsOf: file.path)).values, "\(file.name)")
      #expect(recorder.strips.flatMap { $0 } == image.values, "\(file.name)")
      #expect(recorder.strips.allSatisfy { $0.count % Self.columns == 0 }, "\(file.name): whole rows only")
      #expect((recorder.strips.count > 1) == file.streamedInStrips, "\(file.name): \(recorder.strips.count) strips")
    }
  }

  @Test("preprocessing fed while decoding equals preprocessing of the decoded image, sample for sample")
  func streamedPreprocessing() throws {
    let directory = try TemporaryDirectory()
    for file in try Self.files(in: directory) {
      for preprocessing in [Preprocessing(width: 224, height: 224), Preprocessing(width: 96, height: 128)] {
        let (image, stream) = try DICOMFile(path: file.path).decodeFirstFrame(rowsTo: preprocessing.stream)
        #expect(stream.finish() == preprocessing(image.image), "\(file.name)")
      }
    }
  }
}
