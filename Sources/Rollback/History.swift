import Catalog
import Findings
import Foundation
import Mongo

/// RollGate's records in the `admin` collection: one history document per step and attempt (`type: "rollback"`),
/// never deleted.
public enum History {
    public static let collection = "admin"

    /// What every history entry says about the run it belongs to.
    public struct Run: Sendable {
        public var id: String
        public var operator_: String
        public var reason: String?
        public var mode: RunMode
        public var startedAt: Date

        public init(id: String = UUID().uuidString.lowercased(), operator_: String, reason: String?, mode: RunMode,
                    startedAt: Date = Date()) {
            self.id = id
            self.operator_ = operator_
            self.reason = reason
            self.mode = mode
            self.startedAt = startedAt
        }
    }

    /// Records one entry per planned step (mode `dry-run`, status `planned` or `blocked`).
    public static func recordPlan(_ plan: [StepPlan], run: Run, seconds: Double, in database: MongoDatabase) throws {
        let entries: [BSONDocument] = plan.map { step in
            var entry: BSONDocument = [
                "type": "rollback", "run_id": .string(run.id), "timestamp": .date(run.startedAt),
                "operator": .string(run.operator_), "step": .int32(Int32(step.step)), "mode": .string(run.mode.rawValue),
                "status": .string(step.blockers.isEmpty ? "planned" : "blocked"),
                "records_affected": .array(step.operations.map { operation in
                    ["collection": .string(operation.collection), "operation": .string(operation.description),
                     "documents": .int64(Int64(operation.documents))]
                }),
                "backup_estimate": ["documents": .int64(Int64(step.backup.documents)),
                                    "bytes": .int64(Int64(step.backup.bytes))],
                "estimate_seconds": .double(step.estimateSeconds),
                "blockers": .array(step.blockers.map(BSON.string)),
                "duration_seconds": .double(seconds),
            ]
            if let reason = run.reason { entry["reason"] = .string(reason) }
            return entry
        }
        try database.collection(collection).insertMany(entries)
    }

    /// Marks a step as started before anything of it changes, so that a run that dies mid-step leaves an
    /// `in-progress` entry behind. Returns the entry's `_id`, for `recordExecution` to complete.
    public static func begin(step: Int, run: Run, in database: MongoDatabase) throws -> BSON {
        let id = BSON.string("\(run.id)-\(step)")
        try database.collection(collection).insertMany([[
            "_id": id, "type": "rollback", "run_id": .string(run.id), "timestamp": .date(run.startedAt),
            "operator": .string(run.operator_), "step": .int32(Int32(step)), "mode": .string(run.mode.rawValue),
            "status": "in-progress",
        ]])
        return id
    }

    /// Records one step of an executed (or emergency) rollback, completing its `begin` entry when there is one.
    public static func recordExecution(_ outcome: StepOutcome, approval: Approval?, run: Run, entry id: BSON? = nil,
                                       in database: MongoDatabase) throws {
        var entry: BSONDocument = [
            "type": "rollback", "run_id": .string(run.id), "timestamp": .date(run.startedAt),
            "operator": .string(run.operator_), "step": .int32(Int32(outcome.step)), "mode": .string(run.mode.rawValue),
            "status": .string(outcome.status.rawValue),
            "records_affected": .array(outcome.operations.map { operation in
                ["collection": .string(operation.collection), "operation": .string(operation.description),
                 "documents": .int64(Int64(operation.documents))]
            }),
            "verification": .array(outcome.verification.map { .string($0.description) }),
            "duration_seconds": .double(outcome.seconds), "message": .string(outcome.message),
        ]
        if let reason = run.reason { entry["reason"] = .string(reason) }
        if let backup = outcome.backup {
            entry["backup"] = ["collection": .string(backup), "entries": .int64(Int64(outcome.backupDocuments))]
        }
        if let evidence = outcome.evidence {
            entry["evidence_sha256"] = .string(evidence.sha256)
            if let checksum = evidence.evidence.backup?.checksum { entry["backup_checksum"] = .string(checksum) }
        }
        if let approval {
            entry["approval"] = ["role": .string(approval.role.rawValue), "approver": .string(approval.approver),
                                 "ticket": .string(approval.ticket), "reason": .string(approval.reason),
                                 "expires": .date(approval.expires)]
        }
        if let id {
            try database.collection(collection).bulkWrite([.replaceOne(filter: ["_id": id], replacement: entry.merging(["_id": id]),
                                                                       upsert: true)])
        } else {
            try database.collection(collection).insertMany([entry])
        }
    }

    /// Completes a step's `begin` entry of a run that lost the lock: status `lock-lost`, who holds the lock now, and
    /// the backup that holds what the step changed.
    public static func recordLockLost(_ lost: LockLostDuringStep, run: Run, entry id: BSON, in database: MongoDatabase) throws {
        var entry: BSONDocument = [
            "type": "rollback", "run_id": .string(run.id), "timestamp": .date(run.startedAt),
            "operator": .string(run.operator_), "step": .int32(Int32(lost.step)), "mode": .string(run.mode.rawValue),
            "status": "lock-lost", "message": .string(lost.description),
        ]
        if let holder = lost.lost.holder { entry["lock_taken_by"] = .string(holder.runId) }
        if let backup = lost.backup { entry["backup"] = ["collection": .string(backup)] }
        try database.collection(collection).bulkWrite([.replaceOne(filter: ["_id": id], replacement: entry.merging(["_id": id]),
                                                                   upsert: true)])
    }

    /// The newest history entries first.
    /// How many rollback history entries the database holds.
    public static func count(in database: MongoDatabase) throws -> Int {
        try database.collection(collection).count(["type": "rollback"])
    }

    public static func entries(in database: MongoDatabase, limit: Int, step: Int? = nil) throws -> [BSONDocument] {
        var filter: BSONDocument = ["type": "rollback"]
        if let step { filter["step"] = .int32(Int32(step)) }
        return try database.collection(collection)
            .find(filter, options: FindOptions(sort: ["timestamp": -1, "_id": -1], limit: limit)).toArray()
    }

    /// Records a re-apply (mode `reapply`).
    public static func recordReapply(_ outcome: ReapplyOutcome, run: Run, in database: MongoDatabase) throws {
        var entry: BSONDocument = [
            "type": "rollback", "run_id": .string(run.id), "timestamp": .date(run.startedAt),
            "operator": .string(run.operator_), "step": .int32(Int32(outcome.step)), "mode": .string(RunMode.reapply.rawValue),
            "status": .string(outcome.conflicts == 0 ? "reapplied" : "reapplied-with-conflicts"),
            "backup": ["collection": .string(outcome.backups.first ?? "")],
            "backups": .array(outcome.backups.map(BSON.string)),
            "records_affected": ["restored": .int64(Int64(outcome.restored)), "unchanged": .int64(Int64(outcome.unchanged)),
                                 "conflicts": .int64(Int64(outcome.conflicts)),
                                 "indexes_restored": .int64(Int64(outcome.indexesRestored))],
            "conflict_samples": .array(outcome.conflictSamples.map(BSON.string)),
            "duration_seconds": .double(outcome.seconds),
        ]
        if let reason = run.reason { entry["reason"] = .string(reason) }
        try database.collection(collection).insertMany([entry])
    }
}

/// What a run does, as its history entries and evidence record it.
public enum RunMode: String, Codable, Sendable {
    /// `rollgate rollback`
    case execute
    /// `rollgate emergency`: goes on past a failed or refused step
    case emergency
    /// `rollgate plan`, `rollback --dry-run`
    case dryRun = "dry-run"
    case reapply
    /// `rollgate backups purge`
    case purge
}
