import Audit
import Catalog
import Findings
import Foundation
import Mongo
import Reports
import Seed
import TestSupport
import Testing

/// The audit against seeded data in each state.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct AuditTests {
    static let checks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("checks")
    static let junitSchema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ReportsTests/Expected/junit.xsd")

    /// Seeds a fresh database, runs `body` on it, drops it.
    static func withSeeded<T>(_ state: SeedState, orders: Int = 3_000,
                              _ body: (MongoPool, String, SeedSummary) async throws -> T) async throws -> T {
        let pool = try TestServer.pool()
        let name = TestServer.freshDatabase("audit_\(state.rawValue)")
        defer { pool.withClient { _ = try? $0.database(name).runCommand(["dropDatabase": 1], kind: .write) } }
        let summary = try await pool.run { client in
            try Seeder(SeedConfiguration(orders: orders, seed: 11, state: state)).run(on: client.database(name), drop: false)
        }
        return try await body(pool, name, summary)
    }

    static func audit(_ pool: MongoPool, _ database: String, expect: ExpectedState = .applied) async throws -> RunResult {
        let catalog = try Catalog.load(directory: checks)
        let steps = try await Auditor(catalog: catalog, pool: pool, database: database,
                                  options: AuditOptions(expectation: expect)).run(steps: catalog.stepNumbers)
        let run = RunResult(command: "audit", toolVersion: "test", startedAt: Date(), seconds: 1, server: "test",
                            database: database, expectation: expect.rawValue, failOn: .error, steps: steps)
        // Every report this suite produces must be valid JUnit.
        let errors = try JUnitSchema.validate(try JUnitReport.render(run), schemaAt: junitSchema)
        #expect(errors.isEmpty, "\(errors)")
        return run
    }

    static func finding(_ run: RunResult, step: Int, check: String) -> Finding? {
        run.findings.first { $0.step == step && $0.check == check }
    }

    /// Latency depends on what else the shared test server is doing (tests run in parallel against it), so
    /// integration tests check its measurement, not its verdict; `QueryCheckTests` cover the verdict.
    static func isLatency(_ finding: Finding) -> Bool { finding.code == "RG-LATENCY-001" }

    static func checkLatencyWasMeasured(_ run: RunResult) {
        let latency = run.findings.filter(isLatency)
        #expect(latency.count == 8)
        for finding in latency where finding.verdict != .skipped {
            let p50 = finding.figures["p50Ms"] ?? -1, p95 = finding.figures["p95Ms"] ?? -1
            #expect(p50 > 0 && p50 <= p95 && finding.figures["runs"] == 20, "\(finding.check): \(finding.measured)")
        }
    }

    @Test func appliedDataPassesEveryDataIndexAndFormatCheck() async throws {
        try await Self.withSeeded(.applied) { pool, database, _ in
            let run = try await Self.audit(pool, database)
            let notPassed = run.findings.filter { $0.verdict != .passed && $0.verdict != .skipped && !Self.isLatency($0) }
            #expect(notPassed.isEmpty, "\(notPassed.map { "\($0.step) \($0.check): \($0.measured) \($0.message)" })")
            Self.checkLatencyWasMeasured(run)
            // The code-only API checks are skipped without --api-url, with what to check by hand.
            let skipped = run.findings.filter { $0.verdict == .skipped && [24, 28].contains($0.step) }
            #expect(skipped.count == 4 && skipped.allSatisfy { !$0.details.isEmpty })
        }
    }

    @Test func noneStateFailsEveryDataAndIndexStep() async throws {
        try await Self.withSeeded(.none) { pool, database, _ in
            let run = try await Self.audit(pool, database)
            #expect(!run.passes)
            for step in run.steps where ["data", "index", "format"].contains(step.kind) {
                #expect(step.verdict == .failed, "step \(step.step): \(step.findings.map(\.measured))")
            }
            let rolledBack = try await Self.audit(pool, database, expect: .rolledBack)
            for step in rolledBack.steps where step.kind == "data" || step.kind == "index" {
                #expect(step.verdict == .passed, "step \(step.step) rolled back: \(step.findings.map(\.measured))")
            }
        }
    }

    @Test func defectsAreFoundWithTheSeedersExactCounts() async throws {
        try await Self.withSeeded(.defects) { pool, database, summary in
            let run = try await Self.audit(pool, database)
            let defects = try #require(summary.defects)
            func figure(_ step: Int, _ check: String, _ key: String) -> Int? {
                Self.finding(run, step: step, check: check)?.figures[key].map(Int.init)
            }
            #expect(figure(19, "orders.subscription_id", "missing") == defects.oneTimeMissingSubscriptionId)
            #expect(figure(27, "future-deliveries", "count") == defects.futureDeliveries)
            #expect(figure(27, "outside-order-window", "count") == defects.deliveriesOutsideWindow)
            #expect(figure(27, "cancelled-but-delivered", "count") == defects.cancelledButDelivered)
            #expect(figure(29, "uuid-v4.orders", "bad") == defects.oldStyleOrderIds)
            #expect(Self.finding(run, step: 30, check: "billing_records.period_date_-1")?.verdict == .failed)
            #expect(Self.finding(run, step: 30, check: "billing-by-period.plan")?.verdict == .failed)

            // Exactly those checks fail; nothing else does.
            let failed = Set(run.findings.filter { $0.verdict != .passed && $0.verdict != .skipped && !Self.isLatency($0) }
                .map { "\($0.step) \($0.check)" })
            let expected: Set<String> = ["19 orders.subscription_id", "27 future-deliveries", "27 outside-order-window",
                                         "27 cancelled-but-delivered", "29 uuid-v4.orders",
                                         "30 billing_records.period_date_-1", "30 billing-by-period.plan"]
            // A collection scan may or may not also break the latency budget on a small database.
            #expect(failed == expected, "\(failed.sorted())")
        }
    }

    @Test func droppingAnIndexFailsItsCheckAndItsPlan() async throws {
        try await Self.withSeeded(.applied, orders: 2_000) { pool, database, _ in
            try await pool.run { try $0.database(database).collection("orders").dropIndex("customer_id_1") }
            let run = try await Self.audit(pool, database)
            #expect(Self.finding(run, step: 30, check: "orders.customer_id_1")?.verdict == .failed)
            #expect(Self.finding(run, step: 30, check: "orders.customer_id_1")?.code == "RG-INDEX-001")
            let plan = try #require(Self.finding(run, step: 30, check: "orders-by-customer.plan"))
            #expect(plan.verdict == .failed && plan.measured.contains("COLLSCAN"), "\(plan.measured)")
            #expect(!run.passes)
        }
    }

    @Test func anIndexUnderAnotherNameIsAWarning() async throws {
        try await Self.withSeeded(.applied, orders: 500) { pool, database, _ in
            try await pool.run { client in
                let billing = client.database(database).collection("billing_records")
                try billing.dropIndex("customer_id_1")
                try billing.createIndexes([IndexModel(keys: ["customer_id": 1], name: "by_customer")])
            }
            let run = try await Self.audit(pool, database)
            let finding = try #require(Self.finding(run, step: 30, check: "billing_records.customer_id_1"))
            #expect(finding.verdict == .failed && finding.severity == .warning && finding.code == "RG-INDEX-002")
            #expect(!finding.gates(at: .error) && finding.gates(at: .warning), "a warning fails the gate only at --fail-on warning")
        }
    }

    @Test func aProbeThatFailsBecomesAnErrorFindingAndTheRunGoesOn() async throws {
        try await Self.withSeeded(.applied, orders: 300) { pool, database, _ in
            let catalog = try Catalog.load(directory: Self.checks)
            var step = try #require(catalog.step(27))
            step.dependsOn = []
            // A pipeline the server rejects at run time (the loader cannot know $unwind needs a path).
            step.probes[1].kind = .count(CountProbe(collection: "delivery_statuses", filter: nil,
                                                    pipeline: [["$unwind": "no-dollar"]], max: 0))
            let steps = try await Auditor(catalog: try Catalog(steps: [step]), pool: pool, database: database,
                                      options: AuditOptions()).run(steps: [27])
            let verdicts = steps[0].findings.map(\.verdict)
            #expect(verdicts == [.passed, .error, .passed], "\(steps[0].findings.map(\.message))")
            #expect(steps[0].findings[1].code == "RG-PROBE-001")
        }
    }
}
