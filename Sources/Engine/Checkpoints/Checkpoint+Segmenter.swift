extension Checkpoint {
  /// Builds the checkpoint's segmenter and loads its weights; a classifier checkpoint is refused with a
  /// message saying so.
  public func loadSegmenter() throws -> (model: any Segmenter, metadata: CheckpointMetadata) {
    let metadata = try metadata()
    guard metadata.architecture.isSegmenter else {
      throw EngineError.checkpoint("\(metadataPath) holds a classifier; a lung segmenter (U-Net) checkpoint is needed")
    }
    let weights = try confirmedWeights(for: metadata)
    let model = try metadata.architecture.makeSegmenter()
    try load(weights, into: model)
    return (model, metadata)
  }
}
