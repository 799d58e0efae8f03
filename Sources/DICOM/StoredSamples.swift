/// The stored values of one frame, one Float array per sample (channel), before any modality
/// transform or colour conversion.
struct StoredSamples {
  var channels: [[Float]]
  /// The interpretation of the channels (a codec may have changed it, YBR to RGB).
  var photometric: Photometric
  /// The gray mapping already applied to the values, strip by strip, which also went to the row
  /// consumer; nil for stored values as read.
  var mapping: GrayMapping? = nil

  /// Whether the row consumer has had the values already.
  var streamed: Bool { mapping != nil }
}

/// How stored values sit in the bytes of one uncompressed frame (PS3.5 section 8).
struct SampleLayout {
  let module: PixelModule
  /// Multi-byte samples are big endian.
  let bigEndian: Bool
  /// Overrides the module's photometric interpretation (what a codec decoded to).
  let photometric: Photometric
  /// Colour planes one after the other (Planar Configuration 1, or what a codec delivers).
  var planar: Bool

  init(module: PixelModule, bigEndian: Bool, photometric: Photometric, planar: Bool? = nil) {
    self.module = module
    self.bigEndian = bigEndian
    self.photometric = photometric
    self.planar = planar ?? module.isPlanar
  }

  /// Reads every channel of `bytes`: each sample is shifted down past the bits below Bits Stored, masked
  /// to Bits Stored and sign-extended when Pixel Representation is 1.
  func samples(of bytes: [UInt8]) throws(DICOMError) -> StoredSamples {
    let count = module.pixelCount
    let needed = photometric == .ybrFull422 && module.photometric == .ybrFull422
      ? module.nativeFrameBytes
      : (module.bitsAllocated == 1 ? (count + 7) / 8 : count * module.samplesPerPixel * module.bitsAllocated / 8)
    guard bytes.count >= needed else {
      throw DICOMError(.truncated, "the frame holds \(bytes.count) bytes of pixel data, \(needed) are needed")
    }
    var channels: [[Float]] = []
    if photometric == .ybrFull422 {
      // Native YBR_FULL_422: Y1 Y2 Cb Cr per pair of pixels; only luminance (Y) is needed.
      let runs = [(first: 0, stride: 4, outputFirst: 0), (first: 1, stride: 4, outputFirst: 1)]
      let luminance = read(bytes, count: count, runs: runs, length: count / 2, outputStride: 2)
      return StoredSamples(channels: [luminance], photometric: .ybrFull)
    }
    let samples = module.samplesPerPixel
    for sample in 0..<samples {
      let first = planar ? sample * count : sample
      channels.append(read(bytes, count: count, runs: [(first: first, stride: planar ? 1 : samples, outputFirst: 0)],
                           length: count, outputStride: 1))
    }
    return StoredSamples(channels: channels, photometric: photometric)
  }

  /// Converts `pixels` one-sample pixels of 8, 16 or 32 bits at `bytes` into stored values at `output`.
  func extractMonochrome(_ bytes: UnsafeRawPointer, pixels: Int, into output: UnsafeMutablePointer<Float>) {
    let shift = module.highBit + 1 - module.bitsStored
    switch module.bitsAllocated {
    case 8: Self.extract(UInt8.self, bytes, 0, 1, pixels, output, 1, bigEndian, shift, module.bitsStored, module.isSigned)
    case 16: Self.extract(UInt16.self, bytes, 0, 1, pixels, output, 1, bigEndian, shift, module.bitsStored, module.isSigned)
    default: Self.extract(UInt32.self, bytes, 0, 1, pixels, output, 1, bigEndian, shift, module.bitsStored, module.isSigned)
    }
  }

  /// A channel of `count` values: per run, sample `first + k * stride` goes to `outputFirst + k * outputStride`
  /// for `k < length`; the runs together write every value.
  private func read(_ bytes: [UInt8], count: Int, runs: [(first: Int, stride: Int, outputFirst: Int)], length: Int,
                    outputStride: Int) -> [Float] {
    let shift = module.highBit + 1 - module.bitsStored
    let bits = module.bitsStored
    let signed = module.isSigned
    let bitsAllocated = module.bitsAllocated
    let bigEndian = bigEndian
    return [Float](unsafeUninitializedCapacity: count) { target, initialized in
      bytes.withUnsafeBytes { raw in
        let base = raw.baseAddress!
        for run in runs {
          let out = target.baseAddress! + run.outputFirst
          switch bitsAllocated {
          case 1:
            for k in 0..<length {
              let bit = run.first + k * run.stride
              out[k * outputStride] = Float((base.load(fromByteOffset: bit >> 3, as: UInt8.self) >> UInt8(bit & 7)) & 1)
            }
          case 8:
            Self.extract(UInt8.self, base, run.first, run.stride, length, out, outputStride, bigEndian, shift, bits, signed)
          case 16:
            Self.extract(UInt16.self, base, run.first, run.stride, length, out, outputStride, bigEndian, shift, bits, signed)
          default:
            Self.extract(UInt32.self, base, run.first, run.stride, length, out, outputStride, bigEndian, shift, bits, signed)
          }
        }
      }
      initialized = count
    }
  }

  @inline(__always)
  private static func extract<Raw: FixedWidthInteger & UnsignedInteger>(
    _: Raw.Type, _ base: UnsafeRawPointer, _ first: Int, _ stride: Int, _ length: Int,
    _ output: UnsafeMutablePointer<Float>, _ outputStride: Int, _ bigEndian: Bool, _ shift: Int, _ bits: Int,
    _ signed: Bool
  ) {
    let size = MemoryLayout<Raw>.size
    if size <= 2 && !bigEndian && stride == 1 && outputStride == 1 {
      // The common case (8- or 16-bit little-endian samples, one channel), in 32-bit arithmetic
      // with loop-invariant masks so the compiler can vectorise it.
      let source = base.advanced(by: first * size)
      let mask32 = UInt32((1 << UInt64(bits)) - 1)
      let shift32 = UInt32(shift)
      if signed {
        let sign32 = UInt32(1) << UInt32(bits - 1)
        for k in 0..<length {
          let raw = source.loadUnaligned(fromByteOffset: k * size, as: Raw.self)
          let value = (UInt32(truncatingIfNeeded: raw) >> shift32) & mask32
          output[k] = Float(Int32(bitPattern: value ^ sign32) &- Int32(bitPattern: sign32))
        }
      } else {
        for k in 0..<length {
          let raw = source.loadUnaligned(fromByteOffset: k * size, as: Raw.self)
          output[k] = Float((UInt32(truncatingIfNeeded: raw) >> shift32) & mask32)
        }
      }
      return
    }
    let mask: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
    let signBit: UInt64 = 1 << UInt64(bits - 1)
    let shiftBits = UInt64(shift)
    for k in 0..<length {
      let stored = base.loadUnaligned(fromByteOffset: (first + k * stride) * size, as: Raw.self)
      let raw = UInt64(bigEndian ? Raw(bigEndian: stored) : Raw(littleEndian: stored))
      let value = (raw >> shiftBits) & mask
      output[k * outputStride] = signed ? Float(Int64(value ^ signBit) - Int64(signBit)) : Float(value)
    }
  }
}
