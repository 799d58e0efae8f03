/// The events the daemon writes to the journal, each with a fixed MESSAGE_ID (made once with
/// `systemd-id128 new`; never change one, operators filter on them) and a priority.
/// docs/operations.md lists them with their fields.
public enum DaemonEvent: String, CaseIterable, Sendable {
  /// A file in the inbox was claimed into the work area.
  case received
  /// A file was screened and no shortcut was suspected (or its mask could not be assessed).
  case screened
  /// A file was screened and a shortcut is suspected: the prediction may rest on the background.
  case flagged
  /// A file was deliberately not screened (an acceptance rule: lateral view, not a chest X-ray, ...).
  case notScreened = "not_screened"
  /// A file failed and was moved to quarantine with its `.error.json` sidecar.
  case quarantined
  /// A file with the same content as one already processed; recorded, not screened again.
  case duplicate
  /// The model bundle was loaded at start-up.
  case modelLoaded = "model_loaded"
  /// Configuration and model bundle were reloaded (SIGHUP).
  case reloaded
  /// A reload failed; the previous configuration and model keep serving.
  case reloadFailed = "reload_failed"
  /// The registry's current model changed (a promotion or a rollback) and now serves.
  case modelSwitched = "model_switched"
  /// The registry's new current model could not be loaded; the previous one keeps serving.
  case modelSwitchFailed = "model_switch_failed"
  /// The service started serving (READY=1) or began to stop.
  case started
  case stopping

  /// The journal's MESSAGE_ID: 128 bits, lower-case hexadecimal.
  public var messageID: String {
    switch self {
    case .received: "679b200ab0a648f386c80fa04f619a0c"
    case .screened: "3f45e85f05eb4bfb84643649d1df161b"
    case .flagged: "0944fc054d6e4fb59037050854235ccf"
    case .notScreened: "2417eda78bc5475db517ded5cd46eea9"
    case .quarantined: "5a5d999d9a994be49aafe6c959e9f51d"
    case .duplicate: "2f63db7031e04f57a6f57d2e10b18f07"
    case .modelLoaded: "489866b193314ac5b2704fbeca34a6cb"
    case .reloaded: "08eafad8d1df4b5c8c7aa9d85a50c874"
    case .reloadFailed: "1103e5828f9645d1a1417c2372e3a6b9"
    case .modelSwitched: "dbfed55ec5e4411491a7b14ab5298ee0"
    case .modelSwitchFailed: "2d64ec4b15a849648f9d6202e59a6245"
    case .started: "4d4b6c1498c142e78ef656206102a6c9"
    case .stopping: "811a0cfbccc343f597b3b0caabcb9dc6"
    }
  }
}
