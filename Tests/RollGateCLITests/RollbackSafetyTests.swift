import Catalog
import Foundation
import Mongo
@testable import Rollback
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
        let history = try RollGateProcess.run(["history", "--step", "\(step)"], environment: environment)
        #expect(history.stdout.contains("reapply  reapplied") && history.stdout.contains("backups rollback_backup_\(step)_"),
                "the history names the backups the re-apply used: \(history)")
        #expect(history.stdout.contains("execute  failed") && history.stdout.contains("execute  rolled-back"), "every run: \(history)")
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
        // `--no-transactions`: paused inside a batch transaction, the run would hold the lock document in it, and the
        // test server never aborts such a transaction (MongoDB does after 60 s); that case has its own test below.
        let arguments = ["rollback", "19", "--operator", "asha", "--lock-ttl", "5", "--no-transactions",
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
        defer { RollGateProcess.killHard(paused) }
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

    /// A lock document that another run's open transaction holds (a run stopped mid-batch) cannot hang a run: the
    /// lock's write gets no answer (the test server retries it for as long as the transaction lives; MongoDB until
    /// it aborts the transaction after 60 s), and the run is refused within twice the lock's 15-s reply limit (the
    /// driver retries the write once), exit 4, nothing changed.
    @Test(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
    func aLockDocumentHeldByAnOpenTransactionIsRefusedInBoundedTime() throws {
        let server = try PrivateServer()
        let db = "earlybird"
        try FaultTests.seed(server, db, orders: 300)
        let pool = try server.pool()
        let original = try FaultTests.snapshot(pool, db, ["orders"])
        struct LeaveItOpen: Error {}
        nonisolated(unsafe) var result: RollGateProcess.Result?
        #expect(throws: LeaveItOpen.self) {
            try pool.withClient { client in
                let session = try client.startSession()
                _ = try session.withTransaction { session in
                    try client.database(db).collection("admin").insertMany(
                        [["_id": "rollback-lock", "run_id": "stopped-run", "owner": "someone",
                          "expires_at": .date(Date().addingTimeInterval(-60))]], session: session)
                    result = try RollGateProcess.run(
                        ["rollback", "19", "--operator", "asha", "--checks", Self.checks, "--report-dir",
                         FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-lock-\(UUID())").path],
                        environment: ["ROLLGATE_URI": server.uri, "ROLLGATE_DB": db])
                    throw LeaveItOpen()  // aborts the transaction
                }
            }
        }
        let run = try #require(result)
        #expect(run.status == 4, "\(run)")
        #expect(run.stderr.contains("did not answer the rollback lock's write within") && run.stderr.contains("try again"),
                "\(run)")
        #expect(run.seconds < 45, "bounded by the lock's reply limit: \(run.seconds) s")
        #expect(try FaultTests.snapshot(pool, db, ["orders"]) == original, "nothing changed")
    }

    static func savedBatches(_ pool: MongoPool, _ db: String, step: Int) throws -> Int64 {
        try pool.withClient { client in
            try client.database(db).collectionNames().filter { $0.hasPrefix("rollback_backup_\(step)_") }.compactMap { name in
                try client.database(db).collection(name).find(["_id": "manifest"]).next()?["saved_batches"]?.int64Value
            }.max() ?? 0
        }
    }
}

