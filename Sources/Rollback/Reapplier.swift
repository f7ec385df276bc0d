import Catalog
import Foundation
import Mongo

/// What a re-apply did.
public struct ReapplyOutcome: Sendable, Equatable {
    public var step: Int
    /// The backups restored from, oldest first (the step's chain, or the one named with `--backup`).
    public var backups: [String]
    /// Documents put back to their pre-rollback state.
    public var restored: Int
    /// Documents already in their pre-rollback state.
    public var unchanged: Int
    /// Documents changed since the rollback (or gone), left alone.
    public var conflicts: Int { conflictIds.count }
    /// Every conflict, in the order found: the collection and the `_id` (as `describeValue` writes it).
    public var conflictIds: [Conflict]
    public var indexesRestored: Int
    public var seconds: Double
    /// Set when there was nothing left to re-apply: every backup of the step was restored by this earlier run.
    public var alreadyReappliedBy: String?

    /// One document left alone because it changed since the rollback (or is gone).
    public struct Conflict: Sendable, Equatable {
        public var collection: String
        public var id: String
    }

    /// The first few conflicting `_id`s, for a line on the terminal or in the history.
    public var conflictSamples: [String] { conflictIds.prefix(10).map(\.id) }

    /// Every conflict as CSV (`collection,_id`, one line each), for the operator to inspect or `--overwrite` later.
    public var conflictsCSV: String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        return "collection,_id\n" + conflictIds.map { field($0.collection) + "," + field($0.id) + "\n" }.joined()
    }
}

/// Why a re-apply did not start. Nothing was changed.
public enum ReapplyRefusal: Error, Equatable, CustomStringConvertible {
    case noBackup(step: Int)
    case wrongBackup(name: String, reason: String)
    case lockHeld(RollbackLock.Holder)
    case lockUnanswered(String)

    public var description: String {
        switch self {
        case .noBackup(let step): "refused: no backup of step \(step) to re-apply from"
        case let .wrongBackup(name, reason): "refused: backup \(name) cannot be used: \(reason)"
        case .lockHeld(let holder): "refused: a rollback or re-apply holds the lock: \(holder)"
        case .lockUnanswered(let why): "refused: \(why)"
        }
    }
}

/// Restores what a rollback removed, exactly, from the step's backup chain: every backup taken since the step's last
/// completed re-apply, where the oldest pre-image of a document wins (a rerun after a failure backed up documents the
/// first run had already changed in part). A document that changed since the rollback (anything other than what the
/// rollback itself did) is a conflict and is left alone unless `overwrite`.
///
/// It is as safe as the rollback: under the lock, each batch fenced by it (in a transaction where the server has
/// them), rerun-safe (a document already restored counts as unchanged), and a completed re-apply marks its backups,
/// so a second one changes nothing.
public struct Reapplier: Sendable {
    public let pool: MongoPool
    public let database: String

    public init(pool: MongoPool, database: String) {
        self.pool = pool
        self.database = database
    }

    /// Re-applies under the rollback lock, so that no rollback changes the same documents meanwhile.
    public func run(step: Int, backup name: String?, overwrite: Bool, run: History.Run,
                    lockTTL: Duration = .seconds(300), useTransactions: Bool = true) async throws -> ReapplyOutcome {
        let (pool, database) = (pool, database)
        let lock = RollbackLock(owner: run.operator_, runId: run.id, ttl: lockTTL)
        do {
            return try await lock.holding(in: pool, database: database) {
                let outcome = try await pool.run { client in
                    try Self.reapply(step: step, backup: name, overwrite: overwrite, lock: lock, useTransactions: useTransactions,
                                     database: client.database(database))
                }
                if outcome.alreadyReappliedBy == nil {
                    try await pool.run { try History.recordReapply(outcome, run: run, in: $0.database(database)) }
                }
                return outcome
            }
        } catch let held as RollbackLock.Held {
            throw ReapplyRefusal.lockHeld(held.holder)
        } catch let unanswered as RollbackLock.Unanswered {
            throw ReapplyRefusal.lockUnanswered(unanswered.description)
        }
    }

