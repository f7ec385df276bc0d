import Findings
import Foundation
import Reports
import Testing

/// The terminal text of `status`, `history`, `details`, `reapply`, `doctor` and `seed`.
struct InspectionTextTests {
    /// 2026-12-06T15:48:02Z.
    static let time = Date(timeIntervalSince1970: 1_796_572_082)

    static let rollback = HistoryEntry(time: time, step: 20, mode: "execute", status: "rolled-back", operator_: "asha",
                                       affected: .documents(247), backups: .single("rollback_backup_20_r1"))
    static let reapply = HistoryEntry(time: time.addingTimeInterval(4), step: 20, mode: "reapply", status: "reapplied",
                                      operator_: "asha",
                                      affected: .counts([.init(name: "restored", value: 247), .init(name: "unchanged", value: 0)]),
                                      backups: .chain(["rollback_backup_20_r1", "rollback_backup_20_r2"]))

    @Test func historyIsOneLinePerEntryAndSaysWhenThereIsNone() {
        #expect(HistoryText.render([Self.reapply, Self.rollback]) == """
            2026-12-06T15:48:06Z  step 20  reapply  reapplied  by asha  restored 247, unchanged 0  backups rollback_backup_20_r1 + rollback_backup_20_r2
            2026-12-06T15:48:02Z  step 20  execute  rolled-back  by asha  247 documents  backup rollback_backup_20_r1
            """)
        #expect(HistoryText.render([]) == "no rollback history")
        let bare = HistoryEntry(time: nil, step: 0, mode: nil, status: nil, operator_: nil, affected: .unknown, backups: .none)
        #expect(HistoryText.line(bare) == "?  step 0  ?  ?  by ?  ")
    }

    @Test func statusListsChainsPersonalDataAndTheNewestEntries() {
        let status = StatusSummary(
            operations: 17, steps: [19, 20, 21], historyEntries: 2, lock: .init(owner: "asha", expires: Self.time),
            backups: ["rollback_backup_19_r1", "rollback_backup_25_r1", "rollback_backup_20_r1"],
            chains: [.init(step: 20, backups: [.init(name: "rollback_backup_20_r1", state: "complete"),
                                               .init(name: "rollback_backup_20_r2", state: "partial (2 batches saved)")])],
            personalData: [.init(backup: "rollback_backup_25_r1", fields: ["ip_address", "device_info"])],
            recent: [Self.rollback])
        #expect(StatusText.render(status) == """
            total operations:         17 (in 3 steps)
            rollback history entries: 2
            available steps:          19, 20, 21
            lock:                     held by asha until 2026-12-06T15:48:02Z
            backups:                  3 (newest: rollback_backup_25_r1)
            backup chains (re-apply restores each whole):
              step 20: rollback_backup_20_r1 (complete) + rollback_backup_20_r2 (partial (2 batches saved))
            backups holding personal data (protect them; rollgate backups purge --older-than DAYS removes them):
              rollback_backup_25_r1: ip_address, device_info
            recent rollbacks:
              2026-12-06T15:48:02Z  step 20  execute  rolled-back  by asha  247 documents  backup rollback_backup_20_r1
            """)
        let empty = StatusSummary(operations: 0, steps: [], historyEntries: 0, lock: nil, backups: [], chains: [],
                                  personalData: [], recent: [])
        #expect(StatusText.render(empty).hasSuffix("""
            lock:                     free
            backups:                  0
            backup chains (re-apply restores each whole):
              none
            recent rollbacks:
              none
            """))
    }

    @Test func detailsSayWhatIsDoneAndWhatEachBackupIs() {
        let details = StepDetails(
            step: 23, title: "Billing of one-time orders", kind: "data", approval: "finance", recommended: false,
            operations: [.init(type: "unset", collection: "orders", description: "$unset billed", documents: 1_402),
                         .init(type: "unset", collection: "billing_records", description: "$unset order_id", documents: 0)],
            backups: [.init(name: "rollback_backup_23_r1", state: "complete", reappliedBy: "run-7"),
                      .init(name: "rollback_backup_23_r2", state: "partial (0 batches saved)", usable: false),
                      .init(name: "rollback_backup_23_r3", state: "complete")],
            manual: ["Tell finance"], dependsOn: [19, 20])
        #expect(DetailsText.render(details) == """
            Step 23: Billing of one-time orders (data, approval: finance, not recommended)
            operations:
              [pending] orders: $unset billed (1,402)
              [done] billing_records: $unset order_id (0)
            backups (oldest first; the chain is what a plain re-apply restores):
              rollback_backup_23_r1  complete, re-applied by run run-7
              rollback_backup_23_r2  partial (0 batches saved), unused: nothing saved
              rollback_backup_23_r3  complete, in the chain
            manual checklist:
              - Tell finance
            depends on: 19, 20
            """)
        let code = StepDetails(step: 28, title: "Routes", kind: "code", approval: nil, recommended: true, operations: [],
                               backups: [], manual: [], dependsOn: [])
        #expect(DetailsText.render(code) == "Step 28: Routes (code)\noperations:\n  none in the database")
    }

    @Test func reapplySaysWhatWasRestoredAndTheConflicts() {
        var summary = ReapplySummary(step: 20, backups: ["rollback_backup_20_r1", "rollback_backup_20_r2"], restored: 1_247,
                                     unchanged: 3, indexesRestored: 0, conflicts: 0, conflictSamples: [], seconds: 0.74,
                                     alreadyReappliedBy: nil)
        #expect(ReapplyText.render(summary) == "Step 20 re-applied from rollback_backup_20_r1 + rollback_backup_20_r2: "
            + "1,247 documents restored, 3 already as they were, 0 indexes, 0 conflicts (0.7 s)")
        summary.conflicts = 12
        summary.conflictSamples = ["d1", "d2"]
        #expect(ReapplyText.render(summary).hasSuffix(
            "12 conflicts (0.7 s)\nConflicts (changed since the rollback, left alone; --overwrite restores them): d1, d2, …"))
        summary.conflicts = 2
        #expect(ReapplyText.render(summary).hasSuffix("restores them): d1, d2"))
        summary.alreadyReappliedBy = "run-7"
        #expect(ReapplyText.render(summary) == "Step 20: nothing to re-apply: every backup of it was restored by re-apply "
            + "run run-7 (--backup NAME restores one again)")
        #expect(ReapplyText.conflictList(1_200, file: "reports/x.csv") == "Every conflict (1,200): reports/x.csv")
    }

    @Test func doctorAlignsTheFeaturesAndCollections() throws {
        let report = DoctorReport(
            server: "mongodb://127.0.0.1:27017", version: "4.4.1", topology: "standalone",
            features: [.init(name: "server version", available: false, detail: "4.4.1 is older than 5.0"),
                       .init(name: "write", available: true, detail: "inserted")],
            database: "earlybird",
            collections: [.init(name: "orders", exists: true, documents: 12_345, indexes: 4),
                          .init(name: "admin", exists: false, documents: 0, indexes: 0)])
        #expect(DoctorText.render(report) == """
            RollGate doctor
              server    mongodb://127.0.0.1:27017
              version   4.4.1
              topology  standalone
              catalog   none found (pass --checks DIR or set $ROLLGATE_CHECKS)

            Features RollGate relies on:
              FAIL server version  4.4.1 is older than 5.0
              ok   write           inserted

            Database 'earlybird':
              orders                    12,345 documents, 4 indexes
              admin                        (absent)

            Some features RollGate relies on are missing.
            """)
        let json = try PlainJSON.render(report)
        #expect(json.contains("\"server\" : \"mongodb:\\/\\/127.0.0.1:27017\"") && !json.contains("catalogSHA256"))
    }

    @Test func seedListsTheCollectionsInOrderAndTheDefects() {
        var report = SeedReport(database: "earlybird", state: "defects", seed: 42, asOf: Date(timeIntervalSince1970: 1_794_700_800),
                                seconds: 0.21, collections: [.init(collection: "users", documents: 18), .init(collection: "orders", documents: 1_300)],
                                indexes: [], defects: ["orders with old-style ids (not UUID v4): 3"])
        #expect(SeedText.render(report) == """
            Seeded database 'earlybird' (state defects, seed 42, as of 2026-11-15) in 0.2 s
              users                         18 documents
              orders                     1,300 documents
              indexes created: none
            Planted defects:
              orders with old-style ids (not UUID v4): 3
            """)
        report.defects = nil
        report.indexes = ["orders.user_id_1"]
        #expect(SeedText.render(report).hasSuffix("documents\n  indexes created: orders.user_id_1"))
    }
}
