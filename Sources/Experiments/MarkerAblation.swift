public import Engine
import Foundation
public import Imaging
public import Phantoms
public import Screening
public import Torch

/// How a background marker moves a trained model's answer, measured on twins: every marked test
/// phantom is rendered again from its manifest entry without its marker (same seed, so the same anatomy
/// and finding) and both go through the same preprocessing. The model's last ReLU layer feeds global
/// average pooling and a linear head, so the change the marker makes to the margin
/// z_marker − z_true (the marker's class against the true class) splits exactly over that layer's units
/// by the head's gradient G: Σ G·(a_marked − a_twin). Units the marker switches off (active in the twin,
/// zero with the marker) carry no relevance in the marked image's LRP heatmap (R = a·G is 0 where a
/// is 0), so a shift that goes through them is invisible to any input-relevance penalty.
public struct MarkerAblation {
  /// One marked image and its marker-free twin at the model's input.
  public struct Pair {
    /// [1, 1, H, W] in [0, 1].
    public let marked: Tensor
    public let twin: Tensor
    /// The twin under the marked image's intensity window (which the marker's own pixels move).
    public let twinInMarkedWindow: Tensor
    /// The pixels the marker changes, at the model's input.
    public let markerPixels: BinaryMask
    public let label: Int
    /// The class whose marker the image carries.
    public let markerClass: Int
  }

  /// Means over the pairs.
  public struct Figures: Codable, Sendable, Equatable {
    public var images: Int
    /// Share of images whose predicted class the marker changes.
    public var predictionChanged: Double
    /// Mean change of z_marker − z_true the marker causes, from the logits.
    public var marginShift: Double
    /// The part of `marginShift` the marker causes by moving the intensity window (twin under the
    /// marked image's window, minus twin); the rest is its pixels' own.
    public var throughWindow: Double
    /// The parts of `marginShift` through last-layer units the marker switched off, switched on, and
    /// that stayed active, from the units; they sum to it when the head is linear in that layer.
    public var throughSwitchedOff: Double
    public var throughSwitchedOn: Double
    public var throughStillActive: Double
    /// Share of the last layer's units active in the twin that the marker switches off.
    public var unitsSwitchedOff: Double
    /// What the LRP heatmap of z_marker − z_true puts on the marker's pixels, marked image minus twin:
    /// the part of `marginShift` the heatmap shows on the marker (LRP conserves the logit, so both are
    /// in logit units).
    public var marginRelevanceOnMarker: Double
    /// Share of Σ|R| of the marked image's predicted-class heatmap on the marker's pixels, and the share
    /// of the image those pixels cover (what evenly spread relevance would give them).
    public var markerRelevanceShare: Double
    public var markerArea: Double
  }

  public let pairs: [Pair]

  /// The pairs of `split`'s marked images in `manifest` (the dataset at `root`), rendered so the twins
  /// differ from them only by the marker; each rendered marked image must equal its file as `loader`
  /// reads it, or the manifest does not describe the files. `classNames` are the dataset's class
  /// folders, named after the phantom classes.
  public init(manifest: DatasetManifest, root: String, split: Split, classNames: [String], loader: InputLoader) throws {
    let preprocessing = loader.preprocessing
    let entries = manifest.files.filter { $0.split == split && $0.marker != nil }
    let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
    let rendered = try PhantomRenderer.render(entries.flatMap { entry -> [PhantomSpec] in
      var twin = entry.spec
      twin.marker = nil
      return [entry.spec, twin]
    }, transform: { $0.modalityImage })
    pairs = try entries.enumerated().map { index, entry in
      let (marked, twin) = (rendered[2 * index], rendered[2 * index + 1])
      guard let label = classIndex[entry.condition.rawValue], let style = entry.marker?.style,
            let markerClass = classIndex[style.rawValue] else {
        throw EngineError.invalidInput("\(entry.path): its class or its marker's class is not one of \(classNames)")
      }
      let markedInput = preprocessing(marked)
      let file = try loader.load(path: "\(root)/\(entry.path)").input.values
      guard zip(file, markedInput.values).allSatisfy({ Swift.abs($0 - $1) <= 1e-5 }) else {
        throw EngineError.invalidInput("\(entry.path) is not the phantom its manifest entry renders; was the dataset changed after isnetd synth?")
      }
      let changed = GrayImage(width: marked.width, height: marked.height,
                              pixels: zip(marked.pixels, twin.pixels).map { $0 == $1 ? 0 : 1 })
      return Pair(marked: try Self.tensor(markedInput), twin: try Self.tensor(preprocessing(twin)),
                  twinInMarkedWindow: try Self.tensor(preprocessing(twin, window: markedInput.window)),
                  markerPixels: Self.letterboxed(changed, geometry: markedInput.geometry), label: label, markerClass: markerClass)
    }
  }

