import Findings
import Foundation

/// Building blocks of the Markdown report: escaped values, table rows, and sections that fit a byte budget.
enum Markdown {
    /// Longest value shown, in characters; a longer one is cut and ends in `…`.
    static let maximumValueLength = 2_000

    /// Characters escaped wherever they appear: inline markup, table pipes, HTML, math, entities.
    private static let markup: Set<Character> = ["\\", "`", "*", "_", "|", "<", ">", "[", "]", "~", "$", "&"]
    /// Characters that start a block (heading, list, setext underline) when they open a line.
    private static let blockMarkers: Set<Character> = ["#", "-", "+", "="]

    /// A value from data, made safe anywhere in a line or a table cell: personal data masked, then `escaped`.
    static func text(_ value: String) -> String {
        escaped(PersonalData.mask(value))
    }

    /// A value made safe anywhere in a line or a table cell: characters XML forbids replaced, line breaks made
    /// spaces, cut to `maximumValueLength`, and every character Markdown would read as markup escaped.
    static func escaped(_ value: String) -> String {
        var value = String(value.replacingCharactersInvalidInXML.map { $0.isNewline ? " " : $0 })
            .trimmingCharacters(in: .whitespaces)
        if value.count > maximumValueLength { value = String(value.prefix(maximumValueLength)) + "…" }
        var result = ""
        result.reserveCapacity(value.utf8.count + 8)
        let digits = value.prefix { $0.isASCII && $0.isNumber }
        if let first = value.first, blockMarkers.contains(first) { result.append("\\") }
        for (offset, character) in value.enumerated() {
            // `1.` or `1)` opening a list item would start an ordered list.
            let listMarker = !digits.isEmpty && offset == digits.count && (character == "." || character == ")")
            if listMarker || markup.contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// `| Step | Title |` and its alignment row; numeric columns align right.
    static func tableHeader(_ columns: [(name: String, numeric: Bool)]) -> String {
        row(columns.map(\.name)) + row(columns.map { $0.numeric ? "---:" : "---" })
    }

    /// One table row of cells that are already escaped.
    static func row(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |\n"
    }

    /// `heading`, then as many rendered `items` as fit in `budget` bytes with room for a closing line that says how
    /// many were left out; empty when there are no items. Items are rendered only while they fit.
    static func section<Item>(_ heading: String, _ items: [Item], noun: String, budget: Int,
                              render: (Item) -> String) -> String {
        guard !items.isEmpty else { return "" }
        let reserve = 256
        var text = heading
        var size = heading.utf8.count
        var shown = 0
        for item in items {
            let rendered = render(item)
            guard size + rendered.utf8.count + reserve <= budget else { break }
            text += rendered
            size += rendered.utf8.count
            shown += 1
        }
        if shown < items.count {
            text += "\n_\(ReportText.count(items.count - shown, noun)) left out to keep this summary under 1 MiB; "
                + "report.json and junit.xml have them all._\n"
        }
        return text + "\n"
    }

    /// A bold finding heading: `**Step 23 · RG-SCHEMA-001 · Billing flag**`.
    static func findingTitle(_ finding: Finding) -> String {
        "**Step \(finding.step) · \(text(finding.code)) · \(text(finding.title))**"
    }

    /// A figure for a table cell, or `—` when the finding has none.
    static func figure(_ finding: Finding, _ name: String) -> String {
        finding.figures[name].map(IndianNumberFormat.string) ?? "—"
    }
}

extension Verdict {
    var emoji: String {
        switch self {
        case .passed: "✅"
        case .failed: "❌"
        case .error: "⚠️"
        case .skipped: "⏭️"
        }
    }

    /// `✅ passed`.
    var label: String { "\(emoji) \(rawValue)" }
}