    static func reapply(step: Int, backup name: String?, overwrite: Bool, lock: RollbackLock, useTransactions: Bool,
                        database: MongoDatabase) throws -> ReapplyOutcome {
        let start = ContinuousClock.now
        let chain = try backups(step: step, named: name, database: database)
        var outcome = ReapplyOutcome(step: step, backups: chain.map(\.store.name), restored: 0, unchanged: 0,
                                     conflictIds: [], indexesRestored: 0, seconds: 0)
        guard !chain.isEmpty else {
            outcome.alreadyReappliedBy = try BackupStore.all(step: step, in: database).last?.manifest.reappliedBy
            return outcome
        }
        for (store, manifest) in chain { try verifyChecksum(store, manifest) }

        let effects = chain.map { RollbackEffects($0.manifest.operations) }
        let transactions = useTransactions && (try? database.client.hello()["setName"] != nil) == true
        var batch: [(collection: String, document: BSONDocument, age: Int)] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let restore = { (session: MongoSession?, outcome: inout ReapplyOutcome) throws in
                try lock.confirm(database, session: session)
                for (collection, group) in Dictionary(grouping: batch, by: \.collection).sorted(by: { $0.key < $1.key }) {
                    try Self.restore(group.map { ($0.document, effects[$0.age]) }, into: collection, overwrite: overwrite,
                                     database: database, session: session, outcome: &outcome)
                }
            }
            if transactions {
                outcome = try database.client.startSession().withTransaction { session in
                    var attempt = outcome
                    try restore(session, &attempt)
                    return attempt
                }
            } else {
                try restore(nil, &outcome)
            }
            batch.removeAll(keepingCapacity: true)
        }
        let cursor = try entries(of: chain, database: database)
        while let (entry, age) = try cursor.next() {
            guard let collection = entry["collection"]?.stringValue else { continue }
            if let document = entry["document"]?.documentValue {
                batch.append((collection, document, age))
                if batch.count == BackupStore.batchSize { try flush() }
            } else if var index = entry["index"]?.documentValue {
                index["ns"] = nil
                try lock.confirm(database)
                try database.runCommand(["createIndexes": .string(collection), "indexes": [.document(index)]], kind: .write)
                outcome.indexesRestored += 1
            }
        }
        try flush()
        // A re-apply that left conflicts has not restored everything: its backups stay in the chain (for --overwrite).
        let finished = Date()
        if outcome.conflicts == 0 {
            for (store, _) in chain { try store.markReapplied(run: lock.runId, at: finished) }
        }
        outcome.seconds = start.secondsElapsed
        return outcome
    }

    /// The backups to restore from: the one named, or the step's chain.
    private static func backups(step: Int, named name: String?, database: MongoDatabase) throws
        -> [(store: BackupStore, manifest: Manifest)] {
        guard let name else {
            let chain = try BackupStore.chain(step: step, in: database)
            if chain.isEmpty, try BackupStore.all(step: step, in: database).allSatisfy({ $0.manifest.reappliedBy == nil }) {
                throw ReapplyRefusal.noBackup(step: step)
            }
            return chain
        }
        let store = BackupStore(database: database, name: name)
        guard let document = try store.manifest(), let manifest = Manifest(document) else {
            throw ReapplyRefusal.wrongBackup(name: name, reason: "it has no manifest (not a RollGate backup)")
        }
        guard manifest.step == step else {
            throw ReapplyRefusal.wrongBackup(name: name, reason: "it belongs to step \(manifest.step)")
        }
        guard manifest.usable else {
            throw ReapplyRefusal.wrongBackup(name: name, reason: "it holds no saved batch (the run stopped before changing anything)")
        }
        return [(store, manifest)]
    }

    private static func verifyChecksum(_ store: BackupStore, _ manifest: Manifest) throws {
        let checksum = try store.checksum(of: manifest)
        guard checksum.text == manifest.checksum else {
            throw ReapplyRefusal.wrongBackup(name: store.name, reason:
                "its checksum is \(checksum.text), the manifest says \(manifest.checksum.isEmpty ? "nothing" : manifest.checksum)")
        }
    }

    /// Every usable entry of the chain once, each with the position of the backup it comes from: for one backup its
    /// entries as they are; for several, the server keeps the oldest entry of each `_id` (`$unionWith`, `$sort`,
    /// `$group`), so memory here stays at one batch.
    private static func entries(of chain: [(store: BackupStore, manifest: Manifest)], database: MongoDatabase) throws -> EntryStream {
        let first = chain[0]
        guard chain.count > 1 else {
            return EntryStream(cursor: try database.collection(first.store.name).find(
                first.manifest.usableEntries, options: FindOptions(batchSize: BackupStore.batchSize)), merged: false)
        }
        var pipeline: [BSON] = [["$match": .document(first.manifest.usableEntries)], ["$set": ["rollgate_age": 0]]]
        for (age, backup) in chain.enumerated().dropFirst() {
            pipeline.append(["$unionWith": ["coll": .string(backup.store.name), "pipeline": [
                ["$match": .document(backup.manifest.usableEntries)], ["$set": ["rollgate_age": .int32(Int32(age))]]]]])
        }
        pipeline += [["$sort": ["_id": 1, "rollgate_age": 1]], ["$group": ["_id": "$_id", "entry": ["$first": "$$ROOT"]]]]
        return EntryStream(cursor: try database.collection(first.store.name).aggregate(
            pipeline, options: AggregateOptions(allowDiskUse: true, batchSize: BackupStore.batchSize)), merged: true)
    }

    /// Backup entries, one at a time, with the position in the chain of the backup each comes from.
    private struct EntryStream {
        let cursor: MongoCursor
        let merged: Bool

        func next() throws -> (BSONDocument, Int)? {
            guard let row = try cursor.next() else { return nil }
            guard merged else { return (row, 0) }
            let entry = row["entry"]?.documentValue ?? [:]
            return (entry, Int(entry["rollgate_age"]?.int64Value ?? 0))
        }
    }

    private static func restore(_ preImages: [(BSONDocument, RollbackEffects)], into collection: String, overwrite: Bool,
                                database: MongoDatabase, session: MongoSession?, outcome: inout ReapplyOutcome) throws {
        let handle = database.collection(collection)
        let current = try documents(handle, ids: preImages.compactMap { $0.0["_id"] }, session: session)
        var writes: [WriteModel] = []
        for (preImage, effects) in preImages {
            guard let id = preImage["_id"] else { continue }
            let now = current[id]
            if let now, sameFields(now, preImage) {
                outcome.unchanged += 1
            } else if overwrite || (now.map { effects.isRolledBack($0, from: preImage, in: collection) } ?? false) {
                // Replaced only if it is still as read: a write of the application in between makes it a conflict.
                writes.append(.replaceOne(filter: overwrite ? ["_id": id] : now ?? ["_id": id], replacement: preImage, upsert: overwrite))
            } else {
                outcome.conflictIds.append(.init(collection: collection, id: describeValue(id)))
            }
        }
        let written = try handle.bulkWrite(writes, ordered: false, session: session)
        outcome.restored += written.matched + written.upserted
        guard written.matched + written.upserted < writes.count else { return }
        // The application wrote some of them between the read and the replace: those are conflicts, by id.
        let preImageById = Dictionary(preImages.compactMap { pair in pair.0["_id"].map { ($0, pair.0) } }) { first, _ in first }
        let sent = writes.compactMap { model -> BSON? in
            if case let .replaceOne(filter, _, _) = model { return filter["_id"] }
            return nil
        }
        let found = try documents(handle, ids: sent, session: session)
        for id in sent where !(found[id].map { sameFields($0, preImageById[id] ?? [:]) } ?? false) {
            outcome.conflictIds.append(.init(collection: collection, id: describeValue(id)))
        }
    }

    /// The documents with these `_id`s, by `_id`, looked up a few at a time (`StepExecutor.idsPerStatement`).
    private static func documents(_ collection: MongoCollection, ids: [BSON], session: MongoSession?) throws -> [BSON: BSONDocument] {
        var found: [BSON: BSONDocument] = [:]
        for start in stride(from: 0, to: ids.count, by: StepExecutor.idsPerStatement) {
            let chunk = Array(ids[start..<min(start + StepExecutor.idsPerStatement, ids.count)])
            for document in try collection.find(["_id": ["$in": .array(chunk)]], session: session).toArray() {
                if let id = document["_id"] { found[id] = document }
            }
        }
        return found
    }

    static func describeValue(_ value: BSON) -> String {
        switch value {
        case .objectId(let oid): oid.description
        case .string(let s): s
        default: "\(value)"
        }
    }
}

