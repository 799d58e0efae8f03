public import Torch

/// The background-attention share of each heatmap: Σ|H|·(1 − M) / Σ|H| over channels and pixels, with
/// heatmaps [B, C, H, W] (one explained class per sample) and masks [B, 1, H, W] (1 = lungs). A share
/// near 1 means the explanation rests on the background. An all-zero heatmap has share 0.
public func backgroundShares(heatmaps: Tensor, masks: Tensor) throws -> [Double] {
  let magnitude = try heatmaps.abs()
  let background = try magnitude * (1.0 - masks)
  let total = try magnitude.sum(dims: [1, 2, 3])
  let share = try background.sum(dims: [1, 2, 3]) / total.clamp(min: 1e-30)
  return try share.values(as: Double.self)
}
