import CoreMetrics
import Durable
import Foundation
import Prometheus

/// The daemon's metrics through swift-metrics, rendered in the Prometheus text format by
/// swift-prometheus and written atomically to a file for node_exporter's textfile collector (the
/// daemon opens no port). Each daemon has its own registry, so tests can run several in one process.
final class DaemonMetrics: @unchecked Sendable {
  // @unchecked Sendable: the swift-metrics handles are thread-safe; `modelVersion` is touched only by the
  // daemon's loop thread.
  private let registry = PrometheusCollectorRegistry()
  private let factory: PrometheusMetricsFactory
  private var outcomes: [String: CoreMetrics.Counter] = [:]
  private let queueLength: CoreMetrics.Gauge
  private let stages: [String: CoreMetrics.Timer]
  private let dropToReport: CoreMetrics.Timer
  private var modelInfo: [String: CoreMetrics.Gauge] = [:]

  /// The outcomes counted, one label value each.
  static let outcomeNames = ["screened", "flagged", "not_screened", "quarantined", "duplicate"]
  static let stageNames = ["intake", "segment", "classify", "background_checks", "render", "write"]

  init() {
    var factory = PrometheusMetricsFactory(registry: registry)
    let stageBuckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                    .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
    factory.defaultDurationHistogramBuckets = stageBuckets
    factory.durationHistogramBuckets["isnetd_drop_to_report_seconds"] = stageBuckets + [.seconds(30), .seconds(60), .seconds(300)]
    self.factory = factory
    for outcome in Self.outcomeNames {
      outcomes[outcome] = CoreMetrics.Counter(label: "isnetd_inputs_total", dimensions: [("outcome", outcome)], factory: factory)
      outcomes[outcome]!.increment(by: 0)
    }
    queueLength = CoreMetrics.Gauge(label: "isnetd_queue_length", factory: factory)
    stages = Dictionary(uniqueKeysWithValues: Self.stageNames.map {
      ($0, CoreMetrics.Timer(label: "isnetd_stage_seconds", dimensions: [("stage", $0)], factory: factory))
    })
    dropToReport = CoreMetrics.Timer(label: "isnetd_drop_to_report_seconds", factory: factory)
  }

  func count(_ outcome: String) { outcomes[outcome]?.increment() }

  func setQueueLength(_ length: Int) { queueLength.record(length) }

  /// A report's stage times (milliseconds, as reports carry them).
  func recordStages(_ timing: [String: Double]) {
    for (stage, milliseconds) in timing where milliseconds.isFinite && milliseconds >= 0 {
      stages[stage]?.recordNanoseconds(Int64(milliseconds * 1e6))
    }
  }

  func recordDropToReport(seconds: Double) {
    guard seconds.isFinite, seconds >= 0 else { return }
    dropToReport.recordNanoseconds(Int64(seconds * 1e9))
  }

  /// `isnetd_model_info{version="..."} 1` for the serving model's version; 0 for versions that served
  /// earlier in this run.
  func setModelVersion(_ version: String) {
    for gauge in modelInfo.values { gauge.record(0) }
    let gauge = modelInfo[version] ?? CoreMetrics.Gauge(label: "isnetd_model_info", dimensions: [("version", version)], factory: factory)
    gauge.record(1)
    modelInfo[version] = gauge
  }

  /// The text format, as node_exporter reads it.
  func rendered() -> String { registry.emitToString() }

  /// Writes the text format to `path` atomically (a temporary dotfile, which the collector ignores,
  /// then a rename).
  func write(to path: String) throws {
    try AtomicFile.write(Data(rendered().utf8), to: path)
  }
}
