import Catalog
import Crypto
import Foundation
import Mongo

/// A rollback's backup: one collection per step and run (`rollback_backup_23_<run id>`) holding the full pre-image of
/// every document the step changes, wrapped as `{_id: {c: collection, id: original _id}, collection, batch, document}`
/// (index specifications as `{_id: {c, index}, collection, batch, index}`), and a manifest (`_id: "manifest"`).
///
/// The backup is saved in numbered batches, each one *before* the rollback changes the documents in it: first the
/// batch's entries, then the manifest's `saved_batches` and running checksum, then the changes. So whatever moment a
/// run stops at, every document it changed has its pre-image in a saved batch, and entries of a batch the manifest
/// does not count yet belong to documents that were never changed (a re-apply ignores them). `complete: true` says the
/// run got to the end of the step.
///
/// Backups written before this format (no `version`) hold no batch numbers and are usable only when complete. Version 3
/// changed only the checksum (a sum of SHA-256 digests; see `Checksum`).
public struct BackupStore {
    public static let prefix = "rollback_backup_"

    /// The names of every rollback backup in the database.
    public static func names(in database: MongoDatabase) throws -> [String] {
        try database.collectionNames().filter { $0.hasPrefix(prefix) }
    }
    public static let manifestVersion = 3
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

    /// The backup name prefix of one step's backups.
    public static func prefix(step: Int) -> String { "\(prefix)\(step)_" }

    /// Saves one batch of entries; returns how many.
    func insert(_ entries: [BSONDocument], session: MongoSession? = nil) throws -> Int {
        try database.collection(name).insertMany(entries, session: session)
    }

    static func entry(of document: BSONDocument, in collection: String, batch: Int) -> BSONDocument {
        ["_id": ["c": .string(collection), "id": document["_id"] ?? .null], "collection": .string(collection),
         "batch": .int64(Int64(batch)), "document": .document(document)]
    }

    static func indexEntry(of spec: BSONDocument, in collection: String, batch: Int) -> BSONDocument {
        ["_id": ["c": .string(collection), "index": spec["name"] ?? .null], "collection": .string(collection),
         "batch": .int64(Int64(batch)), "index": .document(spec)]
    }

    func writeManifest(_ manifest: BSONDocument, session: MongoSession? = nil) throws {
        try database.collection(name).bulkWrite([
            .replaceOne(filter: ["_id": "manifest"], replacement: manifest.merging(["_id": "manifest"]), upsert: true),
        ], session: session)
    }

    public func manifest() throws -> BSONDocument? {
        try database.collection(name).find(["_id": "manifest"]).next()
    }

    /// The entries a re-apply may use: those of saved batches (every entry of an old-format backup), in `_id` order.
    func entries(_ manifest: Manifest) throws -> MongoCursor {
        try database.collection(name).find(manifest.usableEntries, options: FindOptions(sort: ["_id": 1], batchSize: Self.batchSize))
    }

    /// The checksum of the entries a re-apply may use, computed the way the manifest's was.
    public func checksum(of manifest: Manifest) throws -> Checksum {
        var checksum = Checksum(like: manifest.checksum)
        let cursor = try database.collection(name).find(manifest.usableEntries, options: FindOptions(batchSize: Self.batchSize))
        while let entry = try cursor.next() {
            if let document = (entry["document"] ?? entry["index"])?.documentValue { checksum.add(document) }
        }
        return checksum
    }

    /// Every step backup whose manifest can be read, oldest first.
    public static func all(step: Int, in database: MongoDatabase) throws -> [(store: BackupStore, manifest: Manifest)] {
        try database.collectionNames().filter { $0.hasPrefix(prefix(step: step)) }.compactMap { name in
            let store = BackupStore(database: database, name: name)
            return try store.manifest().flatMap(Manifest.init).map { (store, $0) }
        }.sorted { ($0.manifest.createdAt, $0.store.name) < ($1.manifest.createdAt, $1.store.name) }
    }

    /// The step's backup chain: every usable backup taken since its last completed re-apply, oldest first. A re-apply
    /// restores from all of them, so a rerun after a failure, a crash or a lost lock loses nothing.
    public static func chain(step: Int, in database: MongoDatabase) throws -> [(store: BackupStore, manifest: Manifest)] {
        try all(step: step, in: database).filter { $0.manifest.inChain }
    }

    /// Marks the backup as restored by a completed re-apply, so that it leaves the chain.
    func markReapplied(run: String, at time: Date) throws {
        try database.collection(name).updateMany(["_id": "manifest"],
                                                 ["$set": ["reapplied_by": .string(run), "reapplied_at": .date(time)]])
    }
}

/// A backup's manifest, read.
public struct Manifest: Sendable {
    public var step: Int
    public var runId: String
    public var createdAt: Date
    public var complete: Bool
    /// Batches saved before the rollback changed them (nil in an old-format backup).
    public var savedBatches: Int?
    public var checksum: String
    public var operations: [BSON]
    public var reappliedBy: String?
    /// The collections (and `COLLECTION indexes`) the backup holds entries of.
    public var collections: [String]

