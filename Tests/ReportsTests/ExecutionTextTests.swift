import Findings
import Reports
import Testing

/// The terminal summary of a rollback or emergency run.
struct ExecutionTextTests {
    @Test func oneLinePerStepThenTheHealthChecks() {
        let summary = ExecutionSummary(steps: [
            .init(step: 23, status: "rolled-back", result: .done,
                  changes: [.init(collection: "orders", documents: 1_402), .init(collection: "billing_records", documents: 498)],
                  backup: "rollback_backup_23_r1", message: "rolled back and verified"),
            .init(step: 24, status: "failed", result: .unfinished, changes: [], backup: nil, message: "refused: no approval"),
            .init(step: 28, status: "manual-pending", result: .pending, changes: [], backup: nil, message: "manual checklist pending"),
        ], healthLines: ["OK users: 5 documents", "FAILED orders: 0 documents"], healthy: false)
        #expect(ExecutionText.render(summary) == """
            ✔ step 23  rolled-back          orders 1,402, billing_records 498  backup rollback_backup_23_r1
            ✘ step 24  failed                 refused: no approval
            - step 28  manual-pending       

            Health checks:
              OK users: 5 documents
              FAILED orders: 0 documents
            """)
        #expect(summary.failed && summary.unfinished.map(\.step) == [24])
        #expect(!ExecutionSummary(steps: [], healthLines: nil, healthy: true).failed)
    }
}
