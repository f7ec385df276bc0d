import Foundation
import Mongo
import TestSupport
import Testing

/// A new step is a rule file and nothing else: an invented step 31, which adds `orders.priority` and an index on it, is
/// added to a copy of the catalog, and lint, audit, plan, rollback and re-apply all work for it with no Swift written
/// for it.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct NewStepTests {
    static let rule = """
        step: 31
        title: Order priority
        added:
          - New field priority on all orders, with an index for the dispatch screen
        kind: data
        severity: error
        depends_on: []

        probes:
          - id: orders.priority
            type: fields
            title: Every order carries priority
            collection: orders
            fields: [priority]
          - id: orders.priority-index
            type: index
            title: Orders are indexed by priority
            collection: orders
            keys: {priority: 1}
            name: priority_1

        rollback:
          backup:
            - {collection: orders, indexes: true}
          operations:
            - type: unset
              collection: orders
              filter: {priority: {$exists: true}}
              fields: [priority]
            - {type: drop_index, collection: orders, name: priority_1}
          verify:
            - collection: orders
              filter: {priority: {$exists: true}}
              expect: 0

        impact:
          - type: count
            title: orders that lose their priority
            collection: orders
            filter: {priority: {$exists: true}}
        """

    @Test func aStepAddedAsARuleFileAloneIsAuditedPlannedRolledBackAndReapplied() throws {
        let checks = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: checks) }
        for file in try FileManager.default.contentsOfDirectory(atPath: AuditCommandTests.checks) where file.hasSuffix(".yaml") {
            try FileManager.default.copyItem(atPath: "\(AuditCommandTests.checks)/\(file)", toPath: checks.appendingPathComponent(file).path)
        }
        try Self.rule.write(to: checks.appendingPathComponent("step-31-order-priority.yaml"), atomically: true, encoding: .utf8)

        try RollbackCommandTests.withDatabase(orders: 200) { db, environment, reports in
            let withOrders = { (body: (MongoCollection) throws -> Int) throws -> Int in
                try TestServer.pool().withClient { try body($0.database(db).collection("orders")) }
            }
            let indexes = { () throws -> [BSONDocument] in
                try TestServer.pool().withClient { try $0.database(db).collection("orders").listIndexes() }
            }
            try TestServer.pool().withClient { client in
                let collection = client.database(db).collection("orders")
                _ = try collection.bulkWrite([.updateMany(filter: [:], update: ["$set": ["priority": "normal"]], upsert: false)])
                try collection.createIndexes([IndexModel(keys: ["priority": 1], name: "priority_1")])
            }
            let before = try RollbackCommandTests.orders(db)
            let base = ["--checks", checks.path, "--report-dir", reports]

            let lint = try RollGateProcess.run(["checks", "lint", checks.path])
            #expect(lint.status == 0, "\(lint)")
            let audit = try RollGateProcess.run(["audit", "--steps", "31"] + base, environment: environment)
            #expect(audit.status == 0 && audit.stdout.contains("step 31") && audit.stdout.contains("passed"), "\(audit)")

            let plan = try RollGateProcess.run(["plan", "31"] + base, environment: environment)
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("→ 200 documents") && plan.stdout.contains("(index present)")
                && plan.stdout.contains("orders that lose their priority: 200"), "\(plan)")

            let rollback = try RollGateProcess.run(["rollback", "31", "--operator", "asha"] + base, environment: environment)
            #expect(rollback.status == 0 && rollback.stdout.contains("step 31  rolled-back"), "\(rollback)")
            #expect(try withOrders { try $0.count(["priority": ["$exists": true]]) } == 0)
            #expect(try !indexes().contains { $0["name"]?.stringValue == "priority_1" })
            let rolledBack = try RollGateProcess.run(["audit", "--steps", "31"] + base, environment: environment)
            #expect(rolledBack.status == 1, "the applied-state audit now fails: \(rolledBack)")

            let reapply = try RollGateProcess.run(["reapply", "31", "--operator", "asha"], environment: environment)
            #expect(reapply.status == 0 && reapply.stdout.contains("0 conflicts"), "\(reapply)")
            let restored = try RollbackCommandTests.orders(db)
            #expect(restored == before, "every order is back exactly as it was")
            let index = try indexes().first { $0["name"]?.stringValue == "priority_1" }
            #expect(index?["key"] == ["priority": 1], "the index is back with its keys: \(String(describing: index))")
            let reaudit = try RollGateProcess.run(["audit", "--steps", "31"] + base, environment: environment)
            #expect(reaudit.status == 0, "\(reaudit)")
        }
    }
}