/// An application that keeps writing throughout a rollback and its re-apply, step by step.
@Suite(.serialized, .enabled(if: TestServer.isAvailable, TestServer.skipReason)) struct LiveWriterTests {
    static let catalog = try! Catalog.load(directory: URL(fileURLWithPath: AuditCommandTests.checks))

    /// A writer of its own connection: inserts, again and again, copies (new `_id` and `id`) of a document each of the
    /// step's operations changes, and updates a few of the original ones (a field of its own), until stopped.
    final class Writer: @unchecked Sendable {
        struct Target { let collection: String; let template: BSONDocument; let victims: [BSON] }
        private let lock = NSLock()
        private var stopped = false
        private(set) var inserted: [String: [BSONDocument]] = [:]
        private(set) var touched: Set<BSON> = []
        private var thread: Thread?
        private let pool: MongoPool
        private let db: String
        private let targets: [Target]

        init(pool: MongoPool, db: String, targets: [Target]) {
            self.pool = pool
            self.db = db
            self.targets = targets
            let thread = Thread { [self] in write() }
            self.thread = thread
            thread.start()
        }

        private func write() {
            var n = 0
            while !lock.withLock({ stopped }) {
                n += 1
                for target in targets {
                    var copy = target.template
                    let seconds = UInt32(Date().timeIntervalSince1970)
                    copy["_id"] = .objectId(ObjectId(bytes: withUnsafeBytes(of: seconds.bigEndian, Array.init)
                        + (0..<8).map { _ in UInt8.random(in: 0...255) })!)
                    copy["id"] = .string(UUID().uuidString.lowercased())
                    if (try? pool.withClient({ try $0.database(db).collection(target.collection).insertMany([copy]) })) != nil {
                        lock.withLock { inserted[target.collection, default: []].append(copy) }
                    }
                    if n % 5 == 0, let victim = target.victims.randomElement(),
                       (try? pool.withClient({ try $0.database(db).collection(target.collection)
                           .updateMany(["_id": victim], ["$inc": ["writer_updates": 1]]) })) != nil {
                        lock.withLock { _ = touched.insert(victim) }
                    }
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }

        /// Stops and waits until the writer's last write is done.
        func stop() {
            lock.withLock { stopped = true }
            while thread?.isExecuting == true || thread?.isFinished == false { Thread.sleep(forTimeInterval: 0.01) }
        }
    }

    /// `--no-transactions`: on the test server, a plain write that conflicts with an open transaction retries inside
    /// the server and holds it, so the transaction can never finish (MongoDB serves both). Without transactions the
    /// fence is the lock's renewal before each batch.
    @Test(.timeLimit(.minutes(3)), arguments: [19, 20, 21, 22, 23, 25, 26])
    func everyDocumentIsRestoredOrReportedWhileTheApplicationWrites(step: Int) throws {
        try RollbackCommandTests.withDatabase(orders: 1_500) { db, environment, reports in
            let pool = try TestServer.pool()
            let rule = try #require(Self.catalog.step(step))
            let collections = Array(Set(rule.rollback.operations.map(\.collection))).sorted()
            let original = try FaultTests.snapshot(pool, db, collections)
            let targets = try pool.withClient { client in
                try rule.rollback.operations.compactMap { operation -> Writer.Target? in
                    guard let filter = operation.filter else { return nil }
                    let matching = try client.database(db).collection(operation.collection).find(filter, options: FindOptions(limit: 6)).toArray()
                    guard let template = matching.first else { return nil }
                    return Writer.Target(collection: operation.collection, template: template, victims: matching.dropFirst().compactMap { $0["_id"] })
                }
            }
            try #require(!targets.isEmpty)
            let writer = Writer(pool: try TestServer.pool(), db: db, targets: targets)
            let rollback = try RollGateProcess.run(["rollback", "\(step)", "--operator", "asha", "--approval", try RollbackSafetyTests.approvals().path,
                                                    "--no-transactions", "--checks", AuditCommandTests.checks, "--report-dir", reports],
                                                   environment: environment)
            let reapply = try RollGateProcess.run(["reapply", "\(step)", "--operator", "asha", "--no-transactions", "--report-dir", reports],
                                                  environment: environment)
            writer.stop()
            #expect(rollback.status == 0 || (rollback.status == 1 && rollback.stderr.contains("written during the rollback")), "\(rollback)")
            #expect(!rollback.stderr.contains("post-conditions not met"), "no leftover: \(rollback)")
            #expect([0, 1].contains(reapply.status), "\(reapply)")
            let conflicts = try RollbackCommandTests.conflictList(reapply)

            let now = try FaultTests.snapshot(pool, db, collections)
            for collection in collections {
                let current = Dictionary(uniqueKeysWithValues: (now[collection] ?? []).map { ($0["_id"]!, $0) })
                // Every original document is as it was (but for the writer's own field), or a reported conflict.
                for document in original[collection] ?? [] {
                    let id = document["_id"]!
                    var back = current[id] ?? [:]
                    back["writer_updates"] = nil
                    let reported = conflicts.contains("\(collection) \(Reapplier.describeValue(id))")
                    #expect(sameFields(back, document) || (reported && writer.touched.contains(id)),
                            "step \(step): \(collection) \(id) neither restored nor reported")
                }
                // Every document the application inserted during the run is whole: in no backup, it was not touched.
                for document in writer.inserted[collection] ?? [] {
                    var back = current[document["_id"]!] ?? [:]
                    back["writer_updates"] = nil
                    #expect(sameFields(back, document), "step \(step): inserted \(collection) \(document["_id"]!) lost data")
                }
            }
            #expect(!(writer.inserted.values.joined().isEmpty), "the writer wrote during the run")
        }
    }
}

/// Kill -9 anywhere in a rollback of the data steps or in their re-apply, then finish: every document and index equals
/// the original. `ROLLGATE_KILL_POINTS` kill points (3 by default; `scripts/kill-matrix.sh` runs 30), spread over the
/// durations of a clean run; two in three in the rollback, one in three in a re-apply.
///
/// `--no-transactions`: a run killed inside a transaction leaves it open on the test server, and the next run's plain
/// write of the lock then retries inside the server and holds it for good (its 60-s reaper never runs; MongoDB aborts
/// the transaction after 60 s and serves the write). Without transactions a kill lands between any two writes, which
/// is what this matrix is for; a transaction, killed, changes nothing.
@Suite(.serialized, .enabled(if: TestServer.isAvailable, TestServer.skipReason)) struct KillMatrixTests {
    static let points = Int(ProcessInfo.processInfo.environment["ROLLGATE_KILL_POINTS"] ?? "") ?? 3
    static let steps = [19, 20, 21, 22, 23, 25, 26]

    /// Every collection but RollGate's own, document for document, and its indexes.
    static func snapshot(_ db: String) throws -> [String: [BSONDocument]] {
        let own: Set<String> = ["admin", "user_customer_mapping_backup", "orders_backup", "delivery_audit_backup"]
        return try TestServer.pool().withClient { client in
            let database = client.database(db)
            var all: [String: [BSONDocument]] = [:]
            for name in try database.collectionNames() where !own.contains(name) && !name.hasPrefix("rollback_backup_") {
                all[name] = try database.collection(name).find([:], options: FindOptions(sort: ["_id": 1])).toArray()
                all[name + " indexes"] = try database.collection(name).listIndexes().sorted { "\($0["name"]!)" < "\($1["name"]!)" }
            }
            return all
        }
    }

    /// Runs a command to its end, waiting out the lock of a killed run (exit 4, "holds the lock").
    static func runOnceTheLockIsFree(_ arguments: [String], _ environment: [String: String]) throws -> RollGateProcess.Result {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let result = try RollGateProcess.run(arguments, environment: environment)
            guard result.status == 4, result.stderr.contains("holds the lock"), Date() < deadline else { return result }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// Starts a command and kills it with SIGKILL after `seconds` (or lets it end first).
    static func kill(_ arguments: [String], _ environment: [String: String], after seconds: Double) throws {
        let process = Process()
        process.executableURL = RollGateProcess.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: seconds)
        RollGateProcess.killHard(process)
    }

    @Test func aRunKilledAnywhereAndFinishedRestoresEveryDocumentAndIndex() throws {
        try RollbackCommandTests.withDatabase(orders: 600) { db, environment, reports in
            let original = try Self.snapshot(db)
            let rollback = ["rollback", Self.steps.map(String.init).joined(separator: ","), "--operator", "asha",
                            "--approval", try RollbackSafetyTests.approvals().path, "--no-transactions",
                            "--lock-ttl", "5", "--checks", AuditCommandTests.checks, "--report-dir", reports]
            func reapply(_ step: Int) -> [String] { ["reapply", "\(step)", "--operator", "asha", "--lock-ttl", "5", "--no-transactions"] }
            func reapplyAll() throws {
                for step in Self.steps {
                    let result = try Self.runOnceTheLockIsFree(reapply(step), environment)
                    #expect(result.status == 0 && (result.stdout.contains(" 0 conflicts") || result.stdout.contains("nothing to re-apply")),
                            "\(result)")
                }
            }
            // A clean run gives the durations the kill points are spread over.
            let clean = try RollGateProcess.run(rollback, environment: environment)
            try #require(clean.status == 0, "\(clean)")
            var reapplySeconds: [Double] = []
            for step in Self.steps {
                let result = try RollGateProcess.run(reapply(step), environment: environment)
                try #require(result.status == 0, "\(result)")
                reapplySeconds.append(result.seconds)
            }
            try #require(try Self.snapshot(db) == original, "the clean round trip restores everything")

            for point in 0..<Self.points {
                let fraction = (Double(point / 3) + 0.5) / Double(max(1, (Self.points + 2) / 3))
                if point % 3 < 2 {
                    // Killed in the rollback (the second of each three later in the run), finished, re-applied.
                    let at = clean.seconds * (point % 3 == 0 ? fraction * 0.5 : 0.5 + fraction * 0.5)
                    try Self.kill(rollback, environment, after: at)
                    let rerun = try Self.runOnceTheLockIsFree(rollback, environment)
                    #expect(rerun.status == 0, "kill point \(point) at \(at) s: \(rerun)")
                    try reapplyAll()
                } else {
                    // Killed in the re-apply of one step, then every re-apply run to its end.
                    let rerun = try Self.runOnceTheLockIsFree(rollback, environment)
                    #expect(rerun.status == 0, "\(rerun)")
                    let index = (point / 3) % Self.steps.count
                    for step in Self.steps[..<index] { _ = try Self.runOnceTheLockIsFree(reapply(step), environment) }
                    try Self.kill(reapply(Self.steps[index]), environment, after: reapplySeconds[index] * fraction)
                    try reapplyAll()
                }
                let now = try Self.snapshot(db)
                #expect(now.keys.sorted() == original.keys.sorted(), "kill point \(point)")
                for (name, documents) in original {
                    #expect(now[name] == documents, "kill point \(point): \(name) equals the original, document for document")
                }
            }
        }
    }
}
