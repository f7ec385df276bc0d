import Foundation
import Mongo
import TestSupport
import Testing

/// The rollback's promise under real conditions: a step that fails part-way and is run again, a run that loses its
/// lock and resumes, an application that keeps writing. Each ends with data that re-apply restores exactly, or with
/// the documents it cannot restore reported by id.
@Suite(.serialized) struct RollbackSafetyTests {
    static let checks = AuditCommandTests.checks
    static let dataCollections = ["orders", "billing_records", "users", "customers_v2", "delivery_statuses", "subscriptions_v2"]

    static func approvals() throws -> URL {
        try RollbackCommandTests.approvalFile([(21, "ops"), (23, "finance"), (25, "compliance")])
    }

    // MARK: A step that fails part-way, a rerun, a plain re-apply

    /// Steps with two operations, and the update command that fails: with `--transaction-limit 0` each batch renews
    /// the lock, saves the manifest and changes its documents, so update 4 is the first operation's and update 7 the
    /// second's (every collection fits one batch at 400 orders; update 1 is the manifest's first write).
    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason),
          arguments: [(21, 1), (21, 2), (23, 1), (23, 2)])
    func aFailedOperationThenARerunThenAPlainReapplyRestoresExactly(step: Int, operation: Int) throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try FaultTests.seed(server, db, orders: 400)
        let original = try FaultTests.snapshot(server.pool(), db, Self.dataCollections)
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let arguments = ["rollback", "\(step)", "--operator", "asha", "--approval", try Self.approvals().path,
                         "--transaction-limit", "0", "--checks", Self.checks, "--report-dir", reports.path]
        let environment = ["ROLLGATE_URI": server.faultURI, "ROLLGATE_DB": db]
        let failed = try server.withFailPoint(mode: ["skip": operation == 1 ? 3 : 6, "times": 1],
                                              ["failCommands": ["update"], "errorCode": 2]) {
            try RollGateProcess.run(arguments, environment: environment)
        }
        #expect(failed.status == 1 && failed.stderr.contains("step \(step) failed: server error 2"), "\(failed)")
        let changedByTheFailedRun = try FaultTests.snapshot(server.pool(), db, Self.dataCollections) != original
        #expect(changedByTheFailedRun == (operation == 2), "the first operation's batch committed only when the second failed")

        let rerun = try RollGateProcess.run(arguments, environment: environment)
        #expect(rerun.status == 0 && rerun.stdout.contains("rolled-back"), "\(rerun)")
        let reapply = try RollGateProcess.run(["reapply", "\(step)", "--operator", "asha"], environment: environment)
        #expect(reapply.status == 0 && reapply.stdout.contains(" 0 conflicts"), "\(reapply)")
        // When the first run changed something, its backup is in the chain beside the rerun's.
        #expect(reapply.stdout.contains(" + ") == (operation == 2), "\(reapply)")
        #expect(try FaultTests.snapshot(server.pool(), db, Self.dataCollections) == original, "every document restored exactly")

        let again = try RollGateProcess.run(["reapply", "\(step)", "--operator", "asha"], environment: environment)
        #expect(again.status == 0 && again.stdout.contains("nothing to re-apply"), "\(again)")
        #expect(try FaultTests.snapshot(server.pool(), db, Self.dataCollections) == original, "a second re-apply changes nothing")
    }

    // MARK: A run that loses its lock

    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func aPausedRunThatLostItsLockWritesNothingAfterItResumesAndExitsFour() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try FaultTests.seed(server, db, orders: 6_000)
        let pool = try server.pool()
        let original = try FaultTests.snapshot(pool, db, ["orders"])
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let arguments = ["rollback", "19", "--operator", "asha", "--lock-ttl", "5", "--transaction-limit", "0",
                         "--checks", Self.checks, "--report-dir", reports.path]
        let environment = ["ROLLGATE_URI": server.uri, "ROLLGATE_DB": db]

        let paused = Process()
        paused.executableURL = RollGateProcess.executable
        paused.arguments = arguments
        paused.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stderr = Pipe()
        paused.standardOutput = FileHandle.nullDevice
        paused.standardError = stderr
        try paused.run()
        // Pause it once it has saved and changed a batch of its six.
        let deadline = Date().addingTimeInterval(120)
        while paused.isRunning, Date() < deadline, try Self.savedBatches(pool, db, step: 19) < 1 { Thread.sleep(forTimeInterval: 0.02) }
        try #require(paused.isRunning, "the first run was still working when paused")
        kill(paused.processIdentifier, SIGSTOP)
        defer { kill(paused.processIdentifier, SIGKILL) }
        Thread.sleep(forTimeInterval: 6.5)  // past its 5-s lock

        let takeover = try RollGateProcess.run(arguments, environment: environment)
        #expect(takeover.status == 0 && takeover.stdout.contains("rolled-back"), "\(takeover)")
        let afterTakeover = try FaultTests.snapshot(pool, db, ["orders"])

        kill(paused.processIdentifier, SIGCONT)
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        paused.waitUntilExit()
        let line = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(paused.terminationStatus == 4, "\(line)")
        #expect(line.hasPrefix("rollgate: error: the rollback lock of run ") && !line.contains("\n"), "one line: \(line)")
        #expect(line.contains("backup rollback_backup_19_"), "names the backup that restores what it did: \(line)")
        #expect(try FaultTests.snapshot(pool, db, ["orders"]) == afterTakeover, "the paused run wrote nothing after it resumed")

        let history = try RollGateProcess.run(["history", "--step", "19"], environment: environment)
        #expect(history.stdout.contains("lock-lost") && history.stdout.contains("rolled-back"), "\(history)")
        let reapply = try RollGateProcess.run(["reapply", "19", "--operator", "asha"], environment: environment)
        #expect(reapply.status == 0 && reapply.stdout.contains(" + ") && reapply.stdout.contains(" 0 conflicts"), "\(reapply)")
        #expect(try FaultTests.snapshot(pool, db, ["orders"]) == original, "both runs' backups restore every order")
    }

    static func savedBatches(_ pool: MongoPool, _ db: String, step: Int) throws -> Int64 {
        try pool.withClient { client in
            try client.database(db).collectionNames().filter { $0.hasPrefix("rollback_backup_\(step)_") }.compactMap { name in
                try client.database(db).collection(name).find(["_id": "manifest"]).next()?["saved_batches"]?.int64Value
            }.max() ?? 0
        }
    }
}
