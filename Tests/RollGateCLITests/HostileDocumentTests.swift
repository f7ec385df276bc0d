import Foundation
import Mongo
import Reports
import TestSupport
import Testing

/// Documents with unexpected types in the fields RollGate reads: `audit` and `plan` finish with findings, valid
/// reports and the database exactly as it was.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct HostileDocumentTests {
    static let junitSchema = AuditCommandTests.root.appendingPathComponent("Tests/ReportsTests/Expected/junit.xsd")

    /// Breaks a seeded database the ways a hand-edited or half-migrated one is broken.
    static func corrupt(_ database: MongoDatabase) throws {
        let orders = database.collection("orders")
        let ids = try orders.find([:], options: FindOptions(projection: ["id": 1], sort: ["id": 1], limit: 12)).toArray()
            .compactMap { $0["id"] }
        #expect(ids.count == 12)
        let changes: [BSONDocument] = [
            ["$set": ["delivery_date": "tomorrow"]],
            ["$set": ["delivered_at": "yesterday, around noon", "status": "DELIVERED"]],
            ["$unset": ["status": ""]],
            ["$set": ["status": 42]],
            ["$set": ["items": [[1, 2], [[3]]], "subscription_id": [[["nested"]]]]],
            ["$set": ["total_amount": "130 rupees", "subscription_id": .null]],
            ["$set": ["delivery_date": ["when": "2026-01-01"], "customer_id": .document(["id": "c1"])]],
            ["$set": ["customer_id": .string(String(repeating: "x", count: 1_000_000))]],
            ["$set": ["delivery_date": .minKey, "user_id": .maxKey]],
            ["$set": ["id": .int64(7), "status": .bool(true)]],
            ["$set": ["delivered_at": .double(.infinity), "delivery_confirmed": "yes"]],
            ["$set": ["created_at": .regex(pattern: "^$", options: ""), "total_amount": .double(-.infinity)]],
        ]
        for (id, change) in zip(ids, changes) {
            _ = try orders.updateMany(["id": id], .document(change))
        }
        // _id of every type a collection allows besides the usual.
        _ = try orders.insertMany([
            ["_id": ["nested": ["deep": 1]], "id": "weird-1", "status": "DELIVERED"],
            ["_id": 3.5, "id": "weird-2", "delivery_date": "2026-02-30"],
            ["_id": true, "id": .null],
            ["_id": .minKey, "status": ["DELIVERED"]],
            ["_id": .binary(subtype: 0, data: [0, 1, 2]), "items": "not a list"],
            ["_id": .string(String(repeating: "é", count: 400))],
        ])
        _ = try database.collection("delivery_statuses").updateMany(
            [:], .document(["$set": ["delivery_date": "2026-01-01", "delivered_qty": "five"]]))
        _ = try database.collection("users").updateMany(
            [:], .document(["$set": ["role": ["admin", ["nested"]], "email": 12]]))
        _ = try database.collection("billing_records").updateMany(
            [:], .document(["$set": ["amount": "lots", "period_date": "2026-13-45"]]))
    }

    /// Every document of every collection, in `_id` order, and every index.
    static func snapshot(_ database: MongoDatabase) throws -> [String: [BSONDocument]] {
        var all: [String: [BSONDocument]] = [:]
        for name in try database.collectionNames() {
            let collection = database.collection(name)
            all[name] = try collection.find([:], options: FindOptions(sort: ["_id": 1])).toArray()
            all["\(name) indexes"] = try collection.listIndexes()
        }
        return all
    }

    static func expectNoCrash(_ result: RollGateProcess.Result, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect([0, 1].contains(result.status), "\(result.stdout.suffix(2_000))\n\(result.stderr.prefix(2_000))",
                sourceLocation: sourceLocation)
        for sign in ["Fatal error", "fatalError", "Trace/breakpoint", "Segmentation", "Stack dump"] {
            #expect(!result.stderr.contains(sign), "\(result.stderr.prefix(2_000))", sourceLocation: sourceLocation)
        }
    }

    static func expectValidReports(in directory: URL, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let junit = try String(contentsOf: directory.appendingPathComponent("junit.xml"), encoding: .utf8)
        let errors = try JUnitSchema.validate(junit, schemaAt: junitSchema)
        #expect(errors.isEmpty, "\(errors)", sourceLocation: sourceLocation)
        let json = try Data(contentsOf: directory.appendingPathComponent("report.json"))
        #expect((try? JSONSerialization.jsonObject(with: json)) != nil, "report.json parses", sourceLocation: sourceLocation)
    }

    @Test func auditAndPlanFinishOverCorruptDocumentsAndChangeNothing() throws {
        let name = TestServer.freshDatabase("hostile_docs")
        let pool = try TestServer.pool()
        defer { pool.withClient { _ = try? $0.database(name).runCommand(["dropDatabase": 1], kind: .write) } }
        let environment = ["ROLLGATE_URI": TestServer.uri!, "ROLLGATE_DB": name]
        let seed = try RollGateProcess.run(["seed", "--orders", "600"], environment: environment)
        #expect(seed.status == 0, "\(seed)")
        try pool.withClient { try Self.corrupt($0.database(name)) }
        let before = try pool.withClient { try Self.snapshot($0.database(name)) }

        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let audit = try RollGateProcess.run(["audit", "--checks", AuditCommandTests.checks,
                                             "--report-dir", reports.appendingPathComponent("audit").path],
                                            environment: environment)
        Self.expectNoCrash(audit)
        #expect(audit.status == 1, "the corrupt documents fail checks: \(audit.stdout.suffix(3_000))")
        #expect(audit.stdout.contains("Audit failed"), "\(audit.stdout.suffix(3_000))")
        // A string delivery_date breaks step 27's date arithmetic on the server: an error for that check, not the run.
        #expect(audit.stdout.contains("! step 27") && audit.stdout.contains("can't $subtract"), "\(audit.stdout)")
        try Self.expectValidReports(in: reports.appendingPathComponent("audit"))

        let plan = try RollGateProcess.run(["plan", "all", "--no-history", "--checks", AuditCommandTests.checks,
                                            "--report-dir", reports.appendingPathComponent("plan").path],
                                           environment: environment)
        Self.expectNoCrash(plan)
        #expect(plan.stdout.contains("Step 23"), "\(plan.stdout.prefix(2_000))\n\(plan.stderr.prefix(2_000))")
        // An infinite total_amount is not an amount: the unbilled revenue stays a figure.
        let unbilled = plan.stdout.split(separator: "\n").first { $0.contains("₹ unbilled, last 30 days") }
        #expect(unbilled != nil && unbilled?.contains("∞") == false, "\(String(describing: unbilled))")
        try Self.expectValidReports(in: reports.appendingPathComponent("plan"))

        let after = try pool.withClient { try Self.snapshot($0.database(name)) }
        #expect(after.keys.sorted() == before.keys.sorted())
        for key in before.keys.sorted() {
            #expect(after[key] == before[key], "\(key) changed")
        }
    }
}
