import Audit
import Catalog
import Findings
import Foundation
import Logging
import Mongo

/// What a rollback run is asked to do.
public struct RollbackRequest: Sendable {
    public var steps: [Int]
    public var operator_: String
    public var reason: String?
    public var approvals: [Approval]
    /// Allows steps the guide advises against (29, 30), with an approval.
    public var force: Bool
    /// Records the manual checklist of code-only steps as done rather than pending.
    public var confirmManual: Bool
    public var lockTTL: Duration
    /// Steps changing at most this many documents run in one transaction where the server has transactions;
    /// larger ones run one update per operation, whose filter makes a rerun safe.
    public var transactionLimit: Int
    /// `execute`, or `emergency` for the emergency procedure (which continues past failures).
    public var mode: String

    public init(steps: [Int], operator_: String, reason: String? = nil, approvals: [Approval] = [], force: Bool = false,
                confirmManual: Bool = false, lockTTL: Duration = .seconds(300), transactionLimit: Int = 10_000,
                mode: String = "execute") {
        self.steps = steps
        self.operator_ = operator_
        self.reason = reason
        self.approvals = approvals
        self.force = force
        self.confirmManual = confirmManual
        self.lockTTL = lockTTL
        self.transactionLimit = transactionLimit
        self.mode = mode
    }
}

/// Why a rollback did not start. Nothing was changed.
public enum RollbackRefusal: Error, Equatable, CustomStringConvertible {
    case approval(ApprovalProblem)
    case notRecommended(step: Int, reason: String)
    case lockHeld(RollbackLock.Holder)

    public var description: String {
        switch self {
        case .approval(let problem): "refused: \(problem)"
        case let .notRecommended(step, reason):
            "refused: rolling back step \(step) is not recommended (\(reason)); it needs --force and an approval"
        case .lockHeld(let holder): "refused: another rollback holds the lock: \(holder)"
        }
    }
}

/// The server failed (gone, timed out) after a step had taken its backup, so its outcome could not be recorded: the
/// step may be partly rolled back, and its backup restores it.
public struct RollbackInterrupted: Error, CustomStringConvertible {
    public let cause: MongoError
    public let step: Int
    public let backup: String

    public var description: String {
        "\(cause); step \(step) may be partly rolled back: restore with rollgate reapply \(step) --backup \(backup)"
    }
}

/// What happened to one step.
public struct StepOutcome: Sendable, Equatable {
    public enum Status: String, Sendable {
        case rolledBack = "rolled-back"
        case alreadyRolledBack = "already-rolled-back"
        case failed
        case manualPending = "manual-pending"
        case manualDone = "manual-done"
    }

    public var step: Int
    public var status: Status
    public var operations: [PlannedOperation]
    public var backup: String?
    public var backupDocuments: Int
    public var verification: [String]
    public var message: String
    public var seconds: Double
}

/// Executes rollbacks as the guide promises: approvals checked and the lock taken before anything changes; then for
/// each step, highest first: a backup of every document it will change, the operations (in a transaction where
/// possible, else in rerun-safe batches), verification of the post-conditions, and a history entry. A step with
/// nothing left to change is "already rolled back" and changes nothing.
public struct Executor: Sendable {
    public let catalog: Catalog
    public let pool: MongoPool
    public let database: String

    public init(catalog: Catalog, pool: MongoPool, database: String) {
        self.catalog = catalog
        self.pool = pool
        self.database = database
    }

