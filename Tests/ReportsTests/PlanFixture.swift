import Findings
import Foundation

/// A plan with every kind of impact, rendered as JSON, Markdown and terminal text and compared with
/// `Expected/plan-run.*`.
enum PlanFixture {
    static var run: RunResult {
        RunResult(command: "plan", toolVersion: "0.1.0", startedAt: Fixtures.startedAt, seconds: 2.5,
                  server: "mongodb://127.0.0.1:27017", database: "earlybird", expectation: "applied", failOn: .error,
                  steps: [], plan: [revenue, compliance, security, performance])
    }

    static var revenue: StepPlan {
        var plan = PlanReportTests.plan
        plan.impacts += [
            .count(.init(title: "billing records that lose their order linkage", documents: 498)),
            .sum(.init(title: "₹ of credits", value: 12_345.5, unit: .rupees, count: 42)),
            .sum(.init(title: "items", value: 1_234, unit: .documents, count: 17)),
        ]
        return plan
    }

    static var compliance: StepPlan {
        StepPlan(step: 25, title: "Delivery audit fields", kind: "data",
                 operations: [PlannedOperation(type: "unset", collection: "delivery_statuses",
                                               description: "$unset ip_address", documents: 3_000)],
                 backup: BackupEstimate(parts: [.init(name: "delivery_audit_backup", documents: 3_000, bytes: 2_500_000)]),
                 estimateSeconds: 4.25, approval: "compliance", recommended: false,
                 notRecommendedReason: "audit data is evidence", manual: [], blockers: ["not recommended"],
                 impacts: [.compliance(.init(title: "delivery records that would lose their audit data",
                                             groupBy: "confirmation_method",
                                             groups: [.init(label: "(none)", records: 100, personalData: 0),
                                                      .init(label: "otp", records: 2_900, personalData: 2_500)],
                                             personalData: 2_500, fields: ["ip_address": 2_500, "confirmed_at": 3_000],
                                             note: "Personal data fields: ip_address. A backup holding them must be kept "
                                                 + "under the same protection as the original."))])
    }

    static var security: StepPlan {
        StepPlan(step: 24, title: "Role validation", kind: "code", operations: [], backup: BackupEstimate(parts: []),
                 estimateSeconds: 0, approval: nil, recommended: true, notRecommendedReason: nil,
                 manual: ["Revert the middleware"], blockers: [],
                 impacts: [.security(.init(title: "endpoints left unprotected", endpoints: ["POST /confirm", "GET /routes"]))])
    }

    static var performance: StepPlan {
        StepPlan(step: 30, title: "Query indexes", kind: "index",
                 operations: [PlannedOperation(type: "drop_index", collection: "orders", description: "drop index customer_id_1",
                                               documents: 1)],
                 backup: BackupEstimate(parts: []), estimateSeconds: 0.1, approval: nil, recommended: true,
                 notRecommendedReason: nil, manual: [], blockers: [],
                 impacts: [.performance(.init(
                     title: "slowdown of the representative queries without their indexes",
                     queries: [.init(title: "Orders of a customer", withIndexMs: 0.4, collectionScanMs: 16.6, budgetMs: 50)],
                     note: "Measured now: each query with its index, then forced to a collection scan (hint $natural)."))])
    }
}
