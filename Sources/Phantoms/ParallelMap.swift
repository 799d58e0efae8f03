import Dispatch
import Foundation
import Synchronization

/// Runs `body` for `0..<count` on up to `threads` threads and returns the results in index order; the
/// first error thrown stops the remaining work and is rethrown. Workers take the next index from a
/// shared counter, so the order of work varies but each result depends on its index alone.
public enum ParallelMap {
  /// The number of CPUs available to the process.
  public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

  /// The results of `body(0)` to `body(count - 1)`, computed on up to `threads` threads, in index order.
  public static func map<Result: Sendable>(count: Int, threads: Int, _ body: @Sendable (Int) throws -> Result) throws -> [Result] {
    precondition(count >= 0 && threads > 0, "a count of zero or more and at least one thread")
    guard count > 0 else { return [] }
    let results = Slots<Result>(count: count)
    let next = Atomic<Int>(0)
    let failure = Mutex<(any Error)?>(nil)
    DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
      while true {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < count, failure.withLock({ $0 == nil }) else { return }
        do {
          results.store(try body(index), at: index)
        } catch {
          failure.withLock { if $0 == nil { $0 = error } }
          return
        }
      }
    }
    if let error = failure.withLock({ $0 }) { throw error }
    return results.values()
  }
}

/// One slot per index, each written by exactly one worker before ``values()`` reads them all after the
/// workers have joined.
private final class Slots<Value: Sendable>: @unchecked Sendable {
  // @unchecked Sendable: distinct indices are written from distinct threads, never the same slot twice,
  // and reading happens after concurrentPerform returns (a join).
  private let storage: UnsafeMutableBufferPointer<Value?>

  init(count: Int) {
    storage = .allocate(capacity: count)
    storage.initialize(repeating: nil)
  }

  deinit {
    storage.deinitialize()
    storage.deallocate()
  }

  func store(_ value: Value, at index: Int) { storage[index] = value }

  func values() -> [Value] { storage.map { $0! } }
}
