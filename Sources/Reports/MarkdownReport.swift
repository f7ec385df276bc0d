import Findings

/// GitHub-flavoured Markdown for a CI job summary: the overall verdict first, a line of context, a table of steps,
/// what failed, then performance, compliance, finance and skipped sections when they have content.
///
/// Every value from data is escaped and has its personal data masked. The report stays under 1 MiB (GitHub's limit
/// for a job summary): long lists are cut, saying how many findings were left out.
public enum MarkdownReport {
    /// The report is always strictly shorter than this many bytes of UTF-8.
    public static let maximumBytes = 1_048_576

    public static func render(_ run: RunResult) -> String {
        let head = headline(run) + "\n\n" + context(run) + "\n\n"
            + (run.rules.map { "Rules: \(Markdown.escaped($0.directory)) (\(Markdown.escaped($0.origin))), sha256 `\($0.sha256)`\n\n" } ?? "")
        // Each smaller section may take an eighth of the budget; what failed takes the rest.
        var budget = maximumBytes - 1 - head.utf8.count
        func take(_ section: (Int) -> String) -> String {
            let text = section(min(budget, maximumBytes / 8))
            budget -= text.utf8.count
            return text
        }
        // A plan's steps are in its own table, each ready or blocked.
        let steps = run.plan == nil ? take { stepsTable(run, budget: $0) } : ""
        let performance = take { MarkdownSections.performance(run, budget: $0) }
        let compliance = take { MarkdownSections.compliance(run, budget: $0) }
        // A plan has its own Finance section, month by month.
        let finance = run.plan == nil ? take { MarkdownSections.finance(run, budget: $0) } : ""
        let skipped = take { MarkdownSections.skipped(run, budget: $0) }
        let plan = (run.plan.map { steps in take { MarkdownPlanSections.render(steps, budget: $0) } } ?? "")
            + (run.exports.map { exports in take { MarkdownPlanSections.exports(exports, budget: $0) } } ?? "")
        let record = ["rollback", "emergency"].contains(run.command) ? take { rollbackRecord(run, budget: $0) } : ""
        // What blocks a plan is in its table; a plan has no failures to list.
        let failures = run.plan == nil ? whatFailed(run, budget: budget) : ""
        return head + steps + plan + record + failures + performance + compliance + finance + skipped
    }

    /// What each step of an executed rollback did, with its evidence: operator, time, approval, counts, backup and
    /// verification. For a step with compliance evidence this is the evidence of the audit fields' removal.
    private static func rollbackRecord(_ run: RunResult, budget: Int) -> String {
        Markdown.section("### Rollback record\n\n", run.steps, noun: "step", budget: budget) { step in
            let heading = step.compliance != nil ? "Compliance evidence: step \(step.step) · " : "Step \(step.step) · "
            var lines = ["**\(heading)\(Markdown.text(step.title))**: \(step.findings.first.map { Markdown.text($0.measured) } ?? "")"]
            for finding in step.findings {
                if !finding.message.isEmpty { lines.append("- \(Markdown.text(finding.message))") }
                lines += finding.details.map { "- \(Markdown.text($0))" }
            }
            return lines.joined(separator: "\n") + "\n\n"
        }
    }

    /// `## ❌ RollGate audit failed: 3 findings at or above error`.
    private static func headline(_ run: RunResult) -> String {
        let command = Markdown.text(run.command)
        if let plan = run.plan {
            let documents = plan.reduce(0) { $0 + $1.documents }
            let blocked = plan.filter { !$0.blockers.isEmpty }.map { String($0.step) }
            return "## 📋 RollGate \(command): \(ReportText.count(plan.count, "step")), "
                + "\(ReportText.count(documents, "document")) would change"
                + (blocked.isEmpty ? ", nothing blocked" : "; blocked: step \(blocked.joined(separator: ", "))")
        }
        let problems = run.findings.filter { $0.verdict == .failed || $0.verdict == .error }
        let gating = problems.filter { $0.gates(at: run.failOn) }.count
        if gating > 0 {
            return "## ❌ RollGate \(command) failed: \(ReportText.count(gating, "finding")) at or above "
                + run.failOn.rawValue
        }
        if problems.isEmpty { return "## ✅ RollGate \(command) passed" }
        return "## ✅ RollGate \(command) passed with \(ReportText.count(problems.count, "finding")) below "
            + run.failOn.rawValue
    }

