import Foundation
import Mongo
import TestSupport
import Testing

/// Faults as operators meet them: no server, a server killed mid-run, a slow server, wrong credentials, a write
/// failing midway through a rollback. Each ends with one `rollgate: error:` line, the documented exit code, within a
/// bounded time, and data that is intact or restorable. Servers that are killed or carry fail points are private
/// (`PrivateServer`), and fail points aim only at the `rollgate` run under test (`appName`).
@Suite(.serialized) struct FaultTests {
    static let checks = AuditCommandTests.checks

    /// Exactly one non-empty line on stderr, and it is an error line.
    static func oneErrorLine(_ result: RollGateProcess.Result) -> String? {
        let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
        guard lines.count == 1, lines[0].hasPrefix("rollgate: error: ") else { return nil }
        return String(lines[0])
    }

    /// Every document of the collections, by collection, sorted by `_id`.
    static func snapshot(_ pool: MongoPool, _ db: String, _ collections: [String]) throws -> [String: [BSONDocument]] {
        try pool.withClient { client in
            try Dictionary(uniqueKeysWithValues: collections.map { name in
                (name, try client.database(db).collection(name).find([:], options: FindOptions(sort: ["_id": 1])).toArray())
            })
        }
    }

    static func seed(_ server: PrivateServer, _ db: String, orders: Int) throws {
        let seed = try RollGateProcess.run(["seed", "--orders", "\(orders)"], environment: ["ROLLGATE_URI": server.uri, "ROLLGATE_DB": db])
        try #require(seed.status == 0, "\(seed)")
    }

    static func approvalFor23() throws -> URL {
        try RollbackCommandTests.approvalFile([(23, "finance")])
    }

    // MARK: No server

    @Test(arguments: [
        ["audit", "--checks", checks, "--report-dir"], ["plan", "23", "--checks", checks, "--report-dir"],
        ["rollback", "19", "--operator", "asha", "--checks", checks, "--report-dir"],
        ["reapply", "19", "--operator", "asha"], ["status", "--checks", checks], ["history"], ["seed", "--orders", "10"],
    ])
    func unreachableServerExitsThreeWithOneLineWithinTheTimeout(arguments: [String]) throws {
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let uri = "mongodb://ops:Unreachable77@127.0.0.1:\(PrivateServer.freePort())"
        let result = try RollGateProcess.run(arguments + (arguments.last == "--report-dir" ? [reports.path] : []) + ["--timeout", "1.5"],
                                             environment: ["ROLLGATE_URI": uri])
        #expect(result.status == 3, "\(result)")
        #expect(Self.oneErrorLine(result)?.contains("cannot connect to MongoDB") == true, "\(result)")
        #expect(result.seconds < 10, "took \(result.seconds) s")
        #expect(!(result.stdout + result.stderr).contains("Unreachable77"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).isEmpty, "no reports without a server")
    }

