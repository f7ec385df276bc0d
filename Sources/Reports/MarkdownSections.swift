import Findings
import Foundation

/// The Markdown report's optional sections, each rendered only when it has content.
enum MarkdownSections {
    /// Latency findings (those with a `p50Ms` figure): percentiles against the budget, and the query plan.
    static func performance(_ run: RunResult, budget: Int) -> String {
        let findings = run.findings.filter { $0.figures["p50Ms"] != nil }
        let header = Markdown.tableHeader([
            ("Step", true), ("Check", false), ("Verdict", false), ("p50 ms", true), ("p95 ms", true),
            ("Budget ms", true), ("Plan", false), ("Docs examined per returned", true),
        ])
        return Markdown.section("### Performance\n\n" + header, findings, noun: "finding", budget: budget) { finding in
            Markdown.row([
                "\(finding.step)", Markdown.text(finding.check), finding.verdict.label,
                Markdown.figure(finding, "p50Ms"), Markdown.figure(finding, "p95Ms"),
                Markdown.figure(finding, "budgetMs"), planStage(finding),
                Markdown.figure(finding, "docsExaminedPerReturned"),
            ])
        }
    }

    /// The audit fields of the steps with compliance evidence (their field findings): how many records carry each.
    static func compliance(_ run: RunResult, budget: Int) -> String {
        let steps = run.steps.filter { $0.compliance != nil }
        let findings = steps.flatMap(\.findings).filter { $0.code == FindingCode.schema }
        let header = Markdown.tableHeader([("Field", false), ("Records carrying it", true), ("Verdict", false)])
        let covered = steps.map { "Step \($0.step) \(Markdown.text($0.compliance ?? "")).\n\n" }.joined()
        let heading = "### Compliance\n\n" + covered + header
        return Markdown.section(heading, findings, noun: "finding", budget: budget) { finding in
            Markdown.row([Markdown.text(finding.check), carrying(finding), finding.verdict.label])
        }
    }

    /// Findings with a `rupees` figure: what a rollback would cost, in ₹.
    static func finance(_ run: RunResult, budget: Int) -> String {
        let findings = run.findings.filter { $0.figures["rupees"] != nil }
        let header = Markdown.tableHeader([
            ("Step", true), ("Check", false), ("Amount", true), ("Orders", true), ("Verdict", false),
        ])
        return Markdown.section("### Finance\n\n" + header, findings, noun: "finding", budget: budget) { finding in
            Markdown.row([
                "\(finding.step)", Markdown.text(finding.check),
                finding.figures["rupees"].map(IndianNumberFormat.rupees) ?? "—",
                Markdown.figure(finding, "orders"), finding.verdict.label,
            ])
        }
    }

    /// Skipped checks with their reason and any manual checklist.
    static func skipped(_ run: RunResult, budget: Int) -> String {
        let findings = run.findings.filter { $0.verdict == .skipped }
        return Markdown.section("### Skipped\n\n", findings, noun: "finding", budget: budget) { finding in
            let reason = finding.message.isEmpty ? "" : ": \(Markdown.text(finding.message))"
            let lines = ["- \(finding.verdict.emoji) \(Markdown.findingTitle(finding))\(reason)"]
                + finding.details.map { "  - \(Markdown.text($0))" }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// `9,996 of 10,000 (99.96 %)` from the `carrying` and `total` figures; else what was measured.
    private static func carrying(_ finding: Finding) -> String {
        guard let carrying = finding.figures["carrying"] else {
            return finding.measured.isEmpty ? "—" : Markdown.text(finding.measured)
        }
        guard let total = finding.figures["total"], total > 0 else { return IndianNumberFormat.string(carrying) }
        let share = IndianNumberFormat.string(carrying / total * 100)
        return "\(IndianNumberFormat.string(carrying)) of \(IndianNumberFormat.string(total)) (\(share) %)"
    }

    /// Stages that name how a query reads its data, as explain reports them.
    private static let scanStages: Set<Substring> = [
        "COLLSCAN", "IXSCAN", "IDHACK", "COUNT_SCAN", "DISTINCT_SCAN", "EXPRESS_IXSCAN", "EXPRESS_IDHACK",
        "CLUSTERED_IXSCAN", "EOF",
    ]

    /// A details line `plan: …` verbatim; else the first scan stage named in the details or the measured text.
    private static func planStage(_ finding: Finding) -> String {
        for line in finding.details {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.lowercased().hasPrefix("plan:") { return Markdown.text(String(line.dropFirst(5))) }
        }
        let words = (finding.details + [finding.measured]).lazy
            .flatMap { $0.split { !($0.isLetter || $0.isNumber || $0 == "_") } }
        return words.first { scanStages.contains($0) }.map(String.init) ?? "—"
    }
}
