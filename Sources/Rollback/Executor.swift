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
    public var mode: RunMode
    /// Where the server has transactions, commit each batch (with its lock renewal) as one; false runs the batches
    /// without, fenced by the renewal before each.
    public var useTransactions: Bool
    /// SHA-256 of the approval file the approvals were read from, for the compliance evidence.
    public var approvalFileSHA256: String?

    public init(steps: [Int], operator_: String, reason: String? = nil, approvals: [Approval] = [], force: Bool = false,
                confirmManual: Bool = false, lockTTL: Duration = .seconds(300), transactionLimit: Int = 10_000,
                mode: RunMode = .execute, useTransactions: Bool = true, approvalFileSHA256: String? = nil) {
        self.steps = steps
        self.operator_ = operator_
        self.reason = reason
        self.approvals = approvals
        self.force = force
        self.confirmManual = confirmManual
        self.lockTTL = lockTTL
        self.transactionLimit = transactionLimit
        self.mode = mode
        self.useTransactions = useTransactions
        self.approvalFileSHA256 = approvalFileSHA256
    }
}

/// Why a rollback did not start. Nothing was changed.
public enum RollbackRefusal: Error, Equatable, CustomStringConvertible {
    case approval(ApprovalProblem)
    case notRecommended(step: Int, reason: String)
    case lockHeld(RollbackLock.Holder)
    case lockUnanswered(String)

    public var description: String {
        switch self {
        case .approval(let problem): "refused: \(problem)"
        case let .notRecommended(step, reason):
            "refused: rolling back step \(step) is not recommended (\(reason)); it needs --force and an approval"
        case .lockHeld(let holder): "refused: another rollback holds the lock: \(holder)"
        case .lockUnanswered(let why): "refused: \(why)"
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
        /// Every backed-up document was rolled back, but documents written during the rollback still match.
        case writtenDuring = "written-during-rollback"
        case manualPending = "manual-pending"
        case manualDone = "manual-done"
    }

    public var step: Int
    public var status: Status
    public var operations: [PlannedOperation]
    public var backup: String?
    public var backupDocuments: Int
    public var verification: [Verification]
    public var message: String
    public var seconds: Double
    /// What the step's backup holds of the fields it removes, counted as it was written (for the evidence).
    public var removed: [Evidence.Removal] = []
    /// The sealed compliance evidence of a step that changed data (`evidence-STEP-RUN.json`).
    public var evidence: SealedEvidence? = nil
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
        let steps = request.steps.sorted(by: >).compactMap { catalog.step($0) }.map { rule in
            var resolved = rule
            resolved.rollback = rule.rollback.resolved(now: now)
            return resolved
        }
        var problems: [Int: RollbackRefusal] = [:]
        var approvals: [Int: Approval] = [:]
        for step in steps {
            switch checkApproval(step, request: request, now: now) {
            case .success(let approval?): approvals[step.step] = approval
            case .success(nil): break
            case .failure(let refusal):
                // A normal rollback refuses before anything changes; the emergency procedure skips the step.
                guard request.mode == .emergency else { throw refusal }
                problems[step.step] = refusal
            }
        }
        let runId = Self.runId(now)
        let lock = RollbackLock(owner: request.operator_, runId: runId, ttl: request.lockTTL)
        do {
            return try await lock.holding(in: pool, database: database) {
                try await runSteps(steps, request: request, lock: lock, approvals: approvals, problems: problems,
                                   progress: progress)
            }
        } catch let held as RollbackLock.Held {
            throw RollbackRefusal.lockHeld(held.holder)
        } catch let unanswered as RollbackLock.Unanswered {
            throw RollbackRefusal.lockUnanswered(unanswered.description)
        }
    }

