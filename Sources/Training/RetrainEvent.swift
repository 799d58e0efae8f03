/// The journal events of a retrain, each with a fixed MESSAGE_ID (made once with `systemd-id128 new`;
/// never change one, operators filter on them). docs/retraining.md lists them with their fields.
public enum RetrainEvent: String, CaseIterable, Sendable {
  /// A retrain began training (with the data's counts).
  case started = "retrain_started"
  /// A training epoch ended (loss and validation figures).
  case epoch = "retrain_epoch"
  /// A scheduled retrain found too few new labelled images and did not train.
  case skipped = "retrain_skipped"
  /// The candidate passed the gate and is now the current model.
  case promoted
  /// The candidate failed the gate (`ISNETD_REASON`) and stays in the registry as rejected.
  case rejected = "retrain_rejected"
  /// A retrain ended: after promotion, rejection or a skip.
  case finished = "retrain_finished"
  /// A retrain could not finish (`ISNETD_ERROR_CODE`); the current model is untouched.
  case failed = "retrain_failed"

  public var messageID: String {
    switch self {
    case .started: "ea88aa037b12409b9f1acf48811f420c"
    case .epoch: "dee62e843e094b6cb12693b5224b4f89"
    case .skipped: "56a1c855dd1c40a699c7cc71f7ca6104"
    case .promoted: "a5270596bc464110bbfb8699c45e82dd"
    case .rejected: "6e7d0c80d86b49bdb0cef44042dbad29"
    case .finished: "e84106c1eed14cafb6641eb549ad35eb"
    case .failed: "4b7bca238abe4449b1911ac13d799f59"
    }
  }
}