    /// Database, server (as given: its password is already masked), expectation, threshold, duration, totals.
    private static func context(_ run: RunResult) -> String {
        if let plan = run.plan {
            return "Dry run: what a rollback of \(ReportText.count(plan.count, "step")) would change and cost, measured "
                + "on database **\(Markdown.escaped(run.database))** on \(Markdown.escaped(run.server)); nothing was "
                + "changed · \(ReportText.seconds(run.seconds)) s"
        }
        let totals = run.totals
        let counts = [Verdict.passed, .failed, .error, .skipped]
            .map { "\(IndianNumberFormat.string(Double(totals[$0, default: 0]))) \($0.rawValue)" }
        return "Database **\(Markdown.escaped(run.database))** on \(Markdown.escaped(run.server))"
            + " · expect **\(Markdown.escaped(run.expectation))** · fail on **\(run.failOn.rawValue)**"
            + " · \(ReportText.seconds(run.seconds)) s · \(ReportText.count(run.findings.count, "check")): "
            + counts.joined(separator: ", ")
    }

    private static func stepsTable(_ run: RunResult, budget: Int) -> String {
        let header = Markdown.tableHeader([
            ("Step", true), ("Title", false), ("Kind", false), ("Verdict", false), ("Passed", true),
            ("Failed", true), ("Error", true), ("Skipped", true), ("Key figure", false),
        ])
        return Markdown.section("### Steps\n\n" + header, run.steps, noun: "step", budget: budget) { step in
            let verdicts = step.findings.map(\.verdict)
            let counts = [Verdict.passed, .failed, .error, .skipped].map { verdict in
                "\(verdicts.filter { $0 == verdict }.count)"
            }
            return Markdown.row(["\(step.step)", Markdown.text(step.title), Markdown.text(step.kind),
                                 step.verdict.label] + counts + [keyFigure(step)])
        }
    }

    /// What the step's first failing (or erroring) finding measured; else what its first finding measured.
    private static func keyFigure(_ step: StepResult) -> String {
        let measured = step.findings.filter { !$0.measured.isEmpty }
        let key = measured.first { $0.verdict == .failed || $0.verdict == .error } ?? measured.first
        return key.map { Markdown.text($0.measured) } ?? "—"
    }

    /// Every failed or erroring finding, the most severe first (in run order within a severity).
    private static func whatFailed(_ run: RunResult, budget: Int) -> String {
        let problems = run.findings.enumerated()
            .filter { $0.element.verdict == .failed || $0.element.verdict == .error }
            .sorted { ($0.element.severity, $1.offset) > ($1.element.severity, $0.offset) }
            .map(\.element)
        let steps = Dictionary(run.steps.map { ($0.step, $0) }, uniquingKeysWith: { first, _ in first })
        return Markdown.section("### What failed\n\n", problems, noun: "finding", budget: budget) { finding in
            var lines = ["- \(finding.verdict.emoji) \(Markdown.findingTitle(finding)) "
                + "(\(finding.severity.rawValue), check \(Markdown.text(finding.check)))"]
            let step = steps[finding.step]
            for (label, value) in [("Measured", finding.measured), ("Expected", finding.expected),
                                   ("Message", finding.message), ("Why it matters", step?.rationale ?? ""),
                                   ("References", step?.references?.joined(separator: "; ") ?? "")] where !value.isEmpty {
                lines.append("  - \(label): \(Markdown.text(value))")
            }
            if !finding.details.isEmpty {
                lines.append("  - Details:")
                lines += finding.details.map { "    - \(Markdown.text($0))" }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