    /// Throws `RollbackRefusal` before changing anything; otherwise returns every step's outcome (in `emergency`
    /// mode a failed step does not stop the run; in `execute` mode it does).
    public func run(_ request: RollbackRequest, now: Date = Date(),
                    progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> [StepOutcome] {
        let steps = request.steps.sorted(by: >).compactMap { catalog.step($0) }
        var problems: [Int: RollbackRefusal] = [:]
        var approvals: [Int: Approval] = [:]
        for step in steps {
            switch checkApproval(step, request: request, now: now) {
            case .success(let approval?): approvals[step.step] = approval
            case .success(nil): break
            case .failure(let refusal):
                // A normal rollback refuses before anything changes; the emergency procedure skips the step.
                guard request.mode == "emergency" else { throw refusal }
                problems[step.step] = refusal
            }
        }
        let runId = Self.runId(now)
        let lock = RollbackLock(owner: request.operator_, runId: runId, ttl: request.lockTTL)
        do {
            return try await lock.holding(in: pool, database: database) {
                try await runSteps(steps, request: request, runId: runId, approvals: approvals, problems: problems,
                                   progress: progress)
            }
        } catch let held as RollbackLock.Held {
            throw RollbackRefusal.lockHeld(held.holder)
        }
    }

    private func runSteps(_ steps: [StepRule], request: RollbackRequest, runId: String, approvals: [Int: Approval],
                          problems: [Int: RollbackRefusal], progress: @escaping @Sendable (String) -> Void) async throws -> [StepOutcome] {
        let database = database
        var outcomes: [StepOutcome] = []
        for step in steps {
            progress("step \(step.step): \(step.title)")
            let history = History.Run(id: runId, operator_: request.operator_, reason: request.reason, mode: request.mode,
                                      startedAt: Date())
            let approval = approvals[step.step]
            if let refusal = problems[step.step] {
                let skipped = StepOutcome(step: step.step, status: .failed, operations: [], backup: nil, backupDocuments: 0,
                                          verification: [], message: "\(refusal)", seconds: 0)
                try await pool.run { try History.recordExecution(skipped, approval: nil, run: history, in: $0.database(database)) }
                outcomes.append(skipped)
                continue
            }
            let entry = try await pool.run { try History.begin(step: step.step, run: history, in: $0.database(database)) }
            let outcome = await pool.runCapturing { client in
                try StepExecutor(step: step, database: client.database(database), runId: runId, request: request,
                                 progress: progress).execute()
            }
            let recorded = switch outcome {
            case .success(let done): done
            case .failure(let error):
                StepOutcome(step: step.step, status: .failed, operations: [], backup: nil, backupDocuments: 0,
                            verification: [], message: "\(error)", seconds: 0)
            }
            do {
                try await pool.run { client in
                    try History.recordExecution(recorded, approval: approval, run: history, entry: entry, in: client.database(database))
                }
            } catch let error as MongoError {
                guard let backup = recorded.backup else { throw error }
                throw RollbackInterrupted(cause: error, step: step.step, backup: backup)
            }
            outcomes.append(recorded)
            if recorded.status == .failed, request.mode != "emergency" { break }
        }
        return outcomes
    }

    /// The approval a step needs (nil when it needs none), or why the rollback of it is refused.
    private func checkApproval(_ step: StepRule, request: RollbackRequest, now: Date) -> Result<Approval?, RollbackRefusal> {
        if !step.rollback.recommended, !request.force {
            return .failure(.notRecommended(step: step.step, reason: step.rollback.reason ?? "the guide advises against it"))
        }
        guard let role = step.approval ?? (step.rollback.recommended ? nil : .ops) else { return .success(nil) }
        return ApprovalProblem.check(step: step.step, needs: role, in: request.approvals, now: now)
            .map { Optional($0) }.mapError { RollbackRefusal.approval($0) }
    }

    /// `20261129T204512Z-1a2b`: sortable by time, unique enough to name collections.
    static func runId(_ now: Date) -> String {
        let stamp = now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false)
            .dateSeparator(.omitted).timeSeparator(.omitted))
        return "\(stamp.replacingOccurrences(of: ":", with: ""))-\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
    }
}

/// One step of a rollback, on one checked-out client.
struct StepExecutor {
    static let logger = Logger(label: "rollgate.rollback")
    let step: StepRule
    let database: MongoDatabase
    let runId: String
    let request: RollbackRequest
    let progress: (String) -> Void

