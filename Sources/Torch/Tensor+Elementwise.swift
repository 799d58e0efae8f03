internal import CTorch

typealias UnaryBridge = (OpaquePointer?, UnsafeMutablePointer<CTorchStatus>?) -> OpaquePointer?
typealias BinaryBridge = (OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<CTorchStatus>?) -> OpaquePointer?
typealias ScalarBridge = (OpaquePointer?, Double, UnsafeMutablePointer<CTorchStatus>?) -> OpaquePointer?

extension Tensor {
  @inline(__always)
  func apply(_ bridge: UnaryBridge) throws(TorchError) -> Tensor {
    try makeTensor { bridge(handle, $0) }
  }

  @inline(__always)
  func apply(_ bridge: BinaryBridge, _ other: Tensor) throws(TorchError) -> Tensor {
    try withExtendedLifetime(other) { () throws(TorchError) -> Tensor in try makeTensor { bridge(handle, other.handle, $0) } }
  }

  @inline(__always)
  func apply(_ bridge: ScalarBridge, _ value: Double) throws(TorchError) -> Tensor {
    try makeTensor { bridge(handle, value, $0) }
  }

  // MARK: Operators (broadcasting, as in PyTorch)

  public static func + (lhs: Tensor, rhs: Tensor) throws(TorchError) -> Tensor { try lhs.apply(ctorch_add, rhs) }
  public static func - (lhs: Tensor, rhs: Tensor) throws(TorchError) -> Tensor { try lhs.apply(ctorch_sub, rhs) }
  public static func * (lhs: Tensor, rhs: Tensor) throws(TorchError) -> Tensor { try lhs.apply(ctorch_mul, rhs) }
  public static func / (lhs: Tensor, rhs: Tensor) throws(TorchError) -> Tensor { try lhs.apply(ctorch_div, rhs) }
  public static func + (lhs: Tensor, rhs: Double) throws(TorchError) -> Tensor { try lhs.apply(ctorch_add_scalar, rhs) }
  public static func - (lhs: Tensor, rhs: Double) throws(TorchError) -> Tensor { try lhs.apply(ctorch_add_scalar, -rhs) }
  public static func * (lhs: Tensor, rhs: Double) throws(TorchError) -> Tensor { try lhs.apply(ctorch_mul_scalar, rhs) }
  public static func / (lhs: Tensor, rhs: Double) throws(TorchError) -> Tensor { try lhs.apply(ctorch_mul_scalar, 1 / rhs) }
  public static func + (lhs: Double, rhs: Tensor) throws(TorchError) -> Tensor { try rhs.apply(ctorch_add_scalar, lhs) }
  public static func - (lhs: Double, rhs: Tensor) throws(TorchError) -> Tensor { try rhs.apply(ctorch_rsub_scalar, lhs) }
  public static func * (lhs: Double, rhs: Tensor) throws(TorchError) -> Tensor { try rhs.apply(ctorch_mul_scalar, lhs) }
  public static prefix func - (operand: Tensor) throws(TorchError) -> Tensor { try operand.apply(ctorch_neg) }

  // MARK: Binary functions

  public func maximum(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_maximum, other) }
  public func minimum(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_minimum, other) }
  public func pow(_ exponent: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_pow, exponent) }
  public func pow(_ exponent: Double) throws(TorchError) -> Tensor { try apply(ctorch_pow_scalar, exponent) }
  public func matmul(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_matmul, other) }

  /// Comparisons return bool tensors.
  public func greater(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_gt, other) }
  public func less(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_lt, other) }
  public func greaterOrEqual(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_ge, other) }
  public func lessOrEqual(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_le, other) }
  public func equal(_ other: Tensor) throws(TorchError) -> Tensor { try apply(ctorch_eq, other) }
  public func greater(_ value: Double) throws(TorchError) -> Tensor { try apply(ctorch_gt_scalar, value) }
  public func less(_ value: Double) throws(TorchError) -> Tensor { try apply(ctorch_lt_scalar, value) }
  public func greaterOrEqual(_ value: Double) throws(TorchError) -> Tensor { try apply(ctorch_ge_scalar, value) }
  public func equal(_ value: Double) throws(TorchError) -> Tensor { try apply(ctorch_eq_scalar, value) }

  /// Elementwise `condition ? a : b`.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws(TorchError) -> Tensor {
    try withExtendedLifetime((condition, a, b)) { () throws(TorchError) -> Tensor in
      try makeTensor { ctorch_where(condition.handle, a.handle, b.handle, $0) }
    }
  }

  // MARK: Unary functions

  public func abs() throws(TorchError) -> Tensor { try apply(ctorch_abs) }
  public func exp() throws(TorchError) -> Tensor { try apply(ctorch_exp) }
  public func log() throws(TorchError) -> Tensor { try apply(ctorch_log) }
  public func log1p() throws(TorchError) -> Tensor { try apply(ctorch_log1p) }
  public func sqrt() throws(TorchError) -> Tensor { try apply(ctorch_sqrt) }
  public func square() throws(TorchError) -> Tensor { try apply(ctorch_square) }
  public func sign() throws(TorchError) -> Tensor { try apply(ctorch_sign) }
  public func relu() throws(TorchError) -> Tensor { try apply(ctorch_relu) }
  public func sigmoid() throws(TorchError) -> Tensor { try apply(ctorch_sigmoid) }
  public func tanh() throws(TorchError) -> Tensor { try apply(ctorch_tanh) }
  public func floor() throws(TorchError) -> Tensor { try apply(ctorch_floor) }
  public func rounded() throws(TorchError) -> Tensor { try apply(ctorch_round) }
  public func isNaN() throws(TorchError) -> Tensor { try apply(ctorch_isnan) }
  public func isInfinite() throws(TorchError) -> Tensor { try apply(ctorch_isinf) }

  public func clamp(min: Double, max: Double) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_clamp(handle, min, max, $0) }
  }
  public func clamp(min: Double) throws(TorchError) -> Tensor { try apply(ctorch_clamp_min, min) }
  public func clamp(max: Double) throws(TorchError) -> Tensor { try apply(ctorch_clamp_max, max) }

  /// Replaces NaN and infinities (torch.nan_to_num); infinities default to the dtype's extremes.
  public func nanToNum(nan: Double = 0, positiveInfinity: Double = .greatestFiniteMagnitude,
                       negativeInfinity: Double = -.greatestFiniteMagnitude) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_nan_to_num(handle, nan, positiveInfinity, negativeInfinity, $0) }
  }
}
