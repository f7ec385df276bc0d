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
            for impact in step.impacts where impact.inRupees {
                lines.append("**Step \(step.step) · \(Markdown.text(impact.title)): "
                    + "\(IndianNumberFormat.rupees(impact.value))**\(inWords(impact.value))\n")
                switch impact {
                case .revenue(let revenue):
                    lines += self.revenue(revenue)
                    if !revenue.months.isEmpty {
                        lines += ["", "![Step \(step.step): ₹ that would go unbilled, by month](\(RevenueChart.fileName(step: step.step)))"]
                    }
                case .sum(let sum):
                    lines.append("- over \(IndianNumberFormat.string(sum.count)) records")
                default:
                    break
                }
                lines.append("")
            }
        }
        return bounded("### Finance\n\n", lines, budget: budget)
    }

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

    /// ` (₹8.73 lakh)` for an amount that has words beyond its digits; else nothing.
    static func inWords(_ value: Double) -> String {
        let words = IndianNumberFormat.rupeesInWords(value)
        return words == IndianNumberFormat.rupees(value) ? "" : " (\(words))"
    }

    /// The figures of a revenue impact with their basis, then the table of every month of the data and its total.
    static func revenue(_ revenue: Impact.Revenue) -> [String] {
        let money = IndianNumberFormat.rupees
        func count(_ value: Int) -> String { IndianNumberFormat.string(Double(value)) }
        let defaultAmount = money(revenue.defaultAmount)
        let fullMonths = revenue.fullMonths.count
        var lines = [
            "- Per year: \(money(revenue.perYear))\(inWords(revenue.perYear)), projected from \(revenue.projection).",
            fullMonths == 0 ? "- Per month on average: no full month in the data yet."
                : "- Per month on average: \(money(revenue.perMonthAverage)), over the "
                    + "\(ReportText.count(fullMonths, "full month")) below (partial months left out).",
            "- Orders in the last \(revenue.windowDays) days: \(count(revenue.window.orders)), of which "
                + "\(count(revenue.window.withoutAmount)) have no amount and are priced at \(defaultAmount) "
                + "each (the guide's assumption).",
            "- Orders counted: \(count(revenue.allTime.orders)); the guide's own query counts \(count(revenue.guideCount)).",
        ]
        if let note = revenue.note { lines.append("- \(Markdown.text(note))") }
        guard !revenue.months.isEmpty else { return lines }
        lines.append("")
        lines.append("Every month of the data, oldest first; a partial month is one the data does not cover whole.")
        lines.append("")
        lines.append(Markdown.tableHeader([("Month", false), ("Orders", true), ("Unbilled ₹", true),
                                           ("Priced at \(defaultAmount)", true)]).trimmingCharacters(in: .newlines))
        var total = Impact.Revenue.Totals(orders: 0, rupees: 0, withoutAmount: 0)
        for month in revenue.months {
            let figures = month.totals
            total = .init(orders: total.orders + figures.orders, rupees: total.rupees + figures.rupees,
                          withoutAmount: total.withoutAmount + figures.withoutAmount)
            lines.append(Markdown.row([
                Markdown.text(month.coverageLabel), count(figures.orders), money(figures.rupees), count(figures.withoutAmount),
            ]).trimmingCharacters(in: .newlines))
        }
        lines.append(Markdown.row([
            "**Total**", "**\(count(total.orders))**", "**\(money(total.rupees))**", "**\(count(total.withoutAmount))**",
        ]).trimmingCharacters(in: .newlines))
        return lines
    }

    /// Records losing audit data, by the rule's `group_by`, and how many hold personal data.
    static func compliance(_ plan: [StepPlan], budget: Int) -> String {
        var lines: [String] = []
        for step in plan {
            for case .compliance(let compliance) in step.impacts {
                lines.append("**Step \(step.step) · \(Markdown.text(compliance.title)): "
                    + "\(IndianNumberFormat.string(Double(compliance.records)))**, of which "
                    + "\(IndianNumberFormat.string(Double(compliance.personalData))) hold personal data\n")
                lines.append(Markdown.tableHeader([(Markdown.text(compliance.groupHeading), false), ("Records", true),
                                                   ("With personal data", true)]).trimmingCharacters(in: .newlines))
                for group in compliance.groups {
                    lines.append(Markdown.row([Markdown.text(group.label), IndianNumberFormat.string(Double(group.records)),
                                               IndianNumberFormat.string(Double(group.personalData))])
                        .trimmingCharacters(in: .newlines))
                }
                lines += ["", Markdown.text(compliance.note)]
                lines.append("")
            }
        }
        return bounded("### Compliance\n\n", lines, budget: budget)
    }

    /// Each representative query with its index and with a forced collection scan.
    static func performance(_ plan: [StepPlan], budget: Int) -> String {
        var lines: [String] = []
        for step in plan {
            for case .performance(let performance) in step.impacts {
                lines.append(Markdown.tableHeader([("Query", false), ("With index ms", true), ("Collection scan ms", true),
                                                   ("Slowdown", true), ("Budget ms", true)]).trimmingCharacters(in: .newlines))
                for query in performance.queries {
                    lines.append(Markdown.row([
                        Markdown.text(query.title), ReportText.decimal(query.withIndexMs),
                        ReportText.decimal(query.collectionScanMs), ReportText.decimal(query.slowdown) + "×",
                        ReportText.decimal(query.budgetMs),
                    ]).trimmingCharacters(in: .newlines))
                }
                lines += ["", Markdown.text(performance.note)]
                lines.append("")
            }
        }
        return bounded("### Performance\n\n", lines, budget: budget)
    }

    /// Impacts counted in documents or endpoints.
    static func otherImpacts(_ plan: [StepPlan], budget: Int) -> String {
        let lines = plan.flatMap { step in
            step.impacts.compactMap { impact -> String? in
                let breakdown: [String]
                switch impact {
                case .count: breakdown = []
                case .sum(let sum) where sum.unit != .rupees: breakdown = []
                case .security(let security): breakdown = security.endpoints
                default: return nil
                }
                return "- Step \(step.step): \(Markdown.text(impact.title)): **\(IndianNumberFormat.string(impact.value))**"
                    + (breakdown.isEmpty ? "" : " (" + breakdown.map(Markdown.text).joined(separator: ", ") + ")")
            }
        }
        return bounded("### Other impacts\n\n", lines, budget: budget)
    }

    private static func bounded(_ heading: String, _ lines: [String], budget: Int) -> String {
        guard !lines.isEmpty else { return "" }
        return Markdown.section(heading, lines, noun: "line", budget: budget) { $0 + "\n" }
    }
}
