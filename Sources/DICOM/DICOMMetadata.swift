/// What a report, the acceptance rules and the logs need to know about a file, read without touching
/// the pixel data. Patient fields live apart in ``PatientFields``, which never prints and never
/// encodes with the rest.
public struct DICOMMetadata: Sendable, Equatable, Codable {
  public var sopInstanceUID: String?
  public var sopClassUID: String?
  /// DCMTK's name of the SOP class ("CRImageStorage"), when it has one.
  public var sopClassName: String?
  public var studyInstanceUID: String?
  public var seriesInstanceUID: String?
  public var accessionNumber: String?
  public var modality: String?
  public var bodyPartExamined: String?
  public var viewPosition: String?
  public var photometricInterpretation: String?
  public var rows: Int?
  public var columns: Int?
  public var bitsAllocated: Int?
  public var bitsStored: Int?
  public var pixelRepresentation: Int?
  public var samplesPerPixel: Int?
  public var numberOfFrames: Int
  /// Pixel Spacing (0028,0030), row then column spacing in mm, as stored (possibly 0, see ``spacing``).
  public var pixelSpacing: [Double]?
  /// Imager Pixel Spacing (0018,1164), as stored; what CR and DX objects usually carry.
  public var imagerPixelSpacing: [Double]?
  public var manufacturer: String?
  public var transferSyntax: TransferSyntax
  /// Patient fields, for a report only; excluded from `Codable` and from printing.
  public var patient: PatientFields

  enum CodingKeys: String, CodingKey {
    case sopInstanceUID, sopClassUID, sopClassName, studyInstanceUID, seriesInstanceUID, accessionNumber
    case modality, bodyPartExamined, viewPosition, photometricInterpretation, rows, columns, bitsAllocated
    case bitsStored, pixelRepresentation, samplesPerPixel, numberOfFrames, pixelSpacing, imagerPixelSpacing
    case manufacturer, transferSyntax
  }


  /// The physical size of a pixel in mm (row spacing, column spacing): Pixel Spacing when it holds two
  /// positive values, else Imager Pixel Spacing when it does, else nil. (Some CR writers store Pixel
  /// Spacing as 0\0.)
  public var spacing: (row: Double, column: Double)? {
    for candidate in [pixelSpacing, imagerPixelSpacing] {
      if let values = candidate, values.count == 2, values[0] > 0, values[1] > 0 {
        return (values[0], values[1])
      }
    }
    return nil
  }
}

/// Patient attributes a report may need. Printing, string interpolation, `dump` and debug output show
/// "redacted"; the values are reachable only through the properties, so they cannot slip into a log line
/// by accident.
public struct PatientFields: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
  CustomReflectable
{
  public var id: String?
  public var name: String?
  public var sex: String?
  public var age: String?

  public init(id: String? = nil, name: String? = nil, sex: String? = nil, age: String? = nil) {
    self.id = id
    self.name = name
    self.sex = sex
    self.age = age
  }

  public var description: String { "PatientFields(redacted)" }
  public var debugDescription: String { description }
  public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension DICOMMetadata {
  /// Decodes everything but ``patient``, which is never encoded.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    sopInstanceUID = try container.decodeIfPresent(String.self, forKey: .sopInstanceUID)
    sopClassUID = try container.decodeIfPresent(String.self, forKey: .sopClassUID)
    sopClassName = try container.decodeIfPresent(String.self, forKey: .sopClassName)
    studyInstanceUID = try container.decodeIfPresent(String.self, forKey: .studyInstanceUID)
    seriesInstanceUID = try container.decodeIfPresent(String.self, forKey: .seriesInstanceUID)
    accessionNumber = try container.decodeIfPresent(String.self, forKey: .accessionNumber)
    modality = try container.decodeIfPresent(String.self, forKey: .modality)
    bodyPartExamined = try container.decodeIfPresent(String.self, forKey: .bodyPartExamined)
    viewPosition = try container.decodeIfPresent(String.self, forKey: .viewPosition)
    photometricInterpretation = try container.decodeIfPresent(String.self, forKey: .photometricInterpretation)
    rows = try container.decodeIfPresent(Int.self, forKey: .rows)
    columns = try container.decodeIfPresent(Int.self, forKey: .columns)
    bitsAllocated = try container.decodeIfPresent(Int.self, forKey: .bitsAllocated)
    bitsStored = try container.decodeIfPresent(Int.self, forKey: .bitsStored)
    pixelRepresentation = try container.decodeIfPresent(Int.self, forKey: .pixelRepresentation)
    samplesPerPixel = try container.decodeIfPresent(Int.self, forKey: .samplesPerPixel)
    numberOfFrames = try container.decode(Int.self, forKey: .numberOfFrames)
    pixelSpacing = try container.decodeIfPresent([Double].self, forKey: .pixelSpacing)
    imagerPixelSpacing = try container.decodeIfPresent([Double].self, forKey: .imagerPixelSpacing)
    manufacturer = try container.decodeIfPresent(String.self, forKey: .manufacturer)
    transferSyntax = try container.decode(TransferSyntax.self, forKey: .transferSyntax)
    patient = PatientFields()
  }
}

extension DICOMFile {
  /// The metadata of this file; reads no pixel data.
  public func metadata() throws(DICOMError) -> DICOMMetadata {
    let elements = dataset
    let sopClassUID = elements.lenient(.sopClassUID)
    return DICOMMetadata(
      sopInstanceUID: elements.lenient(.sopInstanceUID),
      sopClassUID: sopClassUID,
      sopClassName: sopClassUID.flatMap(SOPClass.name(of:)),
      studyInstanceUID: elements.lenient(.studyInstanceUID),
      seriesInstanceUID: elements.lenient(.seriesInstanceUID),
      accessionNumber: elements.lenient(.accessionNumber),
      modality: elements.lenient(.modality),
      bodyPartExamined: elements.lenient(.bodyPartExamined),
      viewPosition: elements.lenient(.viewPosition),
      photometricInterpretation: elements.lenient(.photometricInterpretation),
      rows: try? elements.integer(.rows),
      columns: try? elements.integer(.columns),
      bitsAllocated: try? elements.integer(.bitsAllocated),
      bitsStored: try? elements.integer(.bitsStored),
      pixelRepresentation: try? elements.integer(.pixelRepresentation),
      samplesPerPixel: try? elements.integer(.samplesPerPixel),
      numberOfFrames: Swift.max(1, (try? elements.integerString(.numberOfFrames)) ?? 1),
      pixelSpacing: try elements.lenientNumbers(.pixelSpacing),
      imagerPixelSpacing: try elements.lenientNumbers(.imagerPixelSpacing),
      manufacturer: elements.lenient(.manufacturer),
      transferSyntax: try TransferSyntax(file: self),
      patient: PatientFields(
        id: elements.lenient(.patientID), name: elements.lenient(.patientName),
        sex: elements.lenient(.patientSex), age: elements.lenient(.patientAge))
    )
  }
}
