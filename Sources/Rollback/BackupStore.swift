import Catalog
import Foundation
import Mongo

/// A rollback's backup: one collection per step and run (`rollback_backup_23_<run id>`) holding the full pre-image of
/// every document the step changes, wrapped as `{_id: {c: collection, id: original _id}, collection, document}`
/// (index specifications as `{_id: {c, index}, collection, index}`), and a manifest (`_id: "manifest"`) with counts,
/// checksum, filters and time. The manifest says `complete: true` only once everything is in; a backup without it is
/// never used for a re-apply.
///
/// Documents are copied by RollGate itself in batches, not with `$merge`, so the copy works the same on every server
/// and memory stays at one batch.
public struct BackupStore {
    public static let prefix = "rollback_backup_"
    static let batchSize = 1_000

    public let database: MongoDatabase
    public let name: String

    public init(database: MongoDatabase, step: Int, runId: String) {
        self.database = database
        self.name = "\(Self.prefix)\(step)_\(runId)"
    }

    public init(database: MongoDatabase, name: String) {
        self.database = database
        self.name = name
    }

    /// Copies every document of `collection` matching `filter`; returns how many, and adds them to `checksum`.
    func copyDocuments(of collection: String, matching filter: BSONDocument, checksum: inout Checksum,
                       progress: (Int) -> Void = { _ in }) throws -> Int {
        let target = database.collection(name)
        var batch: [BSONDocument] = []
        var copied = 0
        // No sort: the checksum does not depend on order, and a sort made the test server sort every pre-image in
        // memory (MongoDB would walk the _id index instead of the collection).
        let cursor = try database.collection(collection).find(filter, options: FindOptions(batchSize: Self.batchSize))
        while let document = try cursor.next() {
            checksum.add(document)
            batch.append(["_id": ["c": .string(collection), "id": document["_id"] ?? .null],
                          "collection": .string(collection), "document": .document(document)])
            if batch.count == Self.batchSize {
                copied += try target.insertMany(batch)
                batch.removeAll(keepingCapacity: true)
                progress(copied)
            }
        }
        copied += try target.insertMany(batch)
        return copied
    }

    /// Saves the full index specifications of `collection` (all but `_id_`).
    func copyIndexes(of collection: String, checksum: inout Checksum) throws -> Int {
        let specs = try database.collection(collection).listIndexes().filter { $0["name"]?.stringValue != "_id_" }
        for spec in specs { checksum.add(spec) }
        return try database.collection(name).insertMany(specs.map { spec in
            ["_id": ["c": .string(collection), "index": spec["name"] ?? .null], "collection": .string(collection),
             "index": .document(spec)]
        })
    }

    func writeManifest(_ manifest: BSONDocument) throws {
        try database.collection(name).bulkWrite([
            .replaceOne(filter: ["_id": "manifest"], replacement: manifest.merging(["_id": "manifest"]), upsert: true),
        ])
    }

    public func manifest() throws -> BSONDocument? {
        try database.collection(name).find(["_id": "manifest"]).next()
    }

    /// Every backed-up document or index entry, streamed in `_id` order.
    func entries() throws -> MongoCursor {
        try database.collection(name).find(["_id": ["$ne": "manifest"]], options: FindOptions(sort: ["_id": 1], batchSize: Self.batchSize))
    }

    /// The newest complete backup of `step`, by the time in its manifest.
    public static func latest(step: Int, in database: MongoDatabase) throws -> BackupStore? {
        var best: (BackupStore, Date)?
        for name in try database.collectionNames() where name.hasPrefix("\(prefix)\(step)_") {
            let store = BackupStore(database: database, name: name)
            guard let manifest = try store.manifest(), manifest["complete"] == true,
                  let created = manifest["created_at"]?.dateValue else { continue }
            if best == nil || created > best!.1 { best = (store, created) }
        }
        return best?.0
    }
}

/// An order-independent checksum of documents: the count and the wrapping sum of each document's FNV-1a hash over its
/// canonical Extended JSON. Enough to prove a backup was not cut short or altered by accident; not a cryptographic seal.
public struct Checksum: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var sum: UInt64 = 0

    public init() {}

    public mutating func add(_ document: BSONDocument) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let bytes = (try? document.extendedJSON(.canonical)) ?? ""
        for byte in bytes.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        sum = sum &+ hash
        count += 1
    }

    public var text: String { "\(count):\(String(sum, radix: 16))" }
}
