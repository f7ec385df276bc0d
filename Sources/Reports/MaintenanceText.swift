import Findings
import Foundation

/// `rollgate evidence verify` on the terminal: what the file is the evidence of, each check, and `verified` when all
/// passed.
public enum EvidenceText {
    public static func render(_ verification: EvidenceVerification) -> String {
        (["Evidence of step \(verification.step), run \(verification.runId), database \(verification.database):"]
            + verification.checks.map { "  \($0.passed ? "✔" : "✘") \($0.line)" }
            + (verification.verified ? ["verified"] : [])).joined(separator: "\n")
    }

    /// The one-line error when a check failed: `FILE does not verify: what failed; …`.
    public static func failure(_ verification: EvidenceVerification, file: String) -> String {
        "\(file) does not verify: " + verification.checks.filter { !$0.passed }.map(\.line).joined(separator: "; ")
    }
}

/// `rollgate backups purge` on the terminal: one line per backup, purged, to be purged or kept with the reason.
public enum PurgeText {
    public static func render(_ decisions: [PurgeDecision], olderThanDays days: Int) -> String {
        guard !decisions.isEmpty else { return "no backup older than \(days) days" }
        return decisions.map { decision in
            let what = "\(decision.backup) (step \(decision.step), \(decision.createdAt.formatted(.iso8601)))"
            return switch decision.action {
            case .purged: "✔ purged \(what)"
            case .wouldPurge: "- would purge \(what)"
            case .refused(let why): "✘ kept \(what): \(why)"
            }
        }.joined(separator: "\n")
    }
}

/// `rollgate checks lint` on the terminal: what was read, in one line.
public enum CatalogText {
    public static func render(_ summary: CatalogSummary) -> String {
        let procedure = summary.procedure
        let procedureText = if let emergency = procedure.emergencySteps, let health = procedure.healthChecks {
            "\(procedure.name): \(emergency) emergency steps, \(health) health checks"
        } else {
            "no \(procedure.name)"
        }
        return "\(summary.directory): \(summary.steps.count) rule files, steps "
            + "\(summary.steps.map(String.init).joined(separator: ", ")); \(summary.probes) probes, \(summary.examples) examples; "
            + procedureText + ": OK"
    }
}