    private func runSteps(_ steps: [StepRule], request: RollbackRequest, lock: RollbackLock, approvals: [Int: Approval],
                          problems: [Int: RollbackRefusal], progress: @escaping @Sendable (String) -> Void) async throws -> [StepOutcome] {
        let database = database
        var outcomes: [StepOutcome] = []
        for step in steps {
            progress("step \(step.step): \(step.title)")
            let history = History.Run(id: lock.runId, operator_: request.operator_, reason: request.reason, mode: request.mode,
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
                try StepExecutor(step: step, database: client.database(database), runId: lock.runId, request: request,
                                 lock: lock, progress: progress).execute()
            }
            var recorded = switch outcome {
            case .success(let done): done
            case .failure(let lost as LockLostDuringStep):
                // The run no longer holds the lock: it records what happened to its own history entry, and stops.
                try? await pool.run { client in
                    try History.recordLockLost(lost, run: history, entry: entry, in: client.database(database))
                }
                throw lost
            case .failure(let error):
                StepOutcome(step: step.step, status: .failed, operations: [], backup: nil, backupDocuments: 0,
                            verification: [], message: "\(error)", seconds: 0)
            }
            if recorded.backup != nil {
                // The evidence is counted from the backup; if that fails, the step's history is still recorded.
                let rules = catalog.rules
                let built = await pool.runCapturing { [recorded] client in
                    try Evidence.of(recorded, rule: step, request: request, approval: approval, runId: lock.runId,
                                    database: client.database(database), startedAt: history.startedAt, rules: rules)
                        .map(SealedEvidence.init)
                }
                switch built {
                case .success(let evidence): recorded.evidence = evidence
                case .failure(let error): recorded.message += "; the compliance evidence could not be written: \(error)"
                }
            }
            do {
                try await pool.run { [recorded] client in
                    try History.recordExecution(recorded, approval: approval, run: history, entry: entry, in: client.database(database))
                }
            } catch let error as MongoError {
                guard let backup = recorded.backup else { throw error }
                throw RollbackInterrupted(cause: error, step: step.step, backup: backup)
            }
            outcomes.append(recorded)
            if recorded.status == .failed, request.mode != .emergency { break }
        }
        return outcomes
    }

