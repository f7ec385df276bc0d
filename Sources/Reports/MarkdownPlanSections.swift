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
            ("Order", true), ("Step", true), ("Title", false), ("Documents changed", true), ("Backup documents", true),
            ("Backup size", true), ("Estimate s", true), ("Blocked by", false),
        ])
        let rows = Array(plan.enumerated())
        return Markdown.section("### Rollback plan\n\nSteps in the order a rollback would run them.\n\n" + header, rows,
                                noun: "step", budget: budget) { index, step in
            Markdown.row([
                "\(index + 1)", "\(step.step)", Markdown.text(step.title),
                IndianNumberFormat.string(Double(step.documents)),
                IndianNumberFormat.string(Double(step.backup.documents)), ReportText.bytes(step.backup.bytes),
                ReportText.seconds(step.estimateSeconds),
                step.blockers.isEmpty ? "—" : step.blockers.map(Markdown.text).joined(separator: "; "),
            ])
        }
    }

    /// Revenue impacts month by month, and every other impact counted in rupees.
    static func finance(_ plan: [StepPlan], budget: Int) -> String {
        var lines: [String] = []
        for step in plan {
            for impact in step.impacts where impact.unit == "rupees" {
                lines.append("**Step \(step.step) · \(Markdown.text(impact.title)): "
                    + "\(IndianNumberFormat.rupees(impact.value))** (\(IndianNumberFormat.rupeesInWords(impact.value)))\n")
                if impact.kind == "revenue" {
                    let f = impact.figures
                    lines.append("- per year (last 30 days × 365/30): "
                        + "\(IndianNumberFormat.rupees(f["perYear"] ?? 0)) (\(IndianNumberFormat.rupeesInWords(f["perYear"] ?? 0))); per month on average over the months below: "
                        + "\(IndianNumberFormat.rupees(f["perMonthAverage"] ?? 0))")
                    lines.append("- orders in the last 30 days: \(IndianNumberFormat.string(f["ordersLast30Days"] ?? 0)), "
                        + "of which \(IndianNumberFormat.string(f["withoutAmountLast30Days"] ?? 0)) without an amount, "
                        + "priced at \(IndianNumberFormat.rupees(f["defaultAmount"] ?? 0))")
                    lines.append("- the guide's own query counts \(IndianNumberFormat.string(f["guideCount"] ?? 0)) "
                        + "orders; RollGate counts \(IndianNumberFormat.string(f["orders"] ?? 0))")
                    if let note = impact.note { lines.append("- \(Markdown.text(note))") }
                    lines.append("")
                    lines.append(Markdown.tableHeader([("Month", false), ("Orders", true), ("Unbilled ₹", true),
                                                       ("Without amount", true)]))
                    for row in impact.rows {
                        lines.append(Markdown.row([
                            Markdown.text(row.label), IndianNumberFormat.string(row.figures["orders"] ?? 0),
                            IndianNumberFormat.rupees(row.figures["rupees"] ?? 0),
                            IndianNumberFormat.string(row.figures["withoutAmount"] ?? 0),
                        ]).trimmingCharacters(in: .newlines))
                    }
                } else if let count = impact.figures["count"] {
                    lines.append("- over \(IndianNumberFormat.string(count)) records")
                }
                lines.append("")
            }
        }
        return bounded("### Finance\n\n", lines, budget: budget)
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