    /// The manifest as a rollback writes it, before its first entry and after every batch: the one place its fields
    /// and version are spelled (`init?(_:)` reads them back).
    static func document(rule step: StepRule, runId: String, createdAt: Date, operator_: String, complete: Bool,
                         savedBatches: Int, counts: [String: Int], checksum: String) -> BSONDocument {
        ["type": "rollback-backup", "version": .int32(Int32(BackupStore.manifestVersion)), "step": .int32(Int32(step.step)),
         "run_id": .string(runId), "created_at": .date(createdAt), "operator": .string(operator_),
         "complete": .bool(complete), "saved_batches": .int64(Int64(savedBatches)),
         "counts": .document(BSONDocument(counts.sorted { $0.key < $1.key }.map { ($0.key, BSON.int64(Int64($0.value))) })),
         "checksum": .string(checksum),
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

    init?(_ document: BSONDocument) {
        guard let step = document["step"]?.int64Value else { return nil }
        self.step = Int(step)
        runId = document["run_id"]?.stringValue ?? "?"
        createdAt = document["created_at"]?.dateValue ?? .distantPast
        complete = document["complete"] == true
        savedBatches = document["saved_batches"]?.int64Value.map(Int.init)
        checksum = document["checksum"]?.stringValue ?? ""
        operations = document["operations"]?.arrayValue ?? []
        reappliedBy = document["reapplied_by"]?.stringValue
        collections = document["counts"]?.documentValue?.keys.map { $0 } ?? []
    }

    /// The personal-data fields (as the step's compliance impact names them) whose values this backup holds.
    public func personalDataFields(_ rule: StepRule) -> [String] {
        rule.complianceImpacts.filter { collections.contains($0.collection) }
            .flatMap { $0.fields.filter(\.personalData).map(\.name) }
    }

    /// Holds pre-images that a re-apply can use: a complete old-format backup, or any saved batch.
    public var usable: Bool { savedBatches.map { $0 > 0 } ?? complete }

    /// Whether the backup belongs to its step's chain: usable, and not yet restored by a completed re-apply.
    public var inChain: Bool { usable && reappliedBy == nil }

    /// What a run that stopped left: `complete`, or `partial (N batches saved)`.
    public var state: String {
        if complete { return "complete" }
        return "partial (\(savedBatches ?? 0) batches saved)"
    }

    var usableEntries: BSONDocument {
        guard let savedBatches else { return ["_id": ["$ne": "manifest"]] }
        return ["_id": ["$ne": "manifest"], "batch": ["$lte": .int64(Int64(savedBatches))]]
    }
}

/// An order-independent checksum of a backup's documents: the count and the sum, modulo 2^256, of each document's
/// SHA-256 over its canonical Extended JSON (`sha256:COUNT:HEX`). The sum does not depend on the order the server
/// returns entries in; a document altered, added or removed changes it. Backups of manifest version 2 carry the
/// earlier `COUNT:HEX` (a sum of 64-bit FNV-1a hashes), which `Checksum(like:)` still computes to verify them.
public struct Checksum: Sendable, Equatable {
    /// How the per-document hashes are made and summed.
    public enum Algorithm: Sendable { case sha256Sum, legacyFNV }

    public let algorithm: Algorithm
    public private(set) var count = 0
    /// Four 64-bit limbs, least significant first (only the first is used by `legacyFNV`).
    private var sum: [UInt64] = [0, 0, 0, 0]

    public init() { algorithm = .sha256Sum }

    /// A checksum of the same kind as the `recorded` one, to verify it.
    public init(like recorded: String) {
        algorithm = recorded.isEmpty || recorded.hasPrefix("sha256:") ? .sha256Sum : .legacyFNV
    }

    public mutating func add(_ document: BSONDocument) {
        let text = (try? document.extendedJSON(.canonical)) ?? ""
        count += 1
        switch algorithm {
        case .sha256Sum:
            let digest = Array(SHA256.hash(data: Data(text.utf8)))
            var carry = false
            for limb in 0..<4 {
                // The digest read as a big-endian 256-bit number: its last 8 bytes are the least significant limb.
                let value = digest[(24 - limb * 8)..<(32 - limb * 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let (partial, overflow1) = sum[limb].addingReportingOverflow(value)
                let (total, overflow2) = partial.addingReportingOverflow(carry ? 1 : 0)
                sum[limb] = total
                carry = overflow1 || overflow2
            }
        case .legacyFNV:
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01B3
            }
            sum[0] = sum[0] &+ hash
        }
    }

    public var text: String {
        switch algorithm {
        case .sha256Sum:
            "sha256:\(count):" + sum.reversed().map { limb in
                let hex = String(limb, radix: 16)
                return String(repeating: "0", count: 16 - hex.count) + hex
            }.joined()
        case .legacyFNV: "\(count):\(String(sum[0], radix: 16))"
        }
    }
}
