import Catalog
import Findings
import Foundation
import Mongo
@testable import Rollback
import Seed
import TestSupport
import Testing

/// Real rollbacks against the test server: the round trip, idempotence, refusals and history.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct ExecutorTests {
    static let catalog = try! Catalog.load(directory: PlannerTests.checks)

    /// Approvals for every step that needs one, valid for an hour.
    static func approvals(expires: Date = Date().addingTimeInterval(3_600)) -> [Approval] {
        [(21, ApprovalRole.ops), (23, .finance), (24, .security), (25, .compliance), (29, .ops), (30, .ops)].map {
            Approval(step: $0.0, role: $0.1, approver: "Test Approver", ticket: "T-\($0.0)", reason: "test",
                     expires: expires, source: "test")
        }
    }

    /// The data collections, document for document, and their indexes: RollGate's own collections left out.
    static func snapshot(_ pool: MongoPool, _ database: String) async throws -> [String: [BSONDocument]] {
        let own: Set<String> = ["admin", "user_customer_mapping_backup", "orders_backup", "delivery_audit_backup"]
        return try await pool.run { client in
            let db = client.database(database)
            var all: [String: [BSONDocument]] = [:]
            for name in try db.collectionNames() where !own.contains(name) && !name.hasPrefix(BackupStore.prefix) {
                all[name] = try db.collection(name).find([:], options: FindOptions(sort: ["_id": 1])).toArray()
                all[name + " indexes"] = try db.collection(name).listIndexes().sorted { "\($0["name"]!)" < "\($1["name"]!)" }
            }
            return all
        }
    }

    /// Seeds a private server, so that no other suite writes beside the test: under the load of every suite at once
    /// the shared SecantusDB server has answered `internal server error` (a WiredTiger commit conflict between
    /// unrelated operations, in its log) to writes of a rollback that then ended `failed` (user guide, known
    /// differences). The shared server stays in use where a test needs no exact sequence of outcomes.
    static func withPrivateSeeded<T>(_ state: SeedState, orders: Int,
                                     _ body: (MongoPool, String) async throws -> T) async throws -> T {
        let server = try PrivateServer()
        let pool = try server.pool(timeout: .seconds(30))
        try await PlannerTests.seed(pool, "earlybird", state, orders: orders)
        let result = try await body(pool, "earlybird")
        withExtendedLifetime(server) {}
        return result
    }

    static func executor(_ pool: MongoPool, _ database: String) -> Executor {
        Executor(catalog: catalog, pool: pool, database: database)
    }

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func roundTripRestoresEveryDocumentAndIndex() async throws {
        try await Self.withPrivateSeeded(.applied, orders: 1_200) { pool, database in
            let before = try await Self.snapshot(pool, database)
            let outcomes = try await Self.executor(pool, database).run(RollbackRequest(
                steps: Array(19...30), operator_: "asha", reason: "round trip", approvals: Self.approvals(), force: true,
                transactionLimit: 500, useTransactions: false))
            // Without transactions: the non-transactional batches are the path of a standalone MongoDB; the
            // transaction paths are tested in secondRollbackChangesNothing, RollbackSafetyTests and FaultTests.
            #expect(outcomes.map(\.step) == Array((19...30).reversed()))
            let statuses = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.step, $0.status) })
            for step in [19, 20, 21, 22, 23, 25, 26, 30] { #expect(statuses[step] == .rolledBack, "step \(step): \(outcomes)") }
            for step in [24, 27, 28, 29] { #expect(statuses[step] == .manualPending, "step \(step)") }
            for outcome in outcomes where [.rolledBack, .alreadyRolledBack].contains(outcome.status) {
                let rule = try #require(Self.catalog.step(outcome.step))
                #expect(outcome.verification.count == rule.rollback.verify.count, "step \(outcome.step): every post-condition checked")
                #expect(outcome.verification.allSatisfy { $0.status == .ok }, "step \(outcome.step): \(outcome.verification)")
            }
            let after = try await Self.snapshot(pool, database)
            #expect(after != before)

            let run = History.Run(operator_: "asha", reason: "round trip back", mode: .reapply)
            for step in [19, 20, 21, 22, 23, 25, 26, 30] {
                let outcome = try await Reapplier(pool: pool, database: database).run(step: step, backup: nil, overwrite: false, run: run)
                #expect(outcome.conflicts == 0, "step \(step): \(outcome)")
            }
            let restored = try await Self.snapshot(pool, database)
            #expect(restored.keys.sorted() == before.keys.sorted())
            for (name, documents) in before {
                let back = restored[name] ?? []
                #expect(back.count == documents.count, "\(name)")
                #expect(zip(back, documents).allSatisfy { sameFields($0, $1) }, "\(name) restored document for document")
            }
        }
    }

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func secondRollbackChangesNothing() async throws {
        try await Self.withPrivateSeeded(.applied, orders: 500) { pool, database in
            let request = RollbackRequest(steps: [23], operator_: "asha", approvals: Self.approvals())
            let first = try await Self.executor(pool, database).run(request)
            #expect(first.first?.status == .rolledBack && first.first?.backup != nil)
            let between = try await Self.snapshot(pool, database)
            let backups = try await pool.run { try $0.database(database).collectionNames().filter { $0.hasPrefix(BackupStore.prefix) } }
            let second = try await Self.executor(pool, database).run(request)
            #expect(second.first?.status == .alreadyRolledBack, "\(second)")
            #expect(second.first?.backup == nil)
            #expect(try await Self.snapshot(pool, database) == between)
            let backupsAfter = try await pool.run { try $0.database(database).collectionNames().filter { $0.hasPrefix(BackupStore.prefix) } }
            #expect(backupsAfter == backups, "no new backup")
            let history = try await pool.run { try History.entries(in: $0.database(database), limit: 10, step: 23) }
            #expect(history.map { $0["status"]?.stringValue } == ["already-rolled-back", "rolled-back"])
            #expect(history.last?.value(at: "approval.ticket") == "T-23")
        }
    }

    @Test func refusalsChangeNothing() async throws {
        try await PlannerTests.withSeeded(.applied, orders: 300) { pool, database in
            let before = try await Self.snapshot(pool, database)
            let executor = Self.executor(pool, database)
            let expired = Self.approvals(expires: Date().addingTimeInterval(-60))
            let wrongRole = [Approval(step: 23, role: .ops, approver: "x", ticket: "t", reason: "r",
                                      expires: Date().addingTimeInterval(3_600), source: "test")]
            for (request, label) in [
                (RollbackRequest(steps: [23], operator_: "asha"), "missing approval"),
                (RollbackRequest(steps: [22, 23], operator_: "asha", approvals: expired), "expired approval"),
                (RollbackRequest(steps: [23], operator_: "asha", approvals: wrongRole), "wrong role"),
                (RollbackRequest(steps: [29], operator_: "asha", approvals: Self.approvals()), "29 without --force"),
                (RollbackRequest(steps: [29], operator_: "asha", force: true), "29 forced without approval"),
            ] {
                await #expect(throws: RollbackRefusal.self, "\(label)") { try await executor.run(request) }
            }
            // Someone else holds the lock.
            try await pool.run { client in
                try client.database(database).collection("admin").insertMany([[
                    "_id": "rollback-lock", "type": "rollback-lock", "owner": "ravi", "run_id": "other",
                    "expires_at": .date(Date().addingTimeInterval(600)),
                ]])
            }
            let held = await #expect(throws: RollbackRefusal.self) {
                try await executor.run(RollbackRequest(steps: [19], operator_: "asha"))
            }
            #expect(held?.description.contains("ravi") == true)
            #expect(try await Self.snapshot(pool, database) == before, "nothing changed")
            let history = try await pool.run { try History.entries(in: $0.database(database), limit: 10) }
            #expect(history.isEmpty, "a refused run records no step")
        }
    }

    /// A post-condition the operations cannot meet: the step fails, verification names the documents still matching
    /// as left over (they are in the backup), and the re-apply restores them.
    @Test func aPostConditionThatFailsFailsTheStep() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-verify-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rule = try String(contentsOf: PlannerTests.checks.appendingPathComponent("step-19-orders-subscription-id.yaml"), encoding: .utf8)
        let unmet = rule.replacingOccurrences(of: "  verify:\n    - collection: orders\n      filter: {subscription_id: {$exists: true}}",
                                              with: "  verify:\n    - collection: orders\n      filter: {status: DELIVERED}")
        #expect(unmet != rule)
        try unmet.write(to: directory.appendingPathComponent("step-19.yaml"), atomically: true, encoding: .utf8)
        let catalog = try Catalog.load(directory: directory)
        try await PlannerTests.withSeeded(.applied, orders: 300) { pool, database in
            let outcome = try #require(try await Executor(catalog: catalog, pool: pool, database: database)
                .run(RollbackRequest(steps: [19], operator_: "asha")).first)
            #expect(outcome.status == .failed, "\(outcome)")
            let check = try #require(outcome.verification.first)
            #expect(check.status == .failed && check.found > 0 && check.leftOver == check.found && check.writtenDuring == 0, "\(check)")
            #expect(outcome.message.hasPrefix("post-conditions not met: FAILED orders"), "\(outcome.message)")
        }
    }

    @Test func anExpiredLockIsTakenOver() async throws {
        try await PlannerTests.withSeeded(.applied, orders: 200) { pool, database in
            try await pool.run { client in
                try client.database(database).collection("admin").insertMany([[
                    "_id": "rollback-lock", "type": "rollback-lock", "owner": "crashed", "run_id": "old",
                    "expires_at": .date(Date().addingTimeInterval(-5)),
                ]])
            }
            let outcomes = try await Self.executor(pool, database).run(RollbackRequest(steps: [20], operator_: "asha"))
            #expect(outcomes.first?.status == .rolledBack)
            let lock = try await pool.run { try $0.database(database).collection("admin").find(["_id": "rollback-lock"]).next() }
            #expect(lock == nil, "released at the end")
        }
    }
}

