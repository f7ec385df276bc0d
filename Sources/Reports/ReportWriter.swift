import Findings
import Foundation

/// Writes the reports of a run into a directory: `junit.xml`, `report.md`, `report.json`, and for a plan that prices
/// lost revenue the chart `report.md` links to (`revenue-step-N.svg`).
public enum ReportWriter {
    /// Renders all three reports first, so that a rendering error writes nothing; then creates `directory` if
    /// needed and writes each file atomically. Returns the files' URLs in that order.
    @discardableResult
    public static func write(_ run: RunResult, to directory: URL) throws -> [URL] {
        let reports = [
            ("junit.xml", try JUnitReport.render(run)),
            ("report.md", MarkdownReport.render(run)),
            ("report.json", try JSONReport.render(run)),
        ] + (try RevenueChart.charts(run.plan ?? []).map { ($0.name, $0.svg) })
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try reports.map { name, text in
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url, options: .atomic)
            return url
        }
    }
}