/// Two documents with the same fields and values, whatever their order.
func sameFields(_ a: BSONDocument, _ b: BSONDocument) -> Bool {
    a.count == b.count && a.elements.allSatisfy { b[$0.key] == $0.value }
}

/// What a step's operations did to a document, read from its backup manifest: fields removed and fields set.
struct RollbackEffects {
    private var unset: [String: Set<String>] = [:]
    private var set: [String: BSONDocument] = [:]

    init(_ operations: [BSON]) {
        for case .document(let operation) in operations {
            guard let collection = operation["collection"]?.stringValue else { continue }
            for case .string(let field) in operation["fields"]?.arrayValue ?? [] { unset[collection, default: []].insert(field) }
            if let update = operation["update"]?.documentValue {
                for key in update["$unset"]?.documentValue?.keys ?? [] { unset[collection, default: []].insert(key) }
                for (key, value) in update["$set"]?.documentValue ?? [:] { set[collection, default: [:]][key] = value }
            }
        }
    }

    /// Whether `current` is `preImage` with exactly the rollback's changes: every field the rollback did not touch
    /// unchanged, every touched field as the rollback left it (or as it was).
    func isRolledBack(_ current: BSONDocument, from preImage: BSONDocument, in collection: String) -> Bool {
        let removed = unset[collection] ?? [], assigned = set[collection] ?? [:]
        let keys = Set(current.keys).union(preImage.keys)
        return keys.allSatisfy { key in
            let now = current[key], before = preImage[key]
            if let value = assigned[key] { return now == value || now == before }
            if removed.contains(key) { return now == nil || now == before }
            return now == before
        }
    }
}
