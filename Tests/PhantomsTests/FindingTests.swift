import Phantoms
import Testing

@Suite("Findings follow the class and the difficulty")
struct FindingTests {
  static func findings(_ condition: PhantomClass, difficulty: Double, count: Int = 300) -> [Finding] {
    (0..<count).map { PhantomRenderer.finding(for: spec(seed: UInt64($0), condition, difficulty: difficulty)) }
  }

  @Test("at difficulty 0 every finding is typical and clearly visible, normals are clear")
  func easy() {
    #expect(Self.findings(.normal, difficulty: 0).allSatisfy { $0.pattern == .none })
    let pneumonia = Self.findings(.pneumonia, difficulty: 0)
    #expect(pneumonia.allSatisfy { [.lobar, .focal].contains($0.pattern) && $0.severity > 0.6 && $0.lungs.count == 1 })
    #expect(Set(pneumonia.map(\.pattern)) == [.lobar, .focal])
    let covid = Self.findings(.covid19, difficulty: 0)
    #expect(covid.allSatisfy { $0.pattern == .peripheralGroundGlass && $0.severity > 0.6 && $0.lungs == ["right", "left"] })
  }

  @Test("at difficulty 1 findings are often faint or atypical and normals have look-alikes")
  func hard() {
    let pneumonia = Self.findings(.pneumonia, difficulty: 1)
    let covid = Self.findings(.covid19, difficulty: 1)
    let normal = Self.findings(.normal, difficulty: 1)
    let faint = (pneumonia + covid).filter { $0.severity < 0.1 }.count
    #expect(faint > 60)
    #expect(pneumonia.contains { $0.pattern == .multifocal })
    #expect(covid.contains { $0.pattern == .atypicalGroundGlass })
    let lookAlikes = normal.filter { $0.pattern == .lookAlike }.count
    #expect(lookAlikes > 100 && lookAlikes < 200)
  }

  @Test("the default difficulty leaves some findings invisible, so no classifier can be perfect")
  func defaultIsImperfect() {
    let findings = Self.findings(.pneumonia, difficulty: 0.5, count: 1000) + Self.findings(.covid19, difficulty: 0.5, count: 1000)
    let invisible = findings.filter { $0.severity < 0.05 }.count
    #expect(invisible > 4 && invisible < 60)
  }
}
