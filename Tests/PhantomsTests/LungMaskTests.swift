import Imaging
import Phantoms
import Testing

@Suite("Lung masks are the lung model")
struct LungMaskTests {
  static let cases: [(String, PhantomSpec)] = [
    ("PA square", spec(seed: 3, size: 128)),
    ("AP", spec(seed: 4, size: 128, acquisition: Acquisition(view: .anteroposterior))),
    ("lateral", spec(seed: 5, size: 128, acquisition: Acquisition(view: .lateral))),
    ("wide", PhantomSpec(seed: 6, condition: .pneumonia, width: 160, height: 112)),
    ("tall", PhantomSpec(seed: 7, condition: .covid19, width: 100, height: 150)),
  ]

  @Test("every lung-model pixel is in the mask and every mask pixel in the lung model", arguments: 0..<5)
  func maskEqualsModel(caseIndex: Int) {
    let (name, spec) = Self.cases[caseIndex]
    let phantom = PhantomRenderer.render(spec)
    var insideModel = 0
    var maskInsideModel = 0
    var modelOutsideMask = 0
    for y in 0..<spec.height {
      for x in 0..<spec.width {
        let inModel = phantom.lungOutlines.contains { $0.contains(x: Double(x) + 0.5, y: Double(y) + 0.5) }
        let inMask = phantom.lungMask[y * spec.width + x] == 1
        if inModel { insideModel += 1 }
        if inMask && inModel { maskInsideModel += 1 }
        if inModel && !inMask { modelOutsideMask += 1 }
      }
    }
    let maskArea = phantom.lungPixelCount
    #expect(maskArea > spec.width * spec.height / 20, "\(name): the lungs are visible")
    #expect(maskInsideModel == maskArea, "\(name): mask area inside the lung model is 100 %")
    #expect(modelOutsideMask == 0, "\(name): no lung-model pixel outside the mask")
    #expect(phantom.lungOutlines.count == (spec.acquisition.view.isFrontal ? 2 : 1))
    #expect(Set(phantom.lungMask).isSubset(of: [0, 1]))
  }

  @Test("the mask lies on the dark lung fields of the image")
  func maskMatchesImage() {
    for (name, spec) in Self.cases {
      let phantom = PhantomRenderer.render(spec)
      let width = spec.width
      // Pixels just inside the lungs against pixels just outside (within 3 pixels of the edge).
      var inner: [Float] = []
      var outer: [Float] = []
      for y in 3..<(spec.height - 3) {
        for x in 3..<(width - 3) {
          let here = phantom.lungMask[y * width + x]
          var nearEdge = false
          for dy in -3...3 { for dx in -3...3 where phantom.lungMask[(y + dy) * width + x + dx] != here { nearEdge = true } }
          guard nearEdge else { continue }
          (here == 1 ? { inner.append(phantom.image[x, y]) } : { outer.append(phantom.image[x, y]) })()
        }
      }
      let mean = { (values: [Float]) in values.reduce(0, +) / Float(max(values.count, 1)) }
      #expect(mean(inner) + 0.05 < mean(outer), "\(name): lungs darker than their surroundings")
    }
  }

  @Test("findings change only lung pixels", arguments: [PhantomClass.pneumonia, .covid19])
  func findingsInsideLungs(condition: PhantomClass) {
    var changedSomething = false
    for seed: UInt64 in 20..<26 {
      let normal = PhantomRenderer.render(spec(seed: seed, .normal, difficulty: 0))
      let sick = PhantomRenderer.render(spec(seed: seed, condition, difficulty: 0))
      #expect(normal.lungMask == sick.lungMask)
      let changed = differences(normal, sick)
      #expect(changed.allSatisfy { normal.lungMask[$0] == 1 })
      changedSomething = changedSomething || changed.count > 20
    }
    #expect(changedSomething)
  }

  @Test("markers change only background pixels, and every kind and style shows")
  func markersOutsideLungs() {
    for kind in MarkerKind.allCases {
      for style in PhantomClass.allCases {
        let plain = PhantomRenderer.render(spec(seed: 30, .pneumonia, size: 128))
        let marked = PhantomRenderer.render(spec(seed: 30, .pneumonia, marker: Marker(kind: kind, style: style), size: 128))
        let changed = differences(plain, marked)
        #expect(changed.count > 30, "\(kind) \(style) is visible")
        #expect(changed.allSatisfy { plain.lungMask[$0] == 0 }, "\(kind) \(style) stays off the lungs")
      }
    }
  }

  @Test("each class's marker of a kind differs from the other classes'")
  func stylesDiffer() {
    for kind in MarkerKind.allCases {
      let images = PhantomClass.allCases.map {
        PhantomRenderer.render(spec(seed: 31, marker: Marker(kind: kind, style: $0), size: 128)).image
      }
      #expect(images[0] != images[1] && images[1] != images[2] && images[0] != images[2], "\(kind)")
    }
  }
}
