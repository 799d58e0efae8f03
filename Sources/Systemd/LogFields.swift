import Logging

/// The custom fields of one log entry, as both log handlers write them: the handler's metadata, then
/// the metadata provider's, then the call's (a later layer wins for the same name), then the error.
///
/// Names are normalised with `Journal.fieldName(_:)`, so `sop_instance_uid` and `SOP_INSTANCE_UID`
/// are one field. Dropped, never written:
/// - names with nothing usable left after normalisation;
/// - the names the handler sets itself (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_*);
/// - patient fields: any name containing PATIENT or BIRTH once normalised (PATIENT_NAME, PatientID,
///   PATIENTS_BIRTH_DATE, OTHER_PATIENT_IDS, DATE_OF_BIRTH, ...), at any depth of a dictionary value.
///   This is defence in depth: the daemon must never put patient data in metadata to begin with.
enum LogFields {
  static let handlerFields: Set<String> = ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"]

  /// The fields sorted by name.
  static func collect(
    handler: Logger.Metadata, provider: Logger.MetadataProvider?, call: Logger.Metadata?, error: (any Error)?
  ) -> [(name: String, value: String)] {
    var fields: [String: String] = [:]
    for layer in [handler, provider?.get() ?? [:], call ?? [:]] {
      // Sorted, so that two keys normalising to one name resolve the same way every time.
      for (key, value) in layer.sorted(by: { $0.key < $1.key }) {
        guard let name = Journal.fieldName(key), !handlerFields.contains(name), !isPatientField(name) else { continue }
        fields[name] = flatten(value)
      }
    }
    if let error {
      fields["ERROR_MESSAGE"] = "\(error)"
      fields["ERROR_TYPE"] = String(reflecting: type(of: error))
    }
    return fields.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
  }

  /// Whether a normalised field name names patient data (see the type's documentation).
  static func isPatientField(_ name: String) -> Bool {
    name.contains("PATIENT") || name.contains("BIRTH")
  }

  /// A value as one string. Strings stay as they are; arrays and dictionaries read like Swift literals
  /// with quoted leaves (`["a", "b"]`, `["k": "v"]`), dictionaries sorted by key so equal values always
  /// read the same.
  static func flatten(_ value: Logger.MetadataValue) -> String {
    switch value {
    case .string(let string): string
    case .stringConvertible(let convertible): convertible.description
    case .array, .dictionary: element(value)
    }
  }

  private static func element(_ value: Logger.MetadataValue) -> String {
    switch value {
    case .string, .stringConvertible:
      return flatten(value).debugDescription
    case .array(let values):
      return "[" + values.map(element).joined(separator: ", ") + "]"
    case .dictionary(let dictionary):
      let kept = dictionary.filter { key, _ in !isPatientField(Journal.fieldName(key) ?? "") }
      if kept.isEmpty { return "[:]" }
      return "[" + kept.sorted { $0.key < $1.key }.map { "\($0.key.debugDescription): \(element($0.value))" }
        .joined(separator: ", ") + "]"
    }
  }
}
