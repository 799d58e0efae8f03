extension Architecture {
  /// Checks the sizes the sidecar gives (blocks and layers per block, growth rate, bottleneck width,
  /// stem width, classes, input channels; a U-Net's depth and widths) against the weights' names and
  /// shapes, before any network is built: a network is allocated only from sizes the weights confirm,
  /// so a sidecar cannot ask for more memory than its weights file holds. The arithmetic cannot
  /// overflow. `shapes` maps every tensor name of the weights file to its shape. Throws
  /// `EngineError.checkpointField` naming the sidecar field the weights contradict; the full name and
  /// shape check follows once the network is built (``Checkpoint/loadWeights(into:expectedFingerprint:)``).
  public func confirm(by shapes: [String: [Int]]) throws(EngineError) {
    switch self {
    case .denseNet(let configuration): try configuration.confirm(by: shapes)
    case .resNet(let configuration): try configuration.confirm(by: shapes)
    case .uNet(let configuration): try configuration.confirm(by: shapes)
    }
  }
}

/// `architecture.parameters.<name>`, as the sidecar spells it.
private func parameter(_ name: String, _ message: String) -> EngineError {
  .checkpointField(field: "architecture.parameters.\(name)", message: message)
}

/// The shape of `name`, or an error saying the weights lack a tensor every such network has.
private func required(_ name: String, in shapes: [String: [Int]], network: String) throws(EngineError) -> [Int] {
  guard let shape = shapes[name] else {
    throw EngineError.checkpoint("the weights have no tensor \(name), which every \(network) has")
  }
  return shape
}

/// The numbers `n` of the names that continue `prefix` with `n.`, e.g. the blocks of "features.denseblock".
private func indices(after prefix: String, in names: some Sequence<String>) -> Set<Int> {
  var found: Set<Int> = []
  for name in names where name.hasPrefix(prefix) {
    let rest = name.dropFirst(prefix.count)
    guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) else { continue }
    found.insert(index)
  }
  return found
}

/// Checks the 7x7 stem convolution `name` against the sidecar's stem width and input channels.
private func confirmStem(_ name: String, in shapes: [String: [Int]], network: String, features: Int, channels: Int) throws(EngineError) {
  let stem = try required(name, in: shapes, network: network)
  guard stem.count == 4, stem[2] == 7, stem[3] == 7 else {
    throw EngineError.checkpoint("\(name) has shape \(stem), not [features, channels, 7, 7]")
  }
  guard stem[0] == features else {
    throw parameter("initialFeatures", "is \(features), the weights' stem \(name) has \(stem[0])")
  }
  guard stem[1] == channels else {
    throw parameter("inputChannels", "is \(channels), the weights' stem \(name) takes \(stem[1])")
  }
}

/// Whether `found` is exactly 1...count.
private func isOneThrough(_ count: Int, _ found: Set<Int>) -> Bool {
  count > 0 && found.count == count && found.allSatisfy { (1...count).contains($0) }
}