    func execute() throws -> StepOutcome {
        let start = ContinuousClock.now
        if step.rollback.operations.isEmpty {
            let done = request.confirmManual && !step.rollback.manual.isEmpty
            return StepOutcome(step: step.step, status: done ? .manualDone : .manualPending, operations: [], backup: nil,
                               backupDocuments: 0, verification: [],
                               message: step.rollback.manual.isEmpty ? "nothing to roll back in the database"
                                   : "manual checklist \(done ? "confirmed by the operator" : "pending"): "
                                   + step.rollback.manual.joined(separator: "; "),
                               seconds: start.secondsElapsed)
        }
        let before = try counts()
        guard before.contains(where: { $0.documents > 0 }) else {
            return StepOutcome(step: step.step, status: .alreadyRolledBack, operations: before, backup: nil,
                               backupDocuments: 0, verification: try verify(), message: "already rolled back: nothing to change",
                               seconds: start.secondsElapsed)
        }
        let counted = start.secondsElapsed
        let (store, backedUp) = try backup(before)
        progress("  backup \(store.name): \(backedUp) entries")
        let backedUpAt = start.secondsElapsed
        let restore = "restore with rollgate reapply \(step.step) --backup \(store.name)"
        let applied: [PlannedOperation], verification: [String], appliedAt: Double
        do {
            applied = try apply(before)
            appliedAt = start.secondsElapsed
            verification = try verify()
        } catch {
            // Some operations may have run: the backup is what makes the step restorable, so the outcome names it.
            return StepOutcome(step: step.step, status: .failed, operations: [], backup: store.name,
                               backupDocuments: backedUp, verification: [], message: "\(error); \(restore)",
                               seconds: start.secondsElapsed)
        }
        Self.logger.debug("step \(step.step) phases", metadata: [
            "count s": "\(counted)", "backup s": "\(backedUpAt - counted)", "apply s": "\(appliedAt - backedUpAt)",
            "verify s": "\(start.secondsElapsed - appliedAt)"])
        let failed = verification.filter { $0.hasPrefix("FAILED") }
        return StepOutcome(step: step.step, status: failed.isEmpty ? .rolledBack : .failed, operations: applied,
                           backup: store.name, backupDocuments: backedUp, verification: verification,
                           message: failed.isEmpty ? "rolled back and verified" : "post-conditions not met; \(restore)",
                           seconds: start.secondsElapsed)
    }

    /// What each operation would change now.
    private func counts() throws -> [PlannedOperation] {
        try step.rollback.operations.map { try PlannedOperation.counting($0, in: database) }
    }

    /// The full pre-image of every document the step changes, index specifications for index steps, and the
    /// guide's named backups; the manifest last, marked complete.
    private func backup(_ planned: [PlannedOperation]) throws -> (BackupStore, Int) {
        let store = BackupStore(database: database, step: step.step, runId: runId)
        var checksum = Checksum()
        var counts: BSONDocument = [:]
        try store.writeManifest(manifest(complete: false, counts: [:], checksum: checksum))
        var filtersByCollection: [String: [BSONDocument]] = [:]
        var indexCollections: Set<String> = []
        for operation in step.rollback.operations {
            switch operation {
            case .unset(let c, let f, _), .update(let c, let f, _): filtersByCollection[c, default: []].append(f)
            case .dropIndex(let c, _): indexCollections.insert(c)
            }
        }
        for (collection, filters) in filtersByCollection.sorted(by: { $0.key < $1.key }) {
            let filter: BSONDocument = filters.count == 1 ? filters[0] : ["$or": .array(filters.map(BSON.document))]
            let copied = try store.copyDocuments(of: collection, matching: filter, checksum: &checksum) { n in
                progress("  backing up \(collection): \(n)")
            }
            counts[collection] = .int64(Int64(copied))
        }
        for collection in indexCollections.sorted() {
            counts["\(collection) indexes"] = .int64(Int64(try store.copyIndexes(of: collection, checksum: &checksum)))
        }
        for named in step.rollback.backups where named.name != nil {
            var pipeline: [BSON] = [["$match": .document(named.filter)]]
            if let projection = named.projection { pipeline.append(["$project": .document(projection)]) }
            pipeline.append(["$out": .string(named.name!)])
            _ = try database.collection(named.collection).aggregate(pipeline).toArray()
        }
        try store.writeManifest(manifest(complete: true, counts: counts, checksum: checksum))
        return (store, checksum.count)
    }

