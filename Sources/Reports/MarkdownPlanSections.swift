import Foundation
import Findings

/// The sections of a plan's Markdown report: the order of the rollback with its counts, then the money, the audit
/// data and the query latency it would cost. Rendered only for runs that carry a plan.
enum MarkdownPlanSections {
    static func render(_ plan: [StepPlan], budget: Int) -> String {
        var text = ""
        var remaining = budget
        for section in [overview, finance, compliance, performance, otherImpacts] {
            let rendered = section(plan, min(remaining, MarkdownReport.maximumBytes / 8))
            remaining -= rendered.utf8.count
            text += rendered
        }
        return text
    }

    /// One row per step in execution order.
    static func overview(_ plan: [StepPlan], budget: Int) -> String {
        let header = Markdown.tableHeader([
            ("Order", true), ("Step", true), ("Title", false), ("Verdict", false), ("Documents changed", true), ("Backup documents", true),
            ("Backup size", true), ("Estimate s", true), ("Blocked by", false),
        ])
        let rows = Array(plan.enumerated())
        return Markdown.section("### Rollback plan\n\nSteps in the order a rollback would run them. A step is ready, or blocked until "
                                + "what blocks it is resolved.\n\n" + header, rows,
                                noun: "step", budget: budget) { index, step in
            Markdown.row([
                "\(index + 1)", "\(step.step)", Markdown.text(step.title), step.blockers.isEmpty ? "✅ ready" : "⛔ blocked",
                IndianNumberFormat.string(Double(step.documents)),
                IndianNumberFormat.string(Double(step.backup.documents)), ReportText.bytes(step.backup.bytes),
                ReportText.seconds(step.estimateSeconds),
                step.blockers.isEmpty ? "—" : step.blockers.map(Markdown.text).joined(separator: "; "),
            ])
        }
    }

    /// Revenue impacts month by month, and every other impact counted in rupees: the one Finance section of a plan.
    static func finance(_ plan: [StepPlan], budget: Int) -> String {
        var lines: [String] = []
        for step in plan {
            for impact in step.impacts where impact.unit == "rupees" {
                lines.append("**Step \(step.step) · \(Markdown.text(impact.title)): "
                    + "\(IndianNumberFormat.rupees(impact.value))**\(inWords(impact.value))\n")
                if impact.kind == "revenue" {
                    lines += revenue(impact)
                    if !impact.rows.isEmpty {
                        lines += ["", "![Step \(step.step): ₹ that would go unbilled, by month](\(RevenueChart.fileName(step: step.step)))"]
                    }
                } else if let count = impact.figures["count"] {
                    lines.append("- over \(IndianNumberFormat.string(count)) records")
                }
                lines.append("")
            }
        }
        return bounded("### Finance\n\n", lines, budget: budget)
    }

    /// ` (₹8.73 lakh)` for an amount that has words beyond its digits; else nothing.
    /// The files `--export` wrote: one row each, with what it holds and whether personal data is in it.
    static func exports(_ exports: [ExportSummary], budget: Int) -> String {
        guard !exports.isEmpty else { return "" }
        let header = Markdown.tableHeader([
            ("Step", true), ("File", false), ("Holds", false), ("Rows", true), ("₹", true), ("Priced at the default", true),
            ("Personal data", false),
        ])
        return Markdown.section("### Exports for reconciliation\n\nOne CSV row per record behind the figures above "
                                + "(UTF-8, comma-separated; dates in UTC).\n\n" + header, exports, noun: "file",
                                budget: budget) { export in
            Markdown.row([
                "\(export.step)", Markdown.text(export.file), Markdown.text(export.what),
                IndianNumberFormat.string(Double(export.rows)), export.rupees.map(IndianNumberFormat.rupees) ?? "—",
                export.pricedAtDefault.map { IndianNumberFormat.string(Double($0)) } ?? "—",
                !export.includedPersonalFields.isEmpty
                    ? "⚠️ included (" + export.includedPersonalFields.map(Markdown.text).joined(separator: ", ")
                        + "): protect the file as the database itself, and delete it when done"
                    : export.maskedFields.isEmpty ? "—" : "masked: " + export.maskedFields.map(Markdown.text).joined(separator: ", "),
            ])
        }
    }

    static func inWords(_ value: Double) -> String {
        let words = IndianNumberFormat.rupeesInWords(value)
        return words == IndianNumberFormat.rupees(value) ? "" : " (\(words))"
    }

