import Catalog
import Findings
import Foundation

/// A plan as findings: one per step, failed when something blocks the rollback (approval, not recommended, a
/// dependency), so that JUnit shows why.
public enum PlanFindings {
    public static func stepResult(_ plan: StepPlan, catalog: Catalog) -> StepResult {
        let rule = catalog.step(plan.step)
        var figures: [String: Double] = [
            "documents": Double(plan.documents), "backupDocuments": Double(plan.backup.documents),
            "backupBytes": Double(plan.backup.bytes), "estimateSeconds": plan.estimateSeconds,
        ]
        if let revenue = plan.impacts.lazy.compactMap(\.revenue).first {
            figures["rupees"] = revenue.window.rupees
            figures["orders"] = Double(revenue.window.orders)
        }
        let finding = Finding(
            code: FindingCode.impact, step: plan.step, check: "rollback-plan", title: "Rollback of step \(plan.step): \(plan.title)",
            verdict: plan.blockers.isEmpty ? .passed : .failed, severity: rule?.severity ?? .error,
            measured: "\(grouped(plan.documents)) documents would change in \(plan.operations.count) operations; "
                + "backup \(grouped(plan.backup.documents)) documents; about \(String(format: "%.1f", plan.estimateSeconds)) s",
            expected: "nothing blocks the rollback", message: plan.blockers.joined(separator: "; "), figures: figures,
            details: PlanLines.lines(plan), seconds: 0)
        return StepResult(step: plan.step, title: plan.title, kind: plan.kind, severity: rule?.severity ?? .error,
                          approval: plan.approval, dependsOn: rule?.dependsOn ?? [], findings: [finding], seconds: 0,
                          compliance: rule?.complianceTitle, rationale: rule?.rationale, references: rule?.references)
    }
}

/// An executed step as a finding whose details are the evidence: who, when, under which approval, what was removed,
/// and where the backup that restores it is.
public enum ExecutionFindings {
    public static func stepResult(_ outcome: StepOutcome, request: RollbackRequest, catalog: Catalog, at time: Date) -> StepResult {
        let rule = catalog.step(outcome.step)
        let verdict: Verdict = switch outcome.summary.result {
        case .done: .passed
        case .pending: .skipped
        case .unfinished: .failed
        }
        var details = ["operator: \(request.operator_)", "time: \(time.formatted(.iso8601))"]
        if let reason = request.reason { details.append("reason: \(reason)") }
        if let approval = request.approvals.first(where: { $0.step == outcome.step }) {
            details.append("approval: \(approval.role.rawValue) by \(approval.approver), ticket \(approval.ticket), "
                + "valid until \(approval.expires.formatted(.iso8601))")
        }
        details += outcome.operations.map { "\($0.collection): \($0.description): \(grouped($0.documents)) documents" }
        if let backup = outcome.backup {
            details.append("backup: collection \(backup) (\(grouped(outcome.backupDocuments)) entries); "
                + "restore with rollgate reapply \(outcome.step) --backup \(backup)")
        }
        details += rule?.rollback.backups.compactMap { $0.name.map { "guide backup: collection \($0)" } } ?? []
        details += outcome.verification.map { "verify: \($0)" }
        if let sealed = outcome.evidence {
            let evidence = sealed.evidence
            details.append("run id: \(evidence.runId) (the rollback lock's)")
            for removal in evidence.removed {
                details.append("removed from \(removal.collection): " + removal.fields.map { "\($0.name) \(grouped($0.documents))" }.joined(separator: ", "))
                if let groupedBy = removal.groupedBy, let counts = removal.counts {
                    details.append("removed by \(groupedBy): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }.joined(separator: ", "))
                }
            }
            if let backup = evidence.backup {
                details.append("backup checksum: \(backup.checksum)")
                if !backup.personalDataFields.isEmpty {
                    details.append("personal data: the backup now holds \(backup.personalDataFields.joined(separator: ", ")); protect it, and purge it "
                        + "once no longer needed (rollgate backups purge --older-than DAYS)")
                }
            }
            details.append("evidence: \(sealed.fileName), SHA-256 \(sealed.sha256) (rollgate evidence verify \(sealed.fileName))")
        }
        let finding = Finding(
            code: FindingCode.rollback, step: outcome.step, check: "rollback", title: "Rollback of step \(outcome.step)",
            verdict: verdict, severity: rule?.severity ?? .error, measured: outcome.status.rawValue,
            expected: "rolled back and verified", message: outcome.message,
            figures: ["documents": Double(outcome.operations.reduce(0) { $0 + $1.documents }),
                      "backupEntries": Double(outcome.backupDocuments)],
            details: details, seconds: outcome.seconds)
        return StepResult(step: outcome.step, title: rule?.title ?? "", kind: rule?.kind.rawValue ?? "",
                          severity: rule?.severity ?? .error, approval: rule?.approval?.rawValue,
                          dependsOn: rule?.dependsOn ?? [], findings: [finding], seconds: outcome.seconds,
                          compliance: rule?.complianceTitle, rationale: rule?.rationale, references: rule?.references)
    }
}