    private func manifest(complete: Bool, counts: BSONDocument, checksum: Checksum) -> BSONDocument {
        ["type": "rollback-backup", "step": .int32(Int32(step.step)), "run_id": .string(runId),
         "created_at": .date(Date()), "operator": .string(request.operator_), "complete": .bool(complete),
         "counts": .document(counts), "checksum": .string(checksum.text),
         "operations": .array(step.rollback.operations.map { operation in
             switch operation {
             case let .unset(c, f, fields): ["type": "unset", "collection": .string(c), "filter": .document(f),
                                             "fields": .array(fields.map(BSON.string))]
             case let .update(c, f, u): ["type": "update", "collection": .string(c), "filter": .document(f), "update": .document(u)]
             case let .dropIndex(c, name): ["type": "drop_index", "collection": .string(c), "name": .string(name)]
             }
         }),
         "named_backups": .array(step.rollback.backups.compactMap { $0.name.map(BSON.string) })]
    }

    /// Runs the operations: in one transaction when the server has them and the step is small enough, else one
    /// update per operation whose filter keeps every rerun safe.
    private func apply(_ planned: [PlannedOperation]) throws -> [PlannedOperation] {
        let changing = planned.filter { $0.type != "drop_index" }.reduce(0) { $0 + $1.documents }
        let transactional = changing <= request.transactionLimit && (try? database.client.hello()["setName"] != nil) == true
        var done: [PlannedOperation] = []
        if transactional {
            let session = try database.client.startSession()
            done = try session.withTransaction { session in
                try zip(step.rollback.operations, planned).map { operation, plan in
                    var result = plan
                    result.documents = try applyWhole(operation, session: session)
                    return result
                }
            }
        } else {
            // One server-side update per operation, whose own filter makes a rerun safe: after a crash, the next run
            // finds only the documents not yet changed. (Batching by `_id` was twenty times slower on the test server,
            // which scans for `_id: {$in: …}`.)
            for (operation, plan) in zip(step.rollback.operations, planned) {
                var result = plan
                result.documents = try applyWhole(operation, session: nil)
                progress("  \(plan.collection): \(result.documents) documents changed")
                done.append(result)
            }
        }
        return done
    }

    private func applyWhole(_ operation: OperationRule, session: MongoSession?) throws -> Int {
        switch operation {
        case let .unset(collection, filter, fields):
            return try database.collection(collection).updateMany(filter, .document(unsetDocument(fields)), session: session).modified
        case let .update(collection, filter, update):
            return try database.collection(collection).updateMany(filter, .document(update), session: session).modified
        case let .dropIndex(collection, name):
            return try dropIndex(collection, name)
        }
    }

    private func dropIndex(_ collection: String, _ name: String) throws -> Int {
        let exists = try database.collection(collection).listIndexes().contains { $0["name"]?.stringValue == name }
        guard exists else { return 0 }
        try database.collection(collection).dropIndex(name)
        return 1
    }

    private func unsetDocument(_ fields: [String]) -> BSONDocument {
        ["$unset": .document(BSONDocument(fields.map { ($0, BSON.string("")) }))]
    }

    /// The step's post-conditions: `OK`/`FAILED collection filter: expected n, found m`.
    private func verify() throws -> [String] {
        try step.rollback.verify.map { rule in
            let found = try database.collection(rule.collection).count(rule.filter)
            return "\(found == rule.expect ? "OK" : "FAILED") \(rule.collection) \(describe(rule.filter)): "
                + "expected \(rule.expect), found \(found)"
        }
    }
}

extension MongoPool {
    /// `run`, with the error kept as a value.
    func runCapturing<T: Sendable>(_ body: @escaping @Sendable (MongoClient) throws -> T) async -> Result<T, any Error> {
        do { return .success(try await run(body)) } catch { return .failure(error) }
    }
}
