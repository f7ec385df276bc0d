import Findings
import Foundation

/// The plan for people, on the terminal.
public enum PlanText {
    public static func render(_ plan: [StepPlan]) -> String {
        var text: [String] = ["Rollback plan (dry run: nothing was changed), in execution order:", ""]
        for step in plan {
            var heading = "Step \(step.step) · \(step.title)"
            if let approval = step.approval { heading += "  [approval: \(approval)]" }
            if !step.recommended { heading += "  [not recommended]" }
            text.append(heading)
            text += PlanLines.lines(step).map { "  " + $0 }
            text.append("")
        }
        let total = plan.reduce(0) { $0 + $1.documents }
        let seconds = plan.reduce(0) { $0 + $1.estimateSeconds }
        let blocked = plan.filter { !$0.blockers.isEmpty }.map { String($0.step) }
        text.append("\(grouped(total)) documents would change; about \(String(format: "%.1f", seconds)) s in all."
            + (blocked.isEmpty ? "" : " Blocked: step \(blocked.joined(separator: ", ")) (see above)."))
        return text.joined(separator: "\n")
    }

    public static func render(exports: [ExportSummary]) -> String {
        guard !exports.isEmpty else { return "Exported: nothing (no step selected has orders or records to export)." }
        return (["Exported for reconciliation:"] + exports.map { export in
            var line = "  \(export.file): \(grouped(export.rows)) \(export.what)"
            if let rupees = export.rupees {
                line += ", \(IndianNumberFormat.rupees(rupees))"
                if let atDefault = export.pricedAtDefault { line += " (\(grouped(atDefault)) priced at the default)" }
            }
            if !export.maskedFields.isEmpty { line += "; personal data masked (--include-personal-data writes it)" }
            if !export.includedPersonalFields.isEmpty {
                line += "; HOLDS PERSONAL DATA (\(export.includedPersonalFields.joined(separator: ", "))): protect it and delete it when done"
            }
            return line
        }).joined(separator: "\n")
    }
}

/// The terminal summary: one line per step with its verdict, then the totals.
public enum StepLines {
    static let titleWidth = 34, verdictWidth = 8

    public static func render(_ run: RunResult) -> String {
        var lines: [String] = []
        for step in run.steps {
            let symbol = switch step.verdict {
            case .passed: "✔"
            case .failed: "✘"
            case .error: "!"
            case .skipped: "-"
            }
            let failing = step.findings.filter { $0.verdict == .failed || $0.verdict == .error }
            var note = "\(step.findings.count) check\(step.findings.count == 1 ? "" : "s")"
            if let first = failing.first {
                note = "\(failing.count) of \(step.findings.count) checks \(step.verdict.rawValue): \(first.check): \(first.measured)"
                if first.verdict == .error { note = "\(failing.count) of \(step.findings.count): \(first.message)" }
            } else if step.verdict == .skipped, let reason = step.findings.first?.message {
                note += " skipped: \(reason)"
            }
            let title = step.title.count > titleWidth ? String(step.title.prefix(titleWidth - 1)) + "…" : step.title
            lines.append("\(symbol) step \(step.step)  \(title.padded(to: titleWidth)) \(step.verdict.rawValue.padded(to: verdictWidth)) \(note)")
        }
        let totals = run.totals
        let gating = run.findings.filter { $0.gates(at: run.failOn) }.count
        let verdict = run.passes ? "Audit passed" : "Audit failed: \(gating) finding\(gating == 1 ? "" : "s") at or above \(run.failOn.rawValue)"
        let counts = Verdict.allCases.compactMap { v in totals[v].map { "\($0) \(v.rawValue)" } }.joined(separator: ", ")
        lines.append("")
        lines.append(String(format: "%@ (%d steps; %d checks: %@) in %.1f s", verdict, run.steps.count,
                            run.findings.count, counts, run.seconds))
        return lines.joined(separator: "\n")
    }
}

/// A rollback or emergency run on the terminal: one line per step, then the health checks.
public enum ExecutionText {
    static let statusWidth = 20

    public static func render(_ summary: ExecutionSummary) -> String {
        var lines = summary.steps.map { step in
            let symbol = switch step.result {
            case .done: "✔"
            case .pending: "-"
            case .unfinished: "✘"
            }
            return "\(symbol) step \(step.step)  \(step.status.padded(to: statusWidth)) "
                + step.changes.map { "\($0.collection) \(grouped($0.documents))" }.joined(separator: ", ")
                + (step.backup.map { "  backup \($0)" } ?? "") + (step.result == .unfinished ? "  \(step.message)" : "")
        }
        if let health = summary.healthLines {
            lines += ["", "Health checks:"] + health.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
