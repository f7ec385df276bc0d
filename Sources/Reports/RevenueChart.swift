import Findings

/// The monthly ₹ at risk of a revenue impact as an SVG bar chart, written with libxml2: one bar per month of the
/// window with its amount above it, partial months drawn lighter and named in the legend, and a title that says what
/// the bars are, so that the file reads on its own as well as inside `report.md`.
public enum RevenueChart {
    /// The chart's file name for a step: `revenue-step-23.svg`.
    public static func fileName(step: Int) -> String { "revenue-step-\(step).svg" }

    /// The charts of a plan: one per step with a revenue impact that has month rows.
    static func charts(_ plan: [StepPlan]) throws -> [(name: String, svg: String)] {
        try plan.compactMap { step in
            for case .revenue(let revenue) in step.impacts where !revenue.months.isEmpty {
                return (fileName(step: step.step), try render(revenue, step: step.step))
            }
            return nil
        }
    }

    static let barWidth = 56.0, gap = 16.0, plotHeight = 240.0, left = 24.0, top = 64.0, bottom = 72.0
    /// Baselines of the heading and of the line under it.
    static let headingY = 24.0, subheadingY = 44.0

    /// The SVG document of one revenue impact's months.
    static func render(_ revenue: Impact.Revenue, step: Int) throws -> String {
        let rows = revenue.months
        let largest = max(rows.map(\.totals.rupees).max() ?? 0, 1)
        let width = left * 2 + Double(rows.count) * (barWidth + gap)
        let height = top + plotHeight + bottom
        let baseline = top + plotHeight
        let total = rows.reduce(0) { $0 + $1.totals.rupees }
        return try XMLWriter.document { xml in
            try xml.element("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", number(max(width, 480))),
                                    ("height", number(height)), ("font-family", "sans-serif"), ("font-size", "12")]) {
                let heading = "Step \(step): ₹ that would go unbilled, by month of delivery"
                try xml.element("title") { try xml.text(heading) }
                try xml.element("text", [("x", number(left)), ("y", number(headingY)), ("font-size", "16"), ("font-weight", "bold")]) {
                    try xml.text(heading)
                }
                try xml.element("text", [("x", number(left)), ("y", number(subheadingY)), ("fill", "#555")]) {
                    try xml.text("Total \(IndianNumberFormat.rupees(total)) over \(ReportText.count(rows.count, "month")); "
                        + "lighter bars are partial months (the data does not cover them whole).")
                }
                try xml.element("line", [("x1", number(left)), ("y1", number(baseline)),
                                         ("x2", number(max(width, 480) - left)), ("y2", number(baseline)),
                                         ("stroke", "#333")])
                for (index, row) in rows.enumerated() {
                    let rupees = row.totals.rupees
                    let barHeight = plotHeight * max(rupees, 0) / largest
                    let x = left + gap / 2 + Double(index) * (barWidth + gap)
                    let partial = row.partial
                    try xml.element("rect", [("x", number(x)), ("y", number(baseline - barHeight)),
                                             ("width", number(barWidth)), ("height", number(barHeight)),
                                             ("fill", partial ? "#9ecae1" : "#3182bd")]) {
                        try xml.element("title") { try xml.text("\(row.coverageLabel): \(IndianNumberFormat.rupees(rupees))") }
                    }
                    try xml.element("text", [("x", number(x + barWidth / 2)), ("y", number(baseline - barHeight - 6)),
                                             ("text-anchor", "middle"), ("font-size", "10")]) {
                        try xml.text(IndianNumberFormat.rupees(rupees.rounded()))
                    }
                    try xml.element("text", [("x", number(x + barWidth / 2)), ("y", number(baseline + 18)),
                                             ("text-anchor", "middle")]) { try xml.text(row.label) }
                    if partial {
                        try xml.element("text", [("x", number(x + barWidth / 2)), ("y", number(baseline + 34)),
                                                 ("text-anchor", "middle"), ("fill", "#555"), ("font-size", "10")]) {
                            try xml.text("partial")
                        }
                    }
                }
            }
        }
    }

    private static func number(_ value: Double) -> String { String(Int(value.rounded())) }
}
