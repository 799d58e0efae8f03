import Imaging
public import PNG

/// A small grouped bar chart rendered to PNG with isnetd's built-in bitmap font: values in [0, 1],
/// one group of bars per category, one colour per series, a legend and a title per panel.
public struct BarChart: Sendable {
  public struct Panel: Sendable {
    public var title: String
    public var categories: [String]
    /// values[series][category], in [0, 1].
    public var values: [[Double]]

    public init(title: String, categories: [String], values: [[Double]]) {
      self.title = title
      self.categories = categories
      self.values = values
    }
  }

  public var series: [String]
  public var panels: [Panel]

  static let palette: [(UInt8, UInt8, UInt8)] = [(120, 120, 120), (214, 96, 40), (40, 120, 200), (60, 160, 80), (150, 80, 170)]
  static let panelWidth = 440
  static let height = 380
  static let plot = (left: 50, top: 50, height: 260)

  public init(series: [String], panels: [Panel]) {
    self.series = series
    self.panels = panels
  }

  public func render() throws -> PNGImage {
    var canvas = RGBCanvas(width: Self.panelWidth * panels.count, height: Self.height)
    for (index, panel) in panels.enumerated() {
      draw(panel, at: index * Self.panelWidth, on: &canvas)
    }
    // Legend along the bottom.
    var x = 20
    for (index, name) in series.enumerated() {
      canvas.fill(x: x, y: Self.height - 28, width: 14, height: 14, colour: Self.palette[index % Self.palette.count])
      canvas.text(name.uppercased(), x: x + 20, y: Self.height - 26, scale: 2)
      x += 40 + BitmapFont.size(of: name.uppercased(), scale: 2).width
    }
    return try PNGImage(width: canvas.width, height: canvas.height, format: .rgb, pixels: canvas.pixels)
  }

  private func draw(_ panel: Panel, at offset: Int, on canvas: inout RGBCanvas) {
    let plotWidth = Self.panelWidth - Self.plot.left - 20
    let baseline = Self.plot.top + Self.plot.height
    canvas.text(panel.title.uppercased(), x: offset + Self.plot.left, y: 16, scale: 2)
    for tick in [0.0, 0.5, 1.0] {
      let y = baseline - Int(tick * Double(Self.plot.height))
      canvas.fill(x: offset + Self.plot.left, y: y, width: plotWidth, height: 1, colour: (210, 210, 210))
      canvas.text(tick == 0.5 ? "0.5" : String(Int(tick)), x: offset + 8, y: y - 7, scale: 2)
    }
    let groupWidth = plotWidth / Swift.max(panel.categories.count, 1)
    let barWidth = Swift.max(4, (groupWidth - 16) / Swift.max(series.count, 1))
    for (category, name) in panel.categories.enumerated() {
      let groupLeft = offset + Self.plot.left + category * groupWidth + 8
      for seriesIndex in series.indices where seriesIndex < panel.values.count {
        let value = Swift.min(Swift.max(panel.values[seriesIndex][category], 0), 1)
        let barHeight = Int((value * Double(Self.plot.height)).rounded())
        canvas.fill(x: groupLeft + seriesIndex * barWidth, y: baseline - barHeight, width: barWidth - 2, height: barHeight,
                    colour: Self.palette[seriesIndex % Self.palette.count])
      }
      canvas.text(name.uppercased(), x: groupLeft, y: baseline + 8, scale: 1)
    }
  }
}