    // MARK: Server killed mid-run

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func serverKilledMidAuditExitsThreeInBoundedTime() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try Self.seed(server, db, orders: 600)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        // Every probe query of the audit hangs for 60 s; the server dies 3 s into the run, mid-probe.
        let result = try server.withFailPoint(mode: "alwaysOn", ["failCommands": ["aggregate", "find", "listIndexes"],
                                                                  "blockConnection": true, "blockTimeMS": 60_000]) {
            DispatchQueue.global().asyncAfter(deadline: .now() + 3) { server.kill() }
            return try RollGateProcess.run(["audit", "--checks", Self.checks, "--report-dir", reports.path, "--timeout", "2"],
                                           environment: ["ROLLGATE_URI": server.faultURI, "ROLLGATE_DB": db])
        }
        #expect(result.status == 3, "\(result)")
        #expect(Self.oneErrorLine(result)?.contains("cannot connect to MongoDB") == true, "\(result)")
        #expect(result.seconds < 20, "the run ends within a few --timeout of the server's death: \(result.seconds) s")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func serverKilledMidRollbackExitsThreeNamingTheBackupThatRestores() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try Self.seed(server, db, orders: 400)
        let collections = ["orders", "billing_records"]
        let original = try Self.snapshot(server.pool(), db, collections)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        // Step 23's second operation (billing_records) hangs, after the first (orders) committed its batch: updates 1-3
        // are the manifest, the lock's renewal and the manifest again, 4 the orders, 5-6 lock and manifest, 7 hangs.
        let result = try server.withFailPoint(mode: ["skip": 6, "times": 1],
                                                ["failCommands": ["update"], "blockConnection": true, "blockTimeMS": 60_000]) {
            let watcher = Thread {
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline, (try? Self.savedBackup(server, db)) == nil { Thread.sleep(forTimeInterval: 0.05) }
                Thread.sleep(forTimeInterval: 1)
                server.kill()
            }
            watcher.start()
            return try RollGateProcess.run(["rollback", "23", "--operator", "asha", "--approval", Self.approvalFor23().path,
                                            "--transaction-limit", "0", "--timeout", "2", "--lock-ttl", "5", "--checks", Self.checks,
                                            "--report-dir", reports.path],
                                           environment: ["ROLLGATE_URI": server.faultURI, "ROLLGATE_DB": db])
        }
        #expect(result.status == 3, "\(result)")
        let line = try #require(Self.oneErrorLine(result), "\(result)")
        #expect(line.contains("cannot connect to MongoDB") && line.contains("rollgate reapply 23 --backup rollback_backup_23_"), "\(line)")
        #expect(result.seconds < 30, "took \(result.seconds) s")