    /// The approval a step needs (nil when it needs none), or why the rollback of it is refused.
    private func checkApproval(_ step: StepRule, request: RollbackRequest, now: Date) -> Result<Approval?, RollbackRefusal> {
        if !step.rollback.recommended, !request.force {
            return .failure(.notRecommended(step: step.step, reason: step.rollback.reason ?? "the guide advises against it"))
        }
        guard let role = step.approval ?? (step.rollback.recommended ? nil : catalog.procedure.notRecommendedApproval) else { return .success(nil) }
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
///
/// The step is driven by its backup: the documents its operations would change are read in batches, and for each
/// batch the lock is confirmed, the pre-images are saved, and only then are the operations applied to exactly those
/// `_id`s, each with the step's own filter kept (so a rerun, or a document the application changed meanwhile, stays
/// safe). A document that starts to match the filter after its batch was read is in no backup and is left alone:
/// verification reports it as written during the rollback. Where the server has transactions, each batch (or the
/// whole step, when it changes at most `--transaction-limit` documents) commits as one, lock renewal included.
struct StepExecutor {
    static let logger = Logger(label: "rollgate.rollback")
    /// `_id`s per `$in` of one update statement: small lists keep servers that test `$in` member by member fast
    /// (measured on the test server: 20 to 25 per statement cost least per document, 50 a third more).
    static let idsPerStatement = 20
    let step: StepRule
    let database: MongoDatabase
    let runId: String
    let request: RollbackRequest
    let lock: RollbackLock
    let progress: (String) -> Void
    /// Where the step's time goes, logged at debug level as `step N phases` when it ends.
    let phases = PhaseTimes()

    func execute() throws -> StepOutcome {
        defer { Self.logger.debug("step \(step.step) phases", metadata: phases.metadata) }
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
        let before = try phases.time("count") { try counts() }
        guard before.contains(where: { $0.documents > 0 }) else {
            return StepOutcome(step: step.step, status: .alreadyRolledBack, operations: before, backup: nil,
                               backupDocuments: 0, verification: try verify(backup: nil),
                               message: "already rolled back: nothing to change", seconds: start.secondsElapsed)
        }
        let store = BackupStore(database: database, step: step.step, runId: runId)
        let restore = "restore with rollgate reapply \(step.step) (its backup chain includes \(store.name))"
        var writer = BackupWriter(store: store, step: step, runId: runId, operator_: request.operator_)
        var changed = Array(repeating: 0, count: step.rollback.operations.count)
        do {
            try writer.begin()
            try phases.time("named copies") { try saveNamedBackups() }
            let changing = before.filter { $0.type != "drop_index" }.reduce(0) { $0 + $1.documents }
            let transactions = request.useTransactions && (try? database.client.hello()["setName"] != nil) == true
            if transactions && changing <= request.transactionLimit {
                let session = try database.client.startSession()
                (writer, changed) = try session.withTransaction { session in
                    var attempt = (writer, changed)
                    try lock.confirm(database, session: session)
                    for collection in documentCollections {
                        try rollBack(collection, writer: &attempt.0, changed: &attempt.1, session: session, batchTransactions: false)
                    }
                    return attempt
                }
            } else {
                for collection in documentCollections {
                    try rollBack(collection, writer: &writer, changed: &changed, session: nil, batchTransactions: transactions)
                }
            }
            try dropIndexes(writer: &writer, changed: &changed)
            try writer.finish()
        } catch let lost as RollbackLock.Lost {
            throw LockLostDuringStep(lost: lost, step: step.step, backup: writer.savedBatches > 0 ? store.name : nil)
        } catch {
            // Some batches may have been changed: each one's pre-images were saved first, so the chain restores them.
            return StepOutcome(step: step.step, status: .failed, operations: [], backup: writer.savedBatches > 0 ? store.name : nil,
                               backupDocuments: writer.checksum.count, verification: [],
                               message: "\(error); " + (writer.savedBatches > 0 ? restore : "nothing was changed"),
                               seconds: start.secondsElapsed, removed: writer.tally.removals)
        }
        let applied = zip(before, changed).map { plan, documents in
            var result = plan
            result.documents = documents
            return result
        }
        let verification = try phases.time("verify") { try verify(backup: store) }
        let statuses = Set(verification.map(\.status))
        let status: StepOutcome.Status = statuses.contains(.failed) ? .failed : statuses.contains(.writtenDuring) ? .writtenDuring : .rolledBack
        let message = switch status {
        case .failed: "post-conditions not met: " + verification.filter { $0.status == .failed }.map(\.description).joined(separator: "; ")
            + "; \(restore)"
        case .writtenDuring:
            "rolled back every backed-up document, but " + verification.filter { $0.status == .writtenDuring }.map(\.description)
                .joined(separator: "; ") + ": the application still writes them; roll the code back first, or run the step again"
        default: "rolled back and verified"
        }
        return StepOutcome(step: step.step, status: status, operations: applied, backup: store.name,
                           backupDocuments: writer.checksum.count, verification: verification, message: message,
                           seconds: start.secondsElapsed, removed: writer.tally.removals)
    }

    /// What each operation would change now.
    private func counts() throws -> [PlannedOperation] {
        try step.rollback.operations.map { try PlannedOperation.counting($0, in: database) }
    }

    /// The collections whose documents the step changes, in the order of the step's operations.
    private var documentCollections: [String] {
        step.rollback.operations.reduce(into: [String]()) { names, operation in
            if operation.changesDocuments, !names.contains(operation.collection) { names.append(operation.collection) }
        }
    }

    /// Reads the documents of `collection` that any operation would change, in batches; for each: the lock
    /// confirmed, the pre-images saved, then the operations applied to exactly those `_id`s.
    private func rollBack(_ collection: String, writer: inout BackupWriter, changed: inout [Int], session: MongoSession?,
                          batchTransactions: Bool) throws {
        let operations = step.rollback.operations.enumerated().filter { $0.element.changesDocuments && $0.element.collection == collection }
        let filters = operations.compactMap(\.element.filter)
        let filter: BSONDocument = filters.count == 1 ? filters[0] : ["$or": .array(filters.map(BSON.document))]
        let cursor = try database.collection(collection).find(filter, options: FindOptions(batchSize: BackupStore.batchSize),
                                                              session: session)
        var batch: [BSONDocument] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let ids = batch.compactMap { $0["_id"] }
            let body = { (session: MongoSession?, writer: inout BackupWriter, changed: inout [Int]) throws in
                if session == nil || batchTransactions {
                    try phases.time("lock") { try lock.confirm(database, session: session) }
                }
                try phases.time("backup") {
                    try writer.save(batch.map { BackupStore.entry(of: $0, in: collection, batch: writer.savedBatches + 1) }, session: session)
                }
                for (index, operation) in operations {
                    changed[index] += try phases.time("apply") { try apply(operation, to: ids, session: session) }
                }
            }
            // "batch" holds lock, backup and apply, and the commit: the difference is the commit's cost.
            try phases.time("batch") {
                if batchTransactions {
                    let transaction = try database.client.startSession()
                    (writer, changed) = try transaction.withTransaction { session in
                        var attempt = (writer, changed)
                        try body(session, &attempt.0, &attempt.1)
                        return attempt
                    }
                } else {
                    try body(session, &writer, &changed)
                }
            }
            progress("  \(collection): \(writer.checksum.count) backed up and changed")
            batch.removeAll(keepingCapacity: true)
        }
        while let document = try phases.time("read", { try cursor.next() }) {
            batch.append(document)
            if batch.count == BackupStore.batchSize { try flush() }
        }
        try flush()
    }

    /// Applies one operation to the listed `_id`s that still match its filter; returns how many it changed.
    private func apply(_ operation: OperationRule, to ids: [BSON], session: MongoSession?) throws -> Int {
        let filter: BSONDocument, update: BSON
        switch operation {
        case let .unset(_, f, fields):
            // A filter that only asks for one of the unset fields changes nothing the unset would not: leaving it out
            // keeps the statement a plain `_id` lookup (a top-level `$or` makes some servers scan the collection).
            filter = Self.asksOnlyForAnyOf(fields, f) ? [:] : f
            update = .document(["$unset": .document(BSONDocument(fields.map { ($0, BSON.string("")) }))])
        case let .update(_, f, document): (filter, update) = (f, .document(document))
        case .dropIndex: return 0
        }
        let statements = stride(from: 0, to: ids.count, by: Self.idsPerStatement).map { start in
            WriteModel.updateMany(filter: Self.restricted(filter, to: Array(ids[start..<min(start + Self.idsPerStatement, ids.count)])),
                                  update: update, upsert: false)
        }
        return try database.collection(operation.collection).bulkWrite(statements, session: session).modified
    }

    /// Whether `filter` is `{field: {$exists: true}}`, or an `$or` of such, for fields among `fields`.
    static func asksOnlyForAnyOf(_ fields: [String], _ filter: BSONDocument) -> Bool {
        func exists(_ clause: BSONDocument) -> Bool {
            guard clause.count == 1, let (field, condition) = clause.elements.first.map({ ($0.key, $0.value) }) else { return false }
            return fields.contains(field) && condition == ["$exists": true]
        }
        if exists(filter) { return true }
        guard filter.count == 1, case .array(let clauses)? = filter["$or"], !clauses.isEmpty else { return false }
        return clauses.allSatisfy { $0.documentValue.map(exists) ?? false }
    }

    /// `filter` limited to `ids`, `_id` first so that every server looks the ids up by their index.
    static func restricted(_ filter: BSONDocument, to ids: [BSON]) -> BSONDocument {
        let byId: BSONDocument = ["_id": ["$in": .array(ids)]]
        if filter.keys.contains(where: { $0 == "_id" || $0.hasPrefix("$") }) { return ["$and": [.document(byId), .document(filter)]] }
        return byId.merging(filter)
    }

    /// Index steps: the full specifications saved as one batch, then the indexes dropped (never in a transaction).
    private func dropIndexes(writer: inout BackupWriter, changed: inout [Int]) throws {
        let drops = step.rollback.operations.enumerated().compactMap { index, operation -> (Int, String, String)? in
            if case let .dropIndex(collection, name) = operation { return (index, collection, name) }
            return nil
        }
        guard !drops.isEmpty else { return }
        try lock.confirm(database)
        var entries: [BSONDocument] = []
        for collection in Set(drops.map(\.1)).sorted() {
            let specs = try database.collection(collection).listIndexes().filter { $0["name"]?.stringValue != "_id_" }
            entries += specs.map { BackupStore.indexEntry(of: $0, in: collection, batch: writer.savedBatches + 1) }
        }
        try writer.save(entries, session: nil)
        for (index, collection, name) in drops {
            let exists = try database.collection(collection).listIndexes().contains { $0["name"]?.stringValue == name }
            guard exists else { continue }
            try lock.confirm(database)
            try database.collection(collection).dropIndex(name)
            changed[index] += 1
        }
    }

    /// The guide's named copies (`delivery_audit_backup`), before anything changes. A rerun adds to an existing copy
    /// instead of replacing it, so that the copy keeps what an earlier, interrupted run already changed.
    private func saveNamedBackups() throws {
        for named in step.rollback.backups {
            guard let name = named.name else { continue }
            var pipeline: [BSON] = [["$match": .document(named.filter)]]
            if let projection = named.projection { pipeline.append(["$project": .document(projection)]) }
            let exists = try database.collectionNames().contains(name)
            pipeline.append(exists ? ["$merge": ["into": .string(name), "whenMatched": "keepExisting", "whenNotMatched": "insert"]]
                                   : ["$out": .string(name)])
            _ = try database.collection(named.collection).aggregate(pipeline).toArray()
        }
    }

    /// The step's post-conditions. A document that still matches is told apart by this run's backup: not in it, it was
    /// written during the rollback (after its batch was read); in it, the rollback changed it and something wrote it
    /// again, or the change did not take.
    private func verify(backup: BackupStore?) throws -> [Verification] {
        try step.rollback.verify.map { rule in
            let found = try database.collection(rule.collection).count(rule.filter)
            var result = Verification(collection: rule.collection, filter: rule.filter.displayText, expected: rule.expect,
                                      found: found, writtenDuring: 0, leftOver: found - rule.expect, samples: [])
            guard found > rule.expect, let backup else { return result }
            var remaining: [BSON: Bool] = [:]
            let cursor = try database.collection(rule.collection).find(rule.filter, options: FindOptions(
                projection: ["_id": 1], limit: Verification.classifiedAtMost))
            while let document = try cursor.next() { remaining[document["_id"] ?? .null] = false }
            let entries = try database.collection(backup.name).find(["collection": .string(rule.collection)],
                                                                    options: FindOptions(projection: ["_id": 1]))
            while let entry = try entries.next() {
                if let id = entry.value(at: "_id.id"), remaining[id] != nil { remaining[id] = true }
            }
            let notBackedUp = remaining.filter { !$0.value }.map(\.key)
            result.writtenDuring = notBackedUp.count
            result.leftOver = remaining.count - notBackedUp.count
            result.samples = notBackedUp.prefix(5).map(Reapplier.describeValue).sorted()
            return result
        }
    }
}

/// One post-condition checked: `count(filter)` against what the rule expects, with the documents that still match
/// told apart when there are too many.
public struct Verification: Sendable, Equatable, CustomStringConvertible {
    /// How many matching documents verification looks up in the backup, at most.
    static let classifiedAtMost = 100_000