  /// The figures of `model` (one channel in) over every pair.
  public func measure(_ model: some Classifier, relevance: RelevanceSettings = RelevanceSettings()) throws -> Figures {
    var sums = (changed: 0.0, shift: 0.0, window: 0.0, off: 0.0, on: 0.0, active: 0.0, switchedOff: 0.0, onMarker: 0.0, relevance: 0.0, area: 0.0)
    let flex = LRPFlex(settings: relevance)
    for pair in pairs {
      let mode = ForwardMode(training: false, relevance: relevance)
      let (marked, twin) = try Torch.withGradient(true) {
        (try model.forward(pair.marked, mode: mode), try model.forward(pair.twin, mode: mode))
      }
      guard let markedUnits = marked.supervisedActivations.last, let twinUnits = twin.supervisedActivations.last else {
        throw EngineError.invalidConfiguration("the marker ablation needs a model whose last supervised layer feeds its head")
      }
      func margin(_ logits: Tensor) throws -> Tensor {
        try (logits.narrowed(dim: 1, start: pair.markerClass, length: 1) - logits.narrowed(dim: 1, start: pair.label, length: 1)).sum()
      }
      let markedMargin = try margin(marked.logits)
      let twinMargin = try margin(twin.logits).item()
      sums.shift += try markedMargin.item() - twinMargin
      sums.window += try margin(model.logits(pair.twinInMarkedWindow)).item() - twinMargin
      let headGradient = try gradients(of: markedMargin, wrt: [markedUnits])[0]
      let (markedValues, twinValues) = (try markedUnits.detached(), try twinUnits.detached())
      let contribution = try headGradient * (markedValues - twinValues)
      let dtype = contribution.dtype ?? .float32
      let twinActive = try twinValues.greater(0).to(dtype)
      let markedActive = try markedValues.greater(0).to(dtype)
      let off = try twinActive * (1.0 - markedActive)
      let on = try (1.0 - twinActive) * markedActive
      sums.off += try (contribution * off).sum().item()
      sums.on += try (contribution * on).sum().item()
      sums.active += try (contribution * twinActive * markedActive).sum().item()
      sums.switchedOff += try off.sum().item() / Swift.max(try twinActive.sum().item(), 1)

      let markedPrediction = try marked.logits.argmax(dim: 1).item()
      let twinPrediction = try twin.logits.argmax(dim: 1).item()
      if markedPrediction != twinPrediction { sums.changed += 1 }
      func onMarker(_ values: [Float]) -> Double {
        zip(values, pair.markerPixels.pixels).reduce(0.0) { $0 + ($1.1 ? Double($1.0) : 0) }
      }
      // One map per class from one forward pass each: the margin's map is the difference of two of them
      // (LRP is linear in the explained logit), the prediction's map is one of them.
      let (markedMaps, twinMaps) = try (flex.heatmaps(of: model, input: pair.marked, explaining: .everyClass).maps,
                                        flex.heatmaps(of: model, input: pair.twin, explaining: .everyClass).maps)
      func marginRelevance(_ maps: Tensor) throws -> [Float] {
        try (maps.narrowed(dim: 1, start: pair.markerClass, length: 1) - maps.narrowed(dim: 1, start: pair.label, length: 1))
          .sum(dims: [1, 2]).floats()
      }
      sums.onMarker += try onMarker(marginRelevance(markedMaps)) - onMarker(marginRelevance(twinMaps))
      let heatmap = try markedMaps.narrowed(dim: 1, start: Int(markedPrediction), length: 1).abs().sum(dims: [1, 2]).floats()
      let markerRelevance = onMarker(heatmap)
      sums.relevance += markerRelevance / Swift.max(heatmap.reduce(0.0) { $0 + Double($1) }, .leastNormalMagnitude)
      sums.area += Double(pair.markerPixels.pixels.filter { $0 }.count) / Double(pair.markerPixels.pixels.count)
    }
    let count = Double(Swift.max(pairs.count, 1))
    return Figures(images: pairs.count, predictionChanged: sums.changed / count, marginShift: sums.shift / count,
                   throughWindow: sums.window / count,
                   throughSwitchedOff: sums.off / count, throughSwitchedOn: sums.on / count,
                   throughStillActive: sums.active / count, unitsSwitchedOff: sums.switchedOff / count,
                   marginRelevanceOnMarker: sums.onMarker / count,
                   markerRelevanceShare: sums.relevance / count, markerArea: sums.area / count)
  }

  private static func tensor(_ input: ModelInput) throws -> Tensor {
    try Tensor(input.values, shape: [1, 1, input.height, input.width])
  }

  /// The changed pixels at the model's input: a target pixel is marker when any source pixel it
  /// covers changed (area average above 0), so thin strokes are not lost to the resize.
  static func letterboxed(_ changed: GrayImage, geometry: LetterboxGeometry) -> BinaryMask {
    let content = changed.resized(width: geometry.contentWidth, height: geometry.contentHeight)
    var mask = BinaryMask(width: geometry.targetWidth, height: geometry.targetHeight)
    for y in 0..<geometry.contentHeight {
      for x in 0..<geometry.contentWidth where content[x, y] > 0 {
        mask[geometry.contentX + x, geometry.contentY + y] = true
      }
    }
    return mask
  }
}