        // Restart on the same storage: once the dead run's lock expires, the named backup restores every document.
        try server.start()
        let backup = try #require(line.components(separatedBy: "--backup ").last)
        let reapply = try Self.reapplyOnceTheLockIsFree(backup, server: server, db: db)
        #expect(reapply.status == 0 && reapply.stdout.contains("0 conflicts"), "\(reapply)")
        #expect(try Self.snapshot(server.pool(), db, collections) == original)
    }

    /// Waits until the collections read the same three times in a row, half a second apart (at most 30 s).
    static func waitUntilSettled(_ server: PrivateServer, _ db: String, _ collections: [String]) throws {
        var last = try snapshot(server.pool(), db, collections), same = 0
        let deadline = Date().addingTimeInterval(30)
        while same < 2, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            let now = try snapshot(server.pool(), db, collections)
            same = now == last ? same + 1 : 0
            last = now
        }
    }

    /// `reapply 23 --backup NAME`, retried while the lock of a killed run still lives (exit 4 naming its holder).
    static func reapplyOnceTheLockIsFree(_ backup: String, server: PrivateServer, db: String) throws -> RollGateProcess.Result {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let reapply = try RollGateProcess.run(["reapply", "23", "--operator", "asha", "--backup", backup],
                                                  environment: ["ROLLGATE_URI": server.uri, "ROLLGATE_DB": db])
            guard reapply.status == 4, reapply.stderr.contains("holds the lock: asha"), Date() < deadline else { return reapply }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// The name of a step-23 backup whose manifest counts a saved batch.
    static func savedBackup(_ server: PrivateServer, _ db: String) throws -> String? {
        try server.pool(timeout: .seconds(1)).withClient { client in
            try client.database(db).collectionNames().filter { $0.hasPrefix("rollback_backup_23_") }.first { name in
                try client.database(db).collection(name).find(["_id": "manifest", "saved_batches": ["$gte": 1]]).next() != nil
            }
        }
    }

    /// The backup a failed step's error line names (`… (its backup chain includes NAME)`).
    static func namedBackup(_ line: String) -> String? {
        line.components(separatedBy: "chain includes ").last?.components(separatedBy: ")").first
    }

    // MARK: Slow server

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func slowProbesBecomeTimeoutFindingsWithinProbeTimeout() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try Self.seed(server, db, orders: 300)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        // SecantusDB ignores maxTimeMS, so only the client's reply timeout (--probe-timeout + --timeout) can end these.
        let result = try server.withFailPoint(mode: "alwaysOn", ["failCommands": ["aggregate"], "blockConnection": true,
                                                                  "blockTimeMS": 60_000]) {
            try RollGateProcess.run(["audit", "--steps", "19", "--probe-timeout", "1", "--timeout", "1", "--checks", Self.checks,
                                     "--report-dir", reports.path],
                                    environment: ["ROLLGATE_URI": server.faultURI, "ROLLGATE_DB": db])
        }
        #expect(result.status == 1, "a probe that timed out is an error finding; the gate fails: \(result)")
        #expect(result.stdout.contains("timed out: no reply within 2 s (--probe-timeout + --timeout)"), "\(result)")
        #expect(result.seconds < 15, "two 2-s attempts (MongoDB's retryable reads) and a ping, not 60 s: \(result.seconds) s")
        let json = try String(contentsOf: reports.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(json.contains("RG-PROBE-001") && json.contains("timed out"))
    }

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func aProbeOutlivingItsMaxTimeMSBecomesATimeoutFinding() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try Self.seed(server, db, orders: 300)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        // mongod's maxTimeAlwaysTimeOut: every operation with a time limit expires at once (the test's own have none).
        let result = try server.withFailPoint("maxTimeAlwaysTimeOut", mode: "alwaysOn") {
            try RollGateProcess.run(["audit", "--steps", "19", "--checks", Self.checks, "--report-dir", reports.path],
                                    environment: ["ROLLGATE_URI": server.uri, "ROLLGATE_DB": db])
        }
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("probe could not run: timed out: the server's time limit (maxTimeMS) ran out"), "\(result)")
        #expect(result.stderr.isEmpty, "the audit went on: \(result)")
    }

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func slowRollbackUpdateHonoursOperationTimeoutAndStaysRestorable() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try Self.seed(server, db, orders: 400)
        let collections = ["orders", "billing_records"]
        let original = try Self.snapshot(server.pool(), db, collections)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let blocked = Date()
        // The second operation's update (billing_records) hangs past --operation-timeout: update 1 is the manifest's
        // first write, then each batch renews the lock, saves the manifest and changes its documents (2-4 for orders,
        // 5-7 for billing_records). `--no-transactions`: the test server does not block a command in a transaction.
        let result = try server.withFailPoint(mode: ["skip": 6, "times": 1],
                                                ["failCommands": ["update"], "blockConnection": true, "blockTimeMS": 12_000]) {
            try RollGateProcess.run(["rollback", "23", "--operator", "asha", "--approval", Self.approvalFor23().path,
                                     "--no-transactions", "--operation-timeout", "2", "--checks", Self.checks,
                                     "--report-dir", reports.path],
                                    environment: ["ROLLGATE_URI": server.faultURI, "ROLLGATE_DB": db])
        }
        #expect(result.status == 1, "\(result)")
        let line = try #require(Self.oneErrorLine(result), "\(result)")
        #expect(line.contains("step 23 failed: timed out: no reply within 2 s (--operation-timeout)"), "\(line)")
        #expect(line.contains("restore with rollgate reapply 23 (its backup chain includes rollback_backup_23_"), "\(line)")
        #expect(result.seconds < 10, "the client gave up before the server's 12-s block ended: \(result.seconds) s")

        // The server still runs the update it was sent once its block ends; restore once it has settled (on a loaded
        // machine the update may still be running a while after the block).
        Thread.sleep(forTimeInterval: max(0, 13 - Date().timeIntervalSince(blocked)))
        try Self.waitUntilSettled(server, db, collections)
        let reapply = try RollGateProcess.run(["reapply", "23", "--operator", "asha"],
                                              environment: ["ROLLGATE_URI": server.uri, "ROLLGATE_DB": db])
        #expect(reapply.status == 0 && reapply.stdout.contains(" 0 conflicts"), "\(reapply)")
        #expect(try Self.snapshot(server.pool(), db, collections) == original)
    }

    // MARK: Failing writes

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func updateFailingMidRollbackIsRecordedAndRestoredExactly() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try Self.seed(server, db, orders: 400)
        let collections = ["orders", "billing_records"]
        let original = try Self.snapshot(server.pool(), db, collections)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let environment = ["ROLLGATE_URI": server.faultURI, "ROLLGATE_DB": db]
        let arguments = ["rollback", "23", "--operator", "asha", "--approval", try Self.approvalFor23().path,
                         "--checks", Self.checks, "--report-dir", reports.path]

        // In a transaction (the default on a replica set), the failing update aborts the whole step: nothing changes.
        // Update 1 writes the backup's manifest; 2 (the lock's renewal) and 3 (the manifest) are in the transaction.
        let inTransaction = try server.withFailPoint(mode: ["skip": 2, "times": 1], ["failCommands": ["update"], "errorCode": 2]) {
            try RollGateProcess.run(arguments, environment: environment)
        }
        #expect(inTransaction.status == 1, "\(inTransaction)")
        #expect(Self.oneErrorLine(inTransaction)?.contains("server error 2") == true, "\(inTransaction)")
        #expect(try Self.snapshot(server.pool(), db, collections) == original, "an aborted transaction changed nothing")

        // Without one, the first operation runs and the second fails: each batch renews the lock, saves the manifest and
        // then changes its documents (updates 2-4 for orders, 5-7 for billing_records).
        let midway = try server.withFailPoint(mode: ["skip": 6, "times": 1], ["failCommands": ["update"], "errorCode": 2]) {
            try RollGateProcess.run(arguments + ["--transaction-limit", "0"], environment: environment)
        }
        #expect(midway.status == 1, "\(midway)")
        let line = try #require(Self.oneErrorLine(midway), "\(midway)")
        #expect(line.hasPrefix("rollgate: error: step 23 failed: server error 2: Failing command via 'failCommand' failpoint; "
            + "restore with rollgate reapply 23 (its backup chain includes rollback_backup_23_"), "\(line)")
        let backup = try #require(Self.namedBackup(line))

        let pool = try server.pool()
        let (billed, linked, entry, lock) = try pool.withClient { client in
            let database = client.database(db)
            return (try database.collection("orders").count(["billed": ["$exists": true]]),
                    try database.collection("billing_records").count(["order_id": ["$exists": true]]),
                    try database.collection("admin").find(["type": "rollback", "mode": "execute", "backup.collection": .string(backup)]).next(),
                    try database.collection("admin").find(["_id": "rollback-lock"]).next())
        }
        #expect(billed == 0, "the first operation ran")
        #expect(linked == original["billing_records"]!.filter { $0["order_id"] != nil }.count, "the second did not")
        #expect(entry?["status"] == "failed", "the history records the step as failed: \(String(describing: entry))")
        #expect(entry?["message"]?.stringValue?.contains("rollgate reapply 23 (its backup chain includes \(backup))") == true)
        #expect(lock == nil, "the lock is released")

        let reapply = try RollGateProcess.run(["reapply", "23", "--operator", "asha", "--backup", backup], environment: environment)
        #expect(reapply.status == 0 && reapply.stdout.contains("0 conflicts"), "\(reapply)")
        #expect(try Self.snapshot(pool, db, collections) == original, "every document restored exactly")
    }

    // MARK: Credentials

    @Test(.enabled(if: TestServer.authIsAvailable, "ROLLGATE_TEST_AUTH_URI is not set"),
          arguments: [["audit", "--checks", checks], ["rollback", "19", "--operator", "asha", "--checks", checks]])
    func wrongPasswordExitsThreeWithoutAnyPassword(arguments: [String]) throws {
        let good = TestServer.authURI!
        let password = try #require(Redactor.password(inURI: good))
        let wrong = "Wr0ng:Pa@ss-Guess"
        let bad = good.replacingOccurrences(of: password,
                                            with: wrong.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        for (options, environment) in [(["--uri", bad], [String: String]()), ([], ["ROLLGATE_URI": bad])] {
            let result = try RollGateProcess.run(arguments + options + ["--timeout", "3", "--report-dir", reports.path,
                                                                        "--db", TestServer.freshDatabase("fault_auth")],
                                                 environment: environment)
            #expect(result.status == 3, "\(result)")
            #expect(Self.oneErrorLine(result)?.contains("authentication failed") == true, "\(result)")
            let output = result.stdout + result.stderr
            for secret in Redactor.secrets(inURI: bad) + Redactor.secrets(inURI: good) + [wrong, "Wr0ng", "Guess"] {
                #expect(!output.contains(secret), "\(secret) leaked: \(result)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).isEmpty, "no reports")
        }
    }
}
