import Catalog
import Findings
import Foundation
import Mongo
@testable import Rollback
import Seed
import TestSupport
import Testing

/// The dry run against seeded data: exact counts, the ₹ figure recomputed independently, and proof it reads only.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct PlannerTests {
    static let checks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("checks")

    static func withSeeded<T>(_ state: SeedState, orders: Int = 2_000,
                              _ body: (MongoPool, String) async throws -> T) async throws -> T {
        let pool = try TestServer.pool()
        let name = TestServer.freshDatabase("plan_\(state.rawValue)")
        defer { pool.withClient { _ = try? $0.database(name).runCommand(["dropDatabase": 1], kind: .write) } }
        try await seed(pool, name, state, orders: orders)
        return try await body(pool, name)
    }

    /// The seeded EarlyBird data the planner and executor tests start from.
    static func seed(_ pool: MongoPool, _ database: String, _ state: SeedState, orders: Int) async throws {
        try await pool.run { client in
            try Seeder(SeedConfiguration(orders: orders, seed: 21, state: state)).run(on: client.database(database), drop: false)
        }
    }

    static func plan(_ pool: MongoPool, _ database: String, _ steps: [Int], now: Date = Date()) async throws -> [StepPlan] {
        let catalog = try Catalog.load(directory: checks)
        return try await Planner(catalog: catalog, pool: pool, database: database,
                                 options: PlanOptions(now: now, indexedRuns: 2, scanRuns: 1)).plan(steps: steps)
    }

    /// Every document of every collection, by collection, in `_id` order.
    static func snapshot(_ pool: MongoPool, _ database: String) async throws -> [String: [BSONDocument]] {
        try await pool.run { client in
            let db = client.database(database)
            var all: [String: [BSONDocument]] = [:]
            for name in try db.collectionNames() where name != History.collection {
                all[name] = try db.collection(name).find([:], options: FindOptions(sort: ["_id": 1])).toArray()
                all[name + " indexes"] = try db.collection(name).listIndexes()
            }
            return all
        }
    }

    @Test func planAllChangesNoCollection() async throws {
        try await Self.withSeeded(.defects) { pool, database in
            let before = try await Self.snapshot(pool, database)
            let plan = try await Self.plan(pool, database, Array(19...30))
            #expect(plan.map(\.step) == Array((19...30).reversed()), "run in reverse order")
            let after = try await Self.snapshot(pool, database)
            #expect(before.keys.sorted() == after.keys.sorted(), "no collection created or dropped")
            for (name, documents) in before { #expect(after[name] == documents, "\(name) unchanged") }
        }
    }

    @Test func everyCountEqualsADirectCountOfTheSameFilter() async throws {
        try await Self.withSeeded(.defects) { pool, database in
            let catalog = try Catalog.load(directory: Self.checks)
            let plan = try await Self.plan(pool, database, [19, 20, 21, 22, 23, 25, 26])
            for step in plan {
                let rule = try #require(catalog.step(step.step))
                for (operation, planned) in zip(rule.rollback.operations, step.operations) {
                    guard case .unset(let collection, let filter, _) = operation else {
                        if case .update(let collection, let filter, _) = operation {
                            let direct = try await pool.run { try $0.database(database).collection(collection).count(filter) }
                            #expect(planned.documents == direct)
                        }
                        continue
                    }
                    let direct = try await pool.run { try $0.database(database).collection(collection).count(filter) }
                    #expect(planned.documents == direct, "step \(step.step) \(planned.description)")
                    #expect(planned.documents > 0)
                }
            }
            // The guide's named backups hold what the guide asks for.
            let audit = try #require(plan.first { $0.step == 25 }?.backup.parts.first { $0.name == "delivery_audit_backup" })
            let audited = try await pool.run { try $0.database(database).collection("delivery_statuses").count(["confirmed_by_user_id": ["$exists": true]]) }
            #expect(audit.documents == audited && audit.bytes > 0)
            // The compliance impact is headed as its rule file says, and counts the same records.
            let compliance = try #require(plan.first { $0.step == 25 }?.impacts.lazy.compactMap(\.compliance).first)
            #expect(compliance.title == catalog.step(25)?.complianceImpacts.first?.impactTitle)
            #expect(compliance.records == audited)
        }
    }

    @Test func unbilledRevenueEqualsAnIndependentSum() async throws {
        let now = Date()
        try await Self.withSeeded(.defects, orders: 3_000) { pool, database in
            let plan = try await Self.plan(pool, database, [23], now: now)
            let revenue = try #require(plan.first?.impacts.lazy.compactMap(\.revenue).first)
            #expect(revenue.windowDays == 30, "the rule file's window_days")

            // Recompute from the raw orders: delivered, subscription_id missing or null, in the last 30 days.
            let since = now.addingTimeInterval(-30 * 86_400)
            let orders = try await pool.run { try $0.database(database).collection("orders").find([:]).toArray() }
            let unbilled = orders.filter { order in
                order["status"] == "DELIVERED" && (order["subscription_id"] == nil || order["subscription_id"] == .null)
                    && (order["delivery_date"]?.dateValue ?? .distantPast) >= since
            }
            let expected = unbilled.reduce(0.0) { $0 + ($1["total_amount"]?.doubleValue ?? 130) }
            #expect(abs(revenue.window.rupees - expected) < 0.01, "\(revenue.window.rupees) vs \(expected)")
            #expect(revenue.window.orders == unbilled.count)
            #expect(revenue.perYear == (expected * 365 / 30).rounded())

            // The guide's {$exists: false} query sees only the planted orders whose subscription_id is missing.
            let missing = orders.filter { $0["status"] == "DELIVERED" && $0["subscription_id"] == nil }.count
            #expect(revenue.guideCount == missing)
            #expect(missing < revenue.allTime.orders, "the guide's query undercounts")
            // Every month from the oldest unbilled order's to now, adding up to the whole window to the paisa.
            let everyUnbilled = orders.filter { $0["status"] == "DELIVERED" && ($0["subscription_id"] == nil || $0["subscription_id"] == .null) }
            let dates = everyUnbilled.compactMap { $0["delivery_date"]?.dateValue }
            let calendar = Calendar.utc
            let oldest = try #require(dates.min())
            let span = calendar.dateComponents([.month], from: calendar.startOfMonth(oldest), to: calendar.startOfMonth(now)).month!
            #expect(revenue.months.count == span + 1 + (dates.count < everyUnbilled.count ? 1 : 0), "\(revenue.months.map(\.label))")
            let whole = everyUnbilled.reduce(0.0) { sum, order in
                let amount = order["total_amount"]
                return sum + (amount == nil || amount == .null ? 130 : (amount?.doubleValue ?? 0))
            }
            let rows = revenue.months.reduce(0.0) { $0 + ($1.totals.rupees * 100).rounded() }
            #expect(rows == (whole * 100).rounded(), "the months add up to every unbilled order, to the paisa")
            #expect(revenue.months.last?.partial == true, "the current month is partial")
        }
    }

    @Test func rollingBackAStepThatAnotherReliesOnIsBlocked() async throws {
        try await Self.withSeeded(.applied, orders: 500) { pool, database in
            let alone = try await Self.plan(pool, database, [22])
            #expect(alone[0].blockers.contains { $0.contains("step 23") }, "\(alone[0].blockers)")
            let together = try await Self.plan(pool, database, [22, 23])
            #expect(together.first { $0.step == 22 }?.blockers.isEmpty == true)
            #expect(together.first { $0.step == 23 }?.blockers == ["needs the approval of finance (an approval file for step 23)"])
        }
    }

    @Test func historyRecordsOneEntryPerPlannedStep() async throws {
        try await Self.withSeeded(.applied, orders: 300) { pool, database in
            let plan = try await Self.plan(pool, database, [20, 21])
            let run = History.Run(operator_: "alice", reason: "test", mode: .dryRun)
            try await pool.run { try History.recordPlan(plan, run: run, seconds: 1, in: $0.database(database)) }
            let entries = try await pool.run {
                try $0.database(database).collection("admin").find(["type": "rollback", "run_id": .string(run.id)]).toArray()
            }
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0["mode"] == "dry-run" && $0["operator"] == "alice" && $0["timestamp"]?.dateValue != nil })
            #expect(entries.first { $0["step"] == .int32(21) }?["status"] == "blocked")
        }
    }
}