/// The shape of the executor's batched updates: `_id` first, the step's filter kept unless it only asks for a field
/// the unset removes anyway.
@Suite struct BatchedUpdateShapeTests {
    @Test func aFilterOnlyAskingForAnUnsetFieldIsLeftOut() {
        let fields = ["a", "b"]
        #expect(StepExecutor.asksOnlyForAnyOf(fields, ["a": ["$exists": true]]))
        #expect(StepExecutor.asksOnlyForAnyOf(fields, ["$or": [["a": ["$exists": true]], ["b": ["$exists": true]]]]))
        #expect(!StepExecutor.asksOnlyForAnyOf(fields, ["c": ["$exists": true]]), "another field")
        #expect(!StepExecutor.asksOnlyForAnyOf(fields, ["a": ["$exists": true], "status": "DELIVERED"]), "a condition more")
        #expect(!StepExecutor.asksOnlyForAnyOf(fields, ["$or": [["a": ["$exists": true]], ["status": "DELIVERED"]]]))
        #expect(!StepExecutor.asksOnlyForAnyOf(fields, ["a": ["$exists": false]]))
    }

    @Test func idsComeFirstAndTheFilterIsKept() {
        let ids: [BSON] = [.int32(1), .int32(2)]
        let plain = StepExecutor.restricted(["status": "DELIVERED"], to: ids)
        #expect(plain.keys == ["_id", "status"])
        let withOperator = StepExecutor.restricted(["$or": [["a": 1], ["b": 1]]], to: ids)
        #expect(withOperator.keys == ["$and"], "a top-level operator is kept whole beside the ids")
        #expect(StepExecutor.restricted([:], to: ids) == ["_id": ["$in": .array(ids)]])
    }
}