    public enum Status: String, Sendable {
        case ok = "OK"
        /// Too many match, and every extra one was written during the rollback (it is in no backup of the run).
        case writtenDuring = "WRITTEN-DURING-ROLLBACK"
        case failed = "FAILED"
    }

    public var collection: String
    public var filter: String
    public var expected: Int
    public var found: Int
    /// Matching documents that are in no backup of this run, and the first few of their `_id`s.
    public var writtenDuring: Int
    /// Matching documents that are in this run's backup: the rollback changed them and something wrote them again, or
    /// the change did not take. (Listed after the count, so the two may differ while the application writes.)
    public var leftOver: Int
    public var samples: [String]

    public var status: Status {
        if found == expected { return .ok }
        return found > expected && leftOver == 0 ? .writtenDuring : .failed
    }

    public var description: String {
        var text = "\(status.rawValue) \(collection) \(filter): expected \(expected), found \(found)"
        if writtenDuring > 0 {
            text += " (\(writtenDuring) written during the rollback, in no backup: \(samples.joined(separator: ", "))"
                + (writtenDuring > samples.count ? ", …" : "") + ")"
        }
        if leftOver > 0, found > expected { text += " (\(leftOver) left over: in the backup, yet still matching)" }
        return text
    }
}

/// A step's backup being written: the batch count and running checksum the manifest records after every batch, and the
/// tally of removed fields the evidence reports.
struct BackupWriter {
    let store: BackupStore
    let step: StepRule
    let runId: String
    let operator_: String
    let createdAt = Date()
    private(set) var savedBatches = 0
    private(set) var checksum = Checksum()
    private(set) var tally: RemovalTally
    private var counts: [String: Int] = [:]

