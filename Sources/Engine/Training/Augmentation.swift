import Torch
import Foundation

/// Random geometric and intensity changes for chest X-rays, applied identically to an image and its
/// mask: small rotations, shifts and scaling (no flips: the heart is on the left), brightness and
/// contrast. Geometry uses bilinear sampling for images and nearest for masks; pixels moved in from
/// outside the image are 0 (background). Optionally, background swapping (off by default).
public struct AugmentationConfiguration: Codable, Sendable, Equatable {
  /// Maximum rotation either way, degrees.
  public var rotationDegrees: Double
  /// Maximum shift either way, as a fraction of the image size.
  public var shift: Double
  /// Maximum relative zoom either way (0.1 = 90%...110%).
  public var scale: Double
  /// Maximum brightness offset either way, in [0, 1] intensity units.
  public var brightness: Double
  /// Maximum relative contrast change either way.
  public var contrast: Double
  /// Probability that a training image keeps only its lungs (its mask) and takes everything outside
  /// them from another image of its batch, after the other changes: a background marker then no longer
  /// goes with its image's class, by any path. nil or 0: off.
  public var backgroundSwap: Double?

  public init(rotationDegrees: Double = 7, shift: Double = 0.05, scale: Double = 0.08,
              brightness: Double = 0.08, contrast: Double = 0.1, backgroundSwap: Double? = nil) {
    self.rotationDegrees = rotationDegrees
    self.shift = shift
    self.scale = scale
    self.brightness = brightness
    self.contrast = contrast
    self.backgroundSwap = backgroundSwap
  }

  public static let none = AugmentationConfiguration(rotationDegrees: 0, shift: 0, scale: 0, brightness: 0, contrast: 0)
}

struct Augmenter {
  let configuration: AugmentationConfiguration

  func callAsFunction(_ batch: Batch, using generator: inout some RandomNumberGenerator) throws -> Batch {
    let count = batch.labelValues.count
    func draw(_ limit: Double) -> Double {
      limit == 0 ? 0 : Double.random(in: -limit...limit, using: &generator)
    }
    var theta: [Float] = []
    var gains: [Float] = []
    var offsets: [Float] = []
    for _ in 0..<count {
      let angle = draw(configuration.rotationDegrees) * .pi / 180
      let zoom = 1 + draw(configuration.scale)
      let (dx, dy) = (draw(configuration.shift) * 2, draw(configuration.shift) * 2)
      // affine_grid maps output coordinates to input coordinates in [-1, 1].
      theta += [cos(angle) / zoom, -sin(angle) / zoom, dx, sin(angle) / zoom, cos(angle) / zoom, dy].map(Float.init)
      gains.append(Float(1 + draw(configuration.contrast)))
      offsets.append(Float(draw(configuration.brightness)))
    }
    let affine = try Tensor(theta, shape: [count, 2, 3])
    let grid = try Tensor.affineGrid(theta: affine, size: batch.images.shape)
    let moved = try batch.images.gridSample(grid, interpolation: .bilinear, padding: .zeros)
    let masks = try batch.masks.gridSample(grid, interpolation: .nearest, padding: .zeros)
    let gain = try Tensor(gains, shape: [count, 1, 1, 1])
    let offset = try Tensor(offsets, shape: [count, 1, 1, 1])
    let images = try ((moved - 0.5) * gain + 0.5 + offset).clamp(min: 0, max: 1)
    return try Batch(images: swappingBackgrounds(images, masks: masks, using: &generator), masks: masks, labels: batch.labelValues)
  }

  /// `images` where each chosen one (probability `backgroundSwap`) keeps its lungs and takes the rest
  /// from the image a random permutation of the batch assigns it.
  func swappingBackgrounds(_ images: Tensor, masks: Tensor, using generator: inout some RandomNumberGenerator) throws -> Tensor {
    let count = images.shape[0]
    guard let probability = configuration.backgroundSwap, probability > 0, count > 1 else { return images }
    let donors = Array(0..<count).shuffled(using: &generator).map(Int64.init)
    let chosen = (0..<count).map { _ in Float(Double.random(in: 0..<1, using: &generator) < probability ? 1 : 0) }
    let replaced = try (1.0 - masks) * Tensor(chosen, shape: [count, 1, 1, 1])
    return try images * (1.0 - replaced) + images.indexSelect(dim: 0, index: Tensor(donors, shape: [count])) * replaced
  }
}
