import Catalog
import Foundation
import Mongo

/// What a re-apply did.
public struct ReapplyOutcome: Sendable, Equatable {
    public var step: Int
    public var backup: String
    /// Documents put back to their pre-rollback state.
    public var restored: Int
    /// Documents already in their pre-rollback state.
    public var unchanged: Int
    /// Documents changed since the rollback (or gone), left alone; the first few `_id`s.
    public var conflicts: Int
    public var conflictSamples: [String]
    public var indexesRestored: Int
    public var seconds: Double
}

/// Why a re-apply did not start. Nothing was changed.
public enum ReapplyRefusal: Error, Equatable, CustomStringConvertible {
    case noBackup(step: Int)
    case wrongBackup(name: String, reason: String)
    case lockHeld(RollbackLock.Holder)

    public var description: String {
        switch self {
        case .noBackup(let step): "refused: no complete backup of step \(step) to re-apply from"
        case let .wrongBackup(name, reason): "refused: backup \(name) cannot be used: \(reason)"
        case .lockHeld(let holder): "refused: a rollback or re-apply holds the lock: \(holder)"
        }
    }
}

/// Restores what a rollback removed, from its backup, exactly. A document that changed since the rollback (anything
/// other than what the rollback itself did) is a conflict and is left alone unless `overwrite`.
public struct Reapplier: Sendable {
    public let pool: MongoPool
    public let database: String

    public init(pool: MongoPool, database: String) {
        self.pool = pool
        self.database = database
    }

    /// Re-applies under the rollback lock, so that no rollback changes the same documents meanwhile.
    public func run(step: Int, backup name: String?, overwrite: Bool, run: History.Run,
                    lockTTL: Duration = .seconds(300)) async throws -> ReapplyOutcome {
        let (pool, database) = (pool, database)
        let lock = RollbackLock(owner: run.operator_, runId: run.id, ttl: lockTTL)
        do {
            return try await lock.holding(in: pool, database: database) {
                let outcome = try await pool.run { client in
                    try Self.reapply(step: step, backup: name, overwrite: overwrite, database: client.database(database))
                }
                try await pool.run { try History.recordReapply(outcome, run: run, in: $0.database(database)) }
                return outcome
            }
        } catch let held as RollbackLock.Held {
            throw ReapplyRefusal.lockHeld(held.holder)
        }
    }

    static func reapply(step: Int, backup name: String?, overwrite: Bool, database: MongoDatabase) throws -> ReapplyOutcome {
        let start = ContinuousClock.now
        let store: BackupStore
        if let name {
            store = BackupStore(database: database, name: name)
        } else if let latest = try BackupStore.latest(step: step, in: database) {
            store = latest
        } else {
            throw ReapplyRefusal.noBackup(step: step)
        }
        guard let manifest = try store.manifest() else {
            throw ReapplyRefusal.wrongBackup(name: store.name, reason: "it has no manifest (not a RollGate backup)")
        }
        guard manifest["step"]?.int64Value == Int64(step) else {
            throw ReapplyRefusal.wrongBackup(name: store.name, reason: "it belongs to step \(manifest["step"]?.int64Value ?? 0)")
        }
        guard manifest["complete"] == true else {
            throw ReapplyRefusal.wrongBackup(name: store.name, reason: "it was never completed (the run stopped while backing up)")
        }
        var checksum = Checksum()
        let verifyCursor = try store.entries()
        while let entry = try verifyCursor.next() {
            if let document = entry["document"]?.documentValue { checksum.add(document) }
            if let index = entry["index"]?.documentValue { checksum.add(index) }
        }
        guard checksum.text == manifest["checksum"]?.stringValue else {
            throw ReapplyRefusal.wrongBackup(name: store.name, reason:
                "its checksum is \(checksum.text), the manifest says \(manifest["checksum"]?.stringValue ?? "nothing")")
        }

        let effects = RollbackEffects(manifest["operations"]?.arrayValue ?? [])
        var outcome = ReapplyOutcome(step: step, backup: store.name, restored: 0, unchanged: 0, conflicts: 0,
                                     conflictSamples: [], indexesRestored: 0, seconds: 0)
        var batch: [(collection: String, document: BSONDocument)] = []
        func flush() throws {
            for (collection, group) in Dictionary(grouping: batch, by: \.collection) {
                try restore(group.map(\.document), into: collection, effects: effects, overwrite: overwrite,
                            database: database, outcome: &outcome)
            }
            batch.removeAll(keepingCapacity: true)
        }
        let cursor = try store.entries()
        while let entry = try cursor.next() {
            guard let collection = entry["collection"]?.stringValue else { continue }
            if let document = entry["document"]?.documentValue {
                batch.append((collection, document))
                if batch.count == BackupStore.batchSize { try flush() }
            } else if var index = entry["index"]?.documentValue {
                index["ns"] = nil
                try database.runCommand(["createIndexes": .string(collection), "indexes": [.document(index)]], kind: .write)
                outcome.indexesRestored += 1
            }
        }
        try flush()
        outcome.seconds = start.secondsElapsed
        return outcome
    }

    private static func restore(_ preImages: [BSONDocument], into collection: String, effects: RollbackEffects,
                                overwrite: Bool, database: MongoDatabase, outcome: inout ReapplyOutcome) throws {
        let handle = database.collection(collection)
        let ids = preImages.compactMap { $0["_id"] }
        var current: [BSON: BSONDocument] = [:]
        for document in try handle.find(["_id": ["$in": .array(ids)]]).toArray() {
            if let id = document["_id"] { current[id] = document }
        }
        var writes: [WriteModel] = []
        for preImage in preImages {
            guard let id = preImage["_id"] else { continue }
            let now = current[id]
            if let now, sameFields(now, preImage) {
                outcome.unchanged += 1
            } else if overwrite || (now.map { effects.isRolledBack($0, from: preImage, in: collection) } ?? false) {
                writes.append(.replaceOne(filter: ["_id": id], replacement: preImage, upsert: true))
            } else {
                outcome.conflicts += 1
                if outcome.conflictSamples.count < 10 { outcome.conflictSamples.append(describeValue(id)) }
            }
        }
        let written = try handle.bulkWrite(writes, ordered: false)
        outcome.restored += written.matched + written.upserted
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
