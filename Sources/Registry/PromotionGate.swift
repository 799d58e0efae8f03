import Foundation

/// Whether a retrained model may replace the current one: on the frozen validation images its
/// accuracy must be better than guessing the commonest label (one-sided binomial test at
/// ``chanceLevel``), its macro F1 at least the floor and no worse than the current model's by more
/// than the margin, and its mean background share no worse than the current model's by more than its
/// margin (0 by default: no worse). Both models are measured on the same images. The chance test is
/// what rejects a model trained on wrong labels when the validation labels are wrong too, so that the
/// current model scores no better on them.
public struct PromotionGate: Codable, Sendable, Equatable {
  /// The least validation macro F1 any candidate needs, whatever it replaces.
  public var minimumMacroF1: Double
  /// How far below the current model's macro F1 the candidate's may lie.
  public var maximumMacroF1Drop: Double
  /// How far above the current model's background share the candidate's may lie.
  public var maximumBackgroundShareIncrease: Double
  /// How unlikely the candidate's accuracy must be for a model that guesses the commonest label.
  public var chanceLevel: Double

  public init(minimumMacroF1: Double = 0.5, maximumMacroF1Drop: Double = 0.02, maximumBackgroundShareIncrease: Double = 0,
              chanceLevel: Double = 0.01) {
    self.chanceLevel = chanceLevel
    self.minimumMacroF1 = minimumMacroF1
    self.maximumMacroF1Drop = maximumMacroF1Drop
    self.maximumBackgroundShareIncrease = maximumBackgroundShareIncrease
  }

  /// The decision on `candidate` against `current` (nil: the current model cannot be measured on these
  /// images, so only the floor applies).
  public func decide(candidate: ValidationFigures, current: ValidationFigures?) -> GateDecision {
    var reasons: [String] = []
    func figure(_ value: Double) -> String { String(format: "%.4f", value) }
    if candidate.predicted == 0 {
      reasons.append("the candidate predicted none of the \(candidate.images) validation images")
    } else if candidate.chanceProbability > chanceLevel {
      reasons.append("validation accuracy \(figure(candidate.accuracy)) on \(candidate.predicted) images is not better than guessing the commonest label (\(figure(candidate.chanceAccuracy))): chance probability \(figure(candidate.chanceProbability)) > \(chanceLevel)")
    }
    if candidate.predicted > 0, candidate.macroF1 < minimumMacroF1 {
      reasons.append("validation macro F1 \(figure(candidate.macroF1)) is below the floor \(figure(minimumMacroF1))")
    }
    if let current {
      if candidate.macroF1 < current.macroF1 - maximumMacroF1Drop {
        reasons.append("validation macro F1 \(figure(candidate.macroF1)) is worse than the current model's \(figure(current.macroF1)) by more than \(figure(maximumMacroF1Drop))")
      }
      switch (candidate.backgroundShare, current.backgroundShare) {
      case (let share?, let currentShare?) where share > currentShare + maximumBackgroundShareIncrease:
        reasons.append("background share \(figure(share)) is worse than the current model's \(figure(currentShare)) by more than \(figure(maximumBackgroundShareIncrease))")
      case (nil, _?):
        reasons.append("no validation image had a plausible lung mask, so the background share cannot be compared")
      default:
        break
      }
    }
    return GateDecision(accepted: reasons.isEmpty, reasons: reasons, gate: self)
  }
}

/// The gate's verdict on one candidate, with the settings it used.
public struct GateDecision: Codable, Sendable, Equatable {
  public var accepted: Bool
  /// Why it was rejected; empty when accepted.
  public var reasons: [String]
  public var gate: PromotionGate

  public init(accepted: Bool, reasons: [String], gate: PromotionGate) {
    self.accepted = accepted
    self.reasons = reasons
    self.gate = gate
  }
}
