import Findings
import Foundation
import Mongo

/// `rollgate backups purge`: drops rollback backups older than a number of days, under the rollback lock. Only a
/// backup that a history entry names is purged; one that a rollback not yet re-applied still needs (it is in its step's
/// chain) is refused unless forced. Every purge is recorded in the history (mode `purge`).
public struct BackupPurge: Sendable {
    public let pool: MongoPool
    public let database: String

    public init(pool: MongoPool, database: String) {
        self.pool = pool
        self.database = database
    }

    /// Backups created before `cutoff`, oldest first, each purged, or refused with the reason.
    public func run(before cutoff: Date, force: Bool, dryRun: Bool, run: History.Run,
                    lockTTL: Duration = .seconds(300)) async throws -> [PurgeDecision] {
        let (pool, database) = (pool, database)
        let lock = RollbackLock(owner: run.operator_, runId: run.id, ttl: lockTTL)
        return try await lock.holding(in: pool, database: database) {
            try await pool.run { client in
                let db = client.database(database)
                var decisions: [PurgeDecision] = []
                for name in try db.collectionNames().filter({ $0.hasPrefix(BackupStore.prefix) }).sorted() {
                    let store = BackupStore(database: db, name: name)
                    guard let manifest = try store.manifest().flatMap(Manifest.init), manifest.createdAt < cutoff else { continue }
                    var decision = PurgeDecision(backup: name, step: manifest.step, createdAt: manifest.createdAt,
                                            checksum: manifest.checksum, action: dryRun ? .wouldPurge : .purged)
                    let recorded = try db.collection(History.collection).count(
                        ["type": "rollback", "$or": [["backup.collection": .string(name)], ["backups": .string(name)]]]) > 0
                    if !recorded {
                        decision.action = .refused("no history entry names it: not RollGate's to remove")
                    } else if manifest.usable, manifest.reappliedBy == nil, !force {
                        decision.action = .refused("a rollback not yet re-applied needs it (rollgate reapply \(manifest.step) restores from it); --force purges it anyway")
                    } else if !dryRun {
                        try lock.confirm(db)
                        try store.drop()
                        try History.recordPurge(decision, forced: manifest.usable && manifest.reappliedBy == nil, run: run, in: db)
                    }
                    decisions.append(decision)
                }
                return decisions.sorted { ($0.createdAt, $0.backup) < ($1.createdAt, $1.backup) }
            }
        }
    }
}

extension BackupStore {
    /// Drops the backup collection.
    func drop() throws { try database.dropCollection(name) }
}

extension History {
    /// Records one purged backup (mode `purge`), with its checksum, so that evidence naming it says why it is gone.
    static func recordPurge(_ decision: PurgeDecision, forced: Bool, run: Run, in database: MongoDatabase) throws {
        var entry: BSONDocument = [
            "type": "rollback", "run_id": .string(run.id), "timestamp": .date(Date()), "operator": .string(run.operator_),
            "step": .int32(Int32(decision.step)), "mode": .string(RunMode.purge.rawValue), "status": "purged",
            "backup": ["collection": .string(decision.backup), "checksum": .string(decision.checksum),
                       "created_at": .date(decision.createdAt)],
            "forced": .bool(forced),
        ]
        if let reason = run.reason { entry["reason"] = .string(reason) }
        try database.collection(collection).insertMany([entry])
    }
}
