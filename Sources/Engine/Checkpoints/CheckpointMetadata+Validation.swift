import Imaging

extension CheckpointMetadata {
  /// The longest side of a model input a sidecar may ask for. The networks take any size, but every
  /// image is resampled to it and every activation scales with it: 2048 is four times the resolution
  /// of the largest published chest X-ray classifiers (512) and keeps a sidecar from asking for
  /// gigabytes (width 100,000 took 2.9 GB and 12 s before this bound).
  public static let maximumInputSide = 2048

  /// Checks every value of the sidecar on its own and against the others, before anything is read or
  /// built from it: format and version, the fingerprint's form, class names against the class count,
  /// input channels against the architecture, the preprocessing's size, window and padding, the LRP ε,
  /// and a segmenter's lung-area range. The weights' shapes are checked separately
  /// (``Architecture/confirm(by:)``). Throws `EngineError.checkpointField` naming the field.
  public func validate() throws(EngineError) {
    func refuse(_ field: String, _ message: String) -> EngineError {
      .checkpointField(field: field, message: message)
    }
    guard format == "isnetd-checkpoint" else { throw refuse("format", "is \"\(format)\", not \"isnetd-checkpoint\"") }
    guard (1...Self.currentFormatVersion).contains(formatVersion) else {
      throw refuse("formatVersion", "is \(formatVersion); this isnetd reads 1 to \(Self.currentFormatVersion)")
    }
    guard Self.isFingerprint(weightsFingerprint) else {
      throw refuse("weightsFingerprint", "is \"\(weightsFingerprint.prefix(40))\", not \"fnv1a64:\" and 16 hexadecimal digits; "
        + "the weights' integrity cannot be checked without it")
    }
    let classCount = architecture.classCount
    guard classNames.count == classCount else {
      throw refuse("classNames", "names \(classNames.count) classes, the architecture has \(classCount)")
    }
    guard Set(classNames).count == classNames.count, classNames.allSatisfy({ !$0.isEmpty }) else {
      throw refuse("classNames", "must be distinct and non-empty: \(classNames)")
    }
    guard input.channels == architecture.inputChannels else {
      throw refuse("input.channels", "is \(input.channels), the architecture takes \(architecture.inputChannels)")
    }
    let preprocessing = input.preprocessing
    for (name, side) in [("width", preprocessing.width), ("height", preprocessing.height)]
    where !(1...Self.maximumInputSide).contains(side) {
      throw refuse("input.preprocessing.\(name)", "is \(side), not in 1...\(Self.maximumInputSide)")
    }
    let window = preprocessing.window
    guard window.lowerPercentile.isFinite, window.upperPercentile.isFinite, 0 <= window.lowerPercentile,
      window.lowerPercentile < window.upperPercentile, window.upperPercentile <= 100
    else {
      throw refuse("input.preprocessing.window", "percentiles \(window.lowerPercentile), \(window.upperPercentile) "
        + "do not satisfy 0 <= lower < upper <= 100")
    }
    guard preprocessing.padValue.isFinite, (0...1).contains(preprocessing.padValue) else {
      throw refuse("input.preprocessing.padValue", "is \(preprocessing.padValue), not in [0, 1]")
    }
    let epsilon = relevance.epsilon
    guard epsilon.isFinite, epsilon > 0 else {
      throw refuse("training.objective.relevance.epsilon", "is \(epsilon), not a positive number")
    }
    if let range = segmentation?.trainingLungArea {
      guard [range.minimum, range.maximum, range.mean].allSatisfy({ $0.isFinite && (0...1).contains($0) }),
        range.minimum <= range.maximum, range.count >= 0
      else {
        throw refuse("segmentation.trainingLungArea", "minimum \(range.minimum), mean \(range.mean) and maximum "
          + "\(range.maximum) must lie in [0, 1], the minimum not above the maximum, count \(range.count) not negative")
      }
    }
  }

  /// "fnv1a64:" and 16 lower-case hexadecimal digits, as ``FNV1a64/digest`` writes it.
  static func isFingerprint(_ value: String) -> Bool {
    guard value.hasPrefix("fnv1a64:") else { return false }
    let digits = value.utf8.dropFirst("fnv1a64:".utf8.count)
    return digits.count == 16 && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
      || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
  }
}