    init(store: BackupStore, step: StepRule, runId: String, operator_: String) {
        self.store = store
        self.step = step
        self.runId = runId
        self.operator_ = operator_
        tally = RemovalTally(rule: step)
    }

    /// The manifest, before any entry.
    func begin() throws { try store.writeManifest(manifest(complete: false)) }

    /// Saves one batch and then counts it in the manifest: from this moment its documents may be changed.
    mutating func save(_ entries: [BSONDocument], session: MongoSession?) throws {
        guard !entries.isEmpty else { return }
        _ = try store.insert(entries, session: session)
        savedBatches += 1
        for entry in entries {
            let collection = entry["collection"]?.stringValue ?? "?"
            if let document = entry["document"]?.documentValue {
                checksum.add(document)
                tally.add(document, in: collection)
            } else if let index = entry["index"]?.documentValue {
                checksum.add(index)
            }
            counts[entry["index"] == nil ? collection : "\(collection) indexes", default: 0] += 1
        }
        try store.writeManifest(manifest(complete: false), session: session)
    }

    /// Marks the backup complete: the step went through to its end.
    func finish() throws { try store.writeManifest(manifest(complete: true)) }

    private func manifest(complete: Bool) -> BSONDocument {
        Manifest.document(rule: step, runId: runId, createdAt: createdAt, operator_: operator_, complete: complete,
                          savedBatches: savedBatches, counts: counts, checksum: checksum.text)
    }
}

/// A step lost the rollback lock (it expired, or another run took it over) and stopped before its next write.
public struct LockLostDuringStep: Error, CustomStringConvertible {
    public let lost: RollbackLock.Lost
    public let step: Int
    /// The backup that holds what the step changed before it stopped, if it changed anything.
    public let backup: String?

    public var description: String {
        "\(lost); step \(step) stopped before its next write" + (backup.map {
            ": what it changed is in backup \($0), part of the step's chain (rollgate reapply \(step) restores it)"
        } ?? " and had changed nothing")
    }
}

/// Seconds spent per phase of one step, in the order the phases first ran. What is not in a named phase (a batch's
/// commit, history) is the rest of the step's time.
final class PhaseTimes {
    private var seconds: [(phase: String, seconds: Double)] = []

    func time<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = start.secondsElapsed
            if let index = seconds.firstIndex(where: { $0.phase == phase }) { seconds[index].seconds += elapsed }
            else { seconds.append((phase, elapsed)) }
        }
        return try body()
    }

    var metadata: Logger.Metadata {
        Logger.Metadata(uniqueKeysWithValues: seconds.map { ("\($0.phase) s", .string(String(format: "%.3f", $0.seconds))) })
    }
}

extension MongoPool {
    /// `run`, with the error kept as a value.
    func runCapturing<T: Sendable>(_ body: @escaping @Sendable (MongoClient) throws -> T) async -> Result<T, any Error> {
        do { return .success(try await run(body)) } catch { return .failure(error) }
    }
}