extension DenseNetConfiguration {
  func confirm(by shapes: [String: [Int]]) throws(EngineError) {
    try confirmStem("features.conv0.weight", in: shapes, network: "DenseNet", features: initialFeatures, channels: inputChannels)

    // One pass over the names: the dense layers of each block.
    var layers: [Int: Set<Int>] = [:]
    let blockPrefix = "features.denseblock"
    for name in shapes.keys where name.hasPrefix(blockPrefix) {
      let rest = name.dropFirst(blockPrefix.count)
      guard let dot = rest.firstIndex(of: "."), let block = Int(rest[..<dot]) else { continue }
      let inner = rest[rest.index(after: dot)...]
      guard inner.hasPrefix("denselayer") else { continue }
      let tail = inner.dropFirst("denselayer".count)
      guard let end = tail.firstIndex(of: "."), let layer = Int(tail[..<end]) else { continue }
      layers[block, default: []].insert(layer)
    }
    guard isOneThrough(blockLayers.count, Set(layers.keys)) else {
      throw parameter("blockLayers", "has \(blockLayers.count) blocks, the weights hold \(layers.count)")
    }
    for (index, count) in blockLayers.enumerated() where !isOneThrough(count, layers[index + 1] ?? []) {
      throw parameter("blockLayers", "gives block \(index + 1) \(count) layers, the weights hold \(layers[index + 1]?.count ?? 0)")
    }

    let first = "features.denseblock1.denselayer1"
    let conv2 = try required("\(first).conv2.weight", in: shapes, network: "DenseNet")
    guard conv2.count == 4, conv2[0] == growthRate else {
      throw parameter("growthRate", "is \(growthRate), the weights' \(first).conv2.weight has shape \(conv2)")
    }
    let conv1 = try required("\(first).conv1.weight", in: shapes, network: "DenseNet")
    let (bottleneck, overflow) = bottleneckWidth.multipliedReportingOverflow(by: growthRate)
    guard !overflow, bottleneckWidth > 0, conv1.count == 4, conv1[0] == bottleneck else {
      throw parameter("bottleneckWidth", "is \(bottleneckWidth) (times growth rate \(growthRate)), the weights' "
        + "\(first).conv1.weight has shape \(conv1)")
    }
    let head = try required("classifier.weight", in: shapes, network: "DenseNet")
    guard head.count == 2, head[0] == classCount else {
      throw parameter("classCount", "is \(classCount), the weights' classifier.weight has shape \(head)")
    }
  }
}

extension ResNetConfiguration {
  func confirm(by shapes: [String: [Int]]) throws(EngineError) {
    try confirmStem("conv1.weight", in: shapes, network: "ResNet", features: initialFeatures, channels: inputChannels)
    let stages = indices(after: "layer", in: shapes.keys)
    guard isOneThrough(blockLayers.count, stages) else {
      throw parameter("blockLayers", "has \(blockLayers.count) stages, the weights hold \(stages.count)")
    }
    for (stage, count) in blockLayers.enumerated() {
      // torchvision numbers the blocks of a stage from 0.
      let blocks = indices(after: "layer\(stage + 1).", in: shapes.keys)
      guard blocks == Set(0..<count) else {
        throw parameter("blockLayers", "gives stage \(stage + 1) \(count) blocks, the weights hold \(blocks.count)")
      }
      let name = "layer\(stage + 1).0.conv1.weight"
      let conv = try required(name, in: shapes, network: "ResNet")
      guard conv.count == 4, conv[0] == widths[stage] else {
        throw parameter("widths", "gives stage \(stage + 1) width \(widths[stage]), the weights' \(name) has shape \(conv)")
      }
    }
    let head = try required("fc.weight", in: shapes, network: "ResNet")
    guard head.count == 2, head[0] == classCount else {
      throw parameter("classCount", "is \(classCount), the weights' fc.weight has shape \(head)")
    }
  }
}

extension UNetConfiguration {
  func confirm(by shapes: [String: [Int]]) throws(EngineError) {
    let stem = try required("inc.double_conv.0.weight", in: shapes, network: "U-Net")
    guard stem.count == 4, stem[0] == baseWidth else {
      throw parameter("baseWidth", "is \(baseWidth), the weights' inc.double_conv.0.weight has shape \(stem)")
    }
    guard stem[1] == inputChannels else {
      throw parameter("inputChannels", "is \(inputChannels), the weights' inc.double_conv.0.weight takes \(stem[1])")
    }
    let downs = indices(after: "down", in: shapes.keys)
    guard isOneThrough(depth, downs) else {
      throw parameter("depth", "is \(depth), the weights hold \(downs.count) downsampling levels")
    }
    let head = try required("outc.conv.weight", in: shapes, network: "U-Net")
    guard head.count == 4, head[0] == classCount else {
      throw parameter("classCount", "is \(classCount), the weights' outc.conv.weight has shape \(head)")
    }
  }
}
