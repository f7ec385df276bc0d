import Foundation
import Mongo
@testable import Rollback
import TestSupport
import Testing

/// `rollgate rollback`, `reapply`, `emergency`, `status`, `history`, `details` as operators run them.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct RollbackCommandTests {
    static let checks = AuditCommandTests.checks

    static func approvalFile(_ entries: [(Int, String)], expires: String = "2099-01-01T00:00:00Z") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("approval-\(UUID()).yaml")
        let body = entries.map { step, role in
            "  - step: \(step)\n    role: \(role)\n    approver: Test Approver\n    ticket: T-\(step)\n"
                + "    reason: test\n    expires: \(expires)\n"
        }.joined()
        try ("approvals:\n" + body).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A seeded database, its environment for the CLI, and a report folder; all removed afterwards.
    static func withDatabase(orders: Int, _ body: (String, [String: String], String) throws -> Void) throws {
        let db = TestServer.freshDatabase("cli_rollback")
        defer { try? TestServer.pool().withClient { _ = try? $0.database(db).runCommand(["dropDatabase": 1]) } }
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let environment = ["ROLLGATE_URI": TestServer.uri!, "ROLLGATE_DB": db]
        let seed = try RollGateProcess.run(["seed", "--orders", "\(orders)"], environment: environment)
        #expect(seed.status == 0, "\(seed)")
        try body(db, environment, reports.path)
    }

    static func orders(_ db: String) throws -> [BSONDocument] {
        try TestServer.pool().withClient { try $0.database(db).collection("orders").find([:], options: FindOptions(sort: ["_id": 1])).toArray() }
    }

    @Test func refusalsExitFourAndBadInputExitsTwoWithNothingChanged() throws {
        try Self.withDatabase(orders: 300) { db, environment, reports in
            let before = try Self.orders(db)
            let expired = try Self.approvalFile([(23, "finance")], expires: "2020-01-01T00:00:00Z")
            let wrongRole = try Self.approvalFile([(23, "ops")])
            let malformed = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).yaml")
            try "approvals:\n  - step: 23\n    role: finance\n    expires: tomorrow\n".write(to: malformed, atomically: true, encoding: .utf8)
            let base = ["--checks", Self.checks, "--report-dir", reports]
            for (arguments, status) in [
                (["rollback", "23", "--operator", "asha"], 4),
                (["rollback", "23", "--operator", "asha", "--approval", expired.path], 4),
                (["rollback", "23", "--operator", "asha", "--approval", wrongRole.path], 4),
                (["rollback", "29", "--operator", "asha"], 4),
                (["rollback", "23", "--operator", "asha", "--approval", malformed.path], 2),
                (["rollback", "23", "--operator", "asha", "--approval", "/nonexistent.yaml"], 2),
                (["rollback", "31", "--operator", "asha"], 2),
                (["rollback", "23"], 2),
            ] as [([String], Int32)] {
                let result = try RollGateProcess.run(arguments + base, environment: environment)
                #expect(result.status == status, "\(arguments): \(result)")
                #expect(result.stderr.split(separator: "\n").first?.contains("rollgate") == true, "\(result)")
            }
            // A held lock names its holder.
            try TestServer.pool().withClient { client in
                try client.database(db).collection("admin").insertMany([[
                    "_id": "rollback-lock", "type": "rollback-lock", "owner": "ravi", "run_id": "r1",
                    "expires_at": .date(Date().addingTimeInterval(600)),
                ]])
            }
            let held = try RollGateProcess.run(["rollback", "20", "--operator", "asha"] + base, environment: environment)
            #expect(held.status == 4 && held.stderr.contains("ravi"), "\(held)")
            let reapplyHeld = try RollGateProcess.run(["reapply", "20", "--operator", "asha"], environment: environment)
            #expect(reapplyHeld.status == 4 && reapplyHeld.stderr.contains("ravi"), "\(reapplyHeld)")
            #expect(try Self.orders(db) == before, "nothing changed")
            let history = try RollGateProcess.run(["history"], environment: environment)
            #expect(history.stdout.contains("no rollback history"), "\(history)")
        }
    }

    @Test func rollbackReapplyAndInspect() throws {
        try Self.withDatabase(orders: 400) { db, environment, reports in
            let before = try Self.orders(db)
            let approvals = try Self.approvalFile([(23, "finance")])
            let base = ["--checks", Self.checks, "--report-dir", reports]
            let rollback = try RollGateProcess.run(["rollback", "22-23", "--operator", "asha", "--approval", approvals.path,
                                                    "--reason", "billing bug"] + base, environment: environment)
            #expect(rollback.status == 0, "\(rollback)")
            #expect(rollback.stdout.contains("step 23  rolled-back") && rollback.stdout.contains("step 22  rolled-back"), "\(rollback)")
            let again = try RollGateProcess.run(["rollback", "23", "--operator", "asha", "--approval", approvals.path] + base,
                                                environment: environment)
            #expect(again.status == 0 && again.stdout.contains("already-rolled-back"), "\(again)")

            let details = try RollGateProcess.run(["details", "22", "--checks", Self.checks], environment: environment)
            #expect(details.status == 0 && details.stdout.contains("[done]"), "\(details)")
            let status = try RollGateProcess.run(["status", "--checks", Self.checks], environment: environment)
            #expect(status.stdout.contains("rollback history entries: 3") && status.stdout.contains("lock:                     free"), "\(status)")

            for step in ["22", "23"] {
                let reapply = try RollGateProcess.run(["reapply", step, "--operator", "asha"], environment: environment)
                #expect(reapply.status == 0 && reapply.stdout.contains("0 conflicts"), "\(reapply)")
            }
            let restored = try Self.orders(db)
            #expect(restored.count == before.count)
            #expect(zip(restored, before).allSatisfy { a, b in a.count == b.count && a.elements.allSatisfy { b[$0.key] == $0.value } })
            let history = try RollGateProcess.run(["history", "--limit", "10"], environment: environment)
            #expect(history.stdout.components(separatedBy: "reapply  reapplied").count == 3, "\(history)")
            #expect(history.stdout.contains("execute  already-rolled-back"))
            let noBackup = try RollGateProcess.run(["reapply", "21", "--operator", "asha"], environment: environment)
            #expect(noBackup.status == 4, "\(noBackup)")
        }
    }

    /// The conflicts a re-apply listed in its CSV file (`collection _id` each), empty when it printed none.
    static func conflictList(_ reapply: RollGateProcess.Result) throws -> Set<String> {
        guard let line = reapply.stdout.components(separatedBy: "\n").first(where: { $0.hasPrefix("Every conflict (") }),
              let path = line.components(separatedBy: "): ").last else { return [] }
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
        return Set(rows.map { $0.replacingOccurrences(of: ",", with: " ") })
    }

    @Test func aConflictIsLeftAloneUnlessOverwrite() throws {
        try Self.withDatabase(orders: 200) { db, environment, reports in
            let rollback = try RollGateProcess.run(["rollback", "19", "--operator", "asha", "--checks", Self.checks,
                                                    "--report-dir", reports], environment: environment)
            #expect(rollback.status == 0, "\(rollback)")
            let changed = try TestServer.pool().withClient { client in
                try client.database(db).collection("orders").updateMany(["status": "CANCELLED"], ["$set": ["note": "changed later"]]).modified
            }
            #expect(changed > 0)
            let cancelled = try TestServer.pool().withClient { client in
                try client.database(db).collection("orders").find(["status": "CANCELLED"]).toArray().compactMap { $0["_id"] }
            }
            let reapply = try RollGateProcess.run(["reapply", "19", "--operator", "asha", "--report-dir", reports], environment: environment)
            #expect(reapply.status == 1 && reapply.stdout.contains("\(changed) conflicts"), "\(reapply)")
            // Every conflict is listed, not only the samples on the terminal.
            #expect(try Self.conflictList(reapply) == Set(cancelled.map { "orders " + Reapplier.describeValue($0) }), "\(reapply)")
            let overwrite = try RollGateProcess.run(["reapply", "19", "--operator", "asha", "--overwrite"], environment: environment)
            #expect(overwrite.status == 0, "\(overwrite)")
            let notes = try TestServer.pool().withClient { try $0.database(db).collection("orders").count(["note": ["$exists": true]]) }
            #expect(notes == 0, "overwrite restored the pre-rollback documents")
        }
    }

    @Test func aRollbackKilledMidStepIsFinishedByTheNextRunAndLosesNothing() throws {
        try Self.withDatabase(orders: 6_000) { db, environment, reports in
            let original = try Self.orders(db)
            // `--no-transactions`: killed inside a batch transaction, the test server keeps that transaction open, and
            // the rerun's write of the same documents then failed with "internal server error" (user guide, Known
            // differences of the test server); MongoDB aborts such a transaction. A killed transaction changes nothing.
            let arguments = ["rollback", "19", "--operator", "asha", "--lock-ttl", "20", "--transaction-limit", "0",
                             "--no-transactions", "--checks", Self.checks, "--report-dir", reports]
            // Start a rollback and kill it as soon as its operations have begun.
            let process = Process()
            process.executableURL = RollGateProcess.executable
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let pool = try TestServer.pool()
            let deadline = Date().addingTimeInterval(300)
            // Kill it once two of its batches are saved (and changed), while the others are still to come.
            while process.isRunning, Date() < deadline {
                let backedUp = try pool.withClient { client in
                    try client.database(db).collectionNames().filter { $0.hasPrefix("rollback_backup_19_") }.contains { name in
                        try client.database(db).collection(name).find(["_id": "manifest", "saved_batches": ["$gte": 2]]).next() != nil
                    }
                }
                if backedUp { break }
                Thread.sleep(forTimeInterval: 0.02)
            }
            let killedMidStep = process.isRunning
            RollGateProcess.killHard(process)
            #expect(killedMidStep, "the rollback was still running when killed")
            // Whether the server finished the update the killed client sent is the server's business; either way the
            // step was left unrecorded (in progress) and must be completed, or found done, by the next run.

            // The crashed run's lock holds until it expires, then the next run takes over and finishes.
            let blocked = try RollGateProcess.run(arguments, environment: environment)
            #expect(blocked.status == 4 && blocked.stderr.contains("asha"), "\(blocked)")
            let expiry = try pool.withClient { try $0.database(db).collection("admin").find(["_id": "rollback-lock"]).next()?["expires_at"]?.dateValue }
            Thread.sleep(forTimeInterval: max(0, (expiry ?? Date()).timeIntervalSinceNow) + 0.5)
            let rerun = try RollGateProcess.run(arguments, environment: environment)
            #expect(rerun.status == 0 && rerun.stdout.contains("rolled-back"), "\(rerun)")
            #expect(try pool.withClient { try $0.database(db).collection("orders").count(["subscription_id": ["$exists": true]]) } == 0)

            // Backups and data account for every original document.
            var backedUp: [BSON: BSONDocument] = [:]
            try pool.withClient { client in
                let database = client.database(db)
                for name in try database.collectionNames() where name.hasPrefix("rollback_backup_19_") {
                    for entry in try database.collection(name).find(["_id": ["$ne": "manifest"]]).toArray() {
                        if let document = entry["document"]?.documentValue, let id = document["_id"] { backedUp[id] = document }
                    }
                }
            }
            let now = Dictionary(uniqueKeysWithValues: try Self.orders(db).map { ($0["_id"]!, $0) })
            for document in original {
                let id = document["_id"]!
                let inBackup = backedUp[id].map { b in b.count == document.count && b.elements.allSatisfy { document[$0.key] == $0.value } } ?? false
                let inData = now[id].map { n in n.count == document.count && n.elements.allSatisfy { document[$0.key] == $0.value } } ?? false
                #expect(inBackup || inData, "order \(id) is neither in the data nor in a backup")
            }
            // The history shows the crashed attempt as in progress and the rerun as done.
            let history = try RollGateProcess.run(["history", "--step", "19"], environment: environment)
            #expect(history.stdout.contains("in-progress") && history.stdout.contains("rolled-back  by asha"), "\(history)")
        }
    }

    @Test func emergencyRollsBack30To23KeepingIndexesAndChecksHealth() throws {
        try Self.withDatabase(orders: 500) { db, environment, reports in
            let approvals = try Self.approvalFile([(23, "finance"), (25, "compliance")])  // none for 24: it fails, the run goes on
            let result = try RollGateProcess.run(["emergency", "--operator", "asha", "--approval", approvals.path,
                                                  "--checks", Self.checks, "--report-dir", reports], environment: environment)
            #expect(result.status == 1, "step 24 had no approval: \(result)")
            #expect(result.stdout.contains("✘ step 24") && result.stdout.contains("✔ step 23  rolled-back"), "\(result)")
            #expect(!result.stdout.contains("step 30") && !result.stdout.contains("step 29"), "30 and 29 are kept")
            #expect(result.stdout.contains("Health checks:") && result.stdout.contains("OK orders"), "\(result)")
            let indexes = try TestServer.pool().withClient { try $0.database(db).collection("orders").listIndexes().count }
            #expect(indexes == 4, "step 30's indexes are kept")
            // --include names only the emergency steps the guide advises against; anything else is bad input.
            for include in ["22", "24"] {
                let refused = try RollGateProcess.run(["emergency", "--operator", "asha", "--include", include,
                                                       "--checks", Self.checks, "--report-dir", reports], environment: environment)
                #expect(refused.status == 2 && refused.stderr.contains("--include \(include): step \(include)"), "\(refused)")
            }
        }
    }
}
