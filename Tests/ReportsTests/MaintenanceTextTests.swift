import Findings
import Foundation
import Reports
import Testing

/// The terminal text of `evidence verify`, `backups purge` and `checks lint`.
struct MaintenanceTextTests {
    @Test func evidenceListsEveryCheckAndSaysVerifiedOnlyWhenAllPass() {
        var verification = EvidenceVerification(step: 25, runId: "r1", database: "earlybird", checks: [
            .init(passed: true, line: "seal: matches"), .init(passed: true, line: "history: recorded"),
        ])
        #expect(EvidenceText.render(verification) == """
            Evidence of step 25, run r1, database earlybird:
              ✔ seal: matches
              ✔ history: recorded
            verified
            """)
        verification.checks += [.init(passed: false, line: "backup: gone"), .init(passed: false, line: "backup: altered")]
        #expect(!verification.verified)
        #expect(!EvidenceText.render(verification).contains("verified"))
        #expect(EvidenceText.render(verification).hasSuffix("  ✘ backup: gone\n  ✘ backup: altered"))
        #expect(EvidenceText.failure(verification, file: "e.json") == "e.json does not verify: backup: gone; backup: altered")
    }

    @Test func purgeSaysWhatHappenedToEachBackup() {
        let created = Date(timeIntervalSince1970: 1_796_572_082)  // 2026-12-06T15:48:02Z
        let decisions = [
            PurgeDecision(backup: "rollback_backup_20_r1", step: 20, createdAt: created, checksum: "c", action: .purged),
            PurgeDecision(backup: "rollback_backup_21_r1", step: 21, createdAt: created, checksum: "c", action: .wouldPurge),
            PurgeDecision(backup: "rollback_backup_22_r1", step: 22, createdAt: created, checksum: "c", action: .refused("needed")),
        ]
        #expect(PurgeText.render(decisions, olderThanDays: 7) == """
            ✔ purged rollback_backup_20_r1 (step 20, 2026-12-06T15:48:02Z)
            - would purge rollback_backup_21_r1 (step 21, 2026-12-06T15:48:02Z)
            ✘ kept rollback_backup_22_r1 (step 22, 2026-12-06T15:48:02Z): needed
            """)
        #expect(PurgeText.render([], olderThanDays: 7) == "no backup older than 7 days")
    }

    @Test func lintSaysWhatWasReadWithOrWithoutAProcedureFile() {
        var summary = CatalogSummary(directory: "checks", steps: [19, 20], probes: 5, examples: 3,
                                     procedure: .init(name: "procedure.yaml", emergencySteps: 8, healthChecks: 4))
        #expect(CatalogText.render(summary)
            == "checks: 2 rule files, steps 19, 20; 5 probes, 3 examples; procedure.yaml: 8 emergency steps, 4 health checks: OK")
        summary.procedure = .init(name: "procedure.yaml", emergencySteps: nil, healthChecks: nil)
        #expect(CatalogText.render(summary).hasSuffix("3 examples; no procedure.yaml: OK"))
    }
}