    /// The figures of a revenue impact with their basis, then the table of every month of the window and its total.
    static func revenue(_ impact: Impact) -> [String] {
        let f = impact.figures
        let money = IndianNumberFormat.rupees, count = IndianNumberFormat.string
        let defaultAmount = money(f["defaultAmount"] ?? 0)
        let fullMonths = Int(f["fullMonths"] ?? 0)
        var lines = [
            "- Per year: \(money(f["perYear"] ?? 0))\(inWords(f["perYear"] ?? 0)), projected "
                + "from the last 30 days × 365 ÷ 30.",
            fullMonths == 0 ? "- Per month on average: no full month in the data yet."
                : "- Per month on average: \(money(f["perMonthAverage"] ?? 0)), over the "
                    + "\(ReportText.count(fullMonths, "full month")) below (partial months left out).",
            "- Orders in the last 30 days: \(count(f["ordersLast30Days"] ?? 0)), of which "
                + "\(count(f["withoutAmountLast30Days"] ?? 0)) have no amount and are priced at \(defaultAmount) "
                + "each (the guide's assumption).",
            "- Orders counted: \(count(f["orders"] ?? 0)); the guide's own query counts \(count(f["guideCount"] ?? 0)).",
        ]
        if let note = impact.note { lines.append("- \(Markdown.text(note))") }
        guard !impact.rows.isEmpty else { return lines }
        lines.append("")
        lines.append("Every month of the data, oldest first; a partial month is one the data does not cover whole.")
        lines.append("")
        lines.append(Markdown.tableHeader([("Month", false), ("Orders", true), ("Unbilled ₹", true),
                                           ("Priced at \(defaultAmount)", true)]).trimmingCharacters(in: .newlines))
        var total = (orders: 0.0, rupees: 0.0, withoutAmount: 0.0)
        for row in impact.rows {
            let orders = row.figures["orders"] ?? 0, rupees = row.figures["rupees"] ?? 0
            let withoutAmount = row.figures["withoutAmount"] ?? 0
            total = (total.orders + orders, total.rupees + rupees, total.withoutAmount + withoutAmount)
            lines.append(Markdown.row([
                Markdown.text(row.monthLabel), count(orders), money(rupees), count(withoutAmount),
            ]).trimmingCharacters(in: .newlines))
        }
        lines.append(Markdown.row([
            "**Total**", "**\(count(total.orders))**", "**\(money(total.rupees))**", "**\(count(total.withoutAmount))**",
        ]).trimmingCharacters(in: .newlines))
        return lines
    }

    /// Records losing audit data, by confirmation method, and how many hold personal data.
    static func compliance(_ plan: [StepPlan], budget: Int) -> String {
        var lines: [String] = []
        for step in plan {
            for impact in step.impacts where impact.kind == "compliance" {
                lines.append("**Step \(step.step) · \(Markdown.text(impact.title)): "
                    + "\(IndianNumberFormat.string(impact.value))**, of which "
                    + "\(IndianNumberFormat.string(impact.figures["personalData"] ?? 0)) hold personal data\n")
                lines.append(Markdown.tableHeader([("Confirmation method", false), ("Records", true),
                                                   ("With personal data", true)]).trimmingCharacters(in: .newlines))
                for row in impact.rows {
                    lines.append(Markdown.row([Markdown.text(row.label), IndianNumberFormat.string(row.figures["records"] ?? 0),
                                               IndianNumberFormat.string(row.figures["personalData"] ?? 0)])
                        .trimmingCharacters(in: .newlines))
                }
                if let note = impact.note { lines += ["", Markdown.text(note)] }
                lines.append("")
            }
        }
        return bounded("### Compliance\n\n", lines, budget: budget)
    }

    /// Each representative query with its index and with a forced collection scan.
    static func performance(_ plan: [StepPlan], budget: Int) -> String {
        var lines: [String] = []
        for step in plan {
            for impact in step.impacts where impact.kind == "performance" {
                lines.append(Markdown.tableHeader([("Query", false), ("With index ms", true), ("Collection scan ms", true),
                                                   ("Slowdown", true), ("Budget ms", true)]).trimmingCharacters(in: .newlines))
                for row in impact.rows {
                    let f = row.figures
                    lines.append(Markdown.row([
                        Markdown.text(row.label), ReportText.decimal(f["withIndexMs"] ?? 0),
                        ReportText.decimal(f["collectionScanMs"] ?? 0), ReportText.decimal(f["slowdown"] ?? 0) + "×",
                        ReportText.decimal(f["budgetMs"] ?? 0),
                    ]).trimmingCharacters(in: .newlines))
                }
                if let note = impact.note { lines += ["", Markdown.text(note)] }
                lines.append("")
            }
        }
        return bounded("### Performance\n\n", lines, budget: budget)
    }

    /// Impacts counted in documents or endpoints.
    static func otherImpacts(_ plan: [StepPlan], budget: Int) -> String {
        let lines = plan.flatMap { step in
            step.impacts.filter { ["count", "security"].contains($0.kind) || ($0.kind == "sum" && $0.unit != "rupees") }
                .map { impact in
                    "- Step \(step.step): \(Markdown.text(impact.title)): **\(IndianNumberFormat.string(impact.value))**"
                        + (impact.rows.isEmpty ? "" : " (" + impact.rows.map { Markdown.text($0.label) }.joined(separator: ", ") + ")")
                }
        }
        return bounded("### Other impacts\n\n", lines, budget: budget)
    }

    private static func bounded(_ heading: String, _ lines: [String], budget: Int) -> String {
        guard !lines.isEmpty else { return "" }
        return Markdown.section(heading, lines, noun: "line", budget: budget) { $0 + "\n" }
    }
}
