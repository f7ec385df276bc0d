@testable import Audit
@testable import Catalog
import Findings
import Mongo
import TestSupport
import Testing

/// The latency and plan verdicts, with budgets chosen so the outcome does not depend on the machine.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct QueryCheckTests {
    static func run(budget: Double, index: Bool) throws -> [Finding] {
        try TestServer.withDatabase("query") { db in
            let docs: [BSONDocument] = (0..<2_000).map { ["customer_id": .string("c\($0 % 100)"), "n": .int32(Int32($0))] }
            try db.collection("orders").insertMany(docs)
            if index { try db.collection("orders").createIndexes([IndexModel(keys: ["customer_id": 1])]) }
            let probe = QueryProbe(collection: "orders", filter: ["customer_id": "{{c}}"], sort: nil, limit: nil,
                                   index: "customer_id_1", budgetMs: budget, sample: ["c": "customer_id"], runs: 5,
                                   warmup: 1, maxExaminedPerReturned: 2)
            let rule = ProbeRule(id: "orders-by-customer", title: "Orders by customer", severity: nil, when: .applied,
                                 kind: .query(probe), source: SourceLocation(file: "test", line: 1))
            let step = StepRule(step: 30, title: "t", added: [], kind: .index, severity: .error, approval: nil,
                                dependsOn: [], probes: [rule],
                                rollback: RollbackRule(recommended: true, reason: nil, manual: [], backups: [],
                                                       operations: [], verify: []),
                                impact: [], examples: [], source: SourceLocation(file: "test", line: 1))
            return QueryCheck.run(probe, maker: FindingMaker(step: step, probe: rule), database: db, now: .now,
                                  timeout: .seconds(30))
        }
    }

    @Test func generousBudgetWithIndexPassesBoth() throws {
        let findings = try Self.run(budget: 60_000, index: true)
        #expect(findings.map(\.verdict) == [.passed, .passed], "\(findings.map(\.measured))")
        #expect(findings[1].figures["docsExaminedPerReturned"] == 1)
    }

    @Test func impossibleBudgetFailsLatencyOnly() throws {
        let findings = try Self.run(budget: 0.000_001, index: true)
        #expect(findings.map(\.verdict) == [.failed, .passed])
        #expect(findings[0].code == "RG-LATENCY-001")
    }

    @Test func missingIndexFailsThePlanWithACollectionScan() throws {
        let findings = try Self.run(budget: 60_000, index: false)
        #expect(findings.map(\.verdict) == [.passed, .failed])
        #expect(findings[1].measured.contains("COLLSCAN") && findings[1].figures["docsExamined"] == 2_000)
    }

    @Test func percentilesUseNearestRank() {
        let values = (1...20).map(Double.init)
        #expect(QueryCheck.percentile(values, 0.5) == 10 && QueryCheck.percentile(values, 0.95) == 19)
        #expect(QueryCheck.percentile([7], 0.95) == 7 && QueryCheck.percentile([], 0.5) == 0)
    }
}
