import Audit
import Catalog
import Findings
import Foundation
import Mongo

/// How a plan is measured.
public struct PlanOptions: Sendable {
    /// "Now" for placeholders and for the revenue windows (last 30 days, last six months).
    public var now: Date
    /// Timed runs of each step-30 query with its index, and with a forced collection scan.
    public var indexedRuns: Int
    public var scanRuns: Int
    public var timeout: Duration

    public init(now: Date = Date(), indexedRuns: Int = 5, scanRuns: Int = 2, timeout: Duration = .seconds(300)) {
        self.now = now
        self.indexedRuns = indexedRuns
        self.scanRuns = scanRuns
        self.timeout = timeout
    }
}

/// The dry run: for each step, in the order a rollback would take them (highest first), what would change, what the
/// backup would hold, what it costs, and what stands in the way. Reads only; the one write is a throughput
/// calibration in a scratch collection (`rollgate_calibration_<random>`) that is dropped at once.
public struct Planner: Sendable {
    public let catalog: Catalog
    public let pool: MongoPool
    public let database: String
    public let options: PlanOptions

    public init(catalog: Catalog, pool: MongoPool, database: String, options: PlanOptions = PlanOptions()) {
        self.catalog = catalog
        self.pool = pool
        self.database = database
        self.options = options
    }

    public func plan(steps selected: [Int]) async throws -> [StepPlan] {
        let (catalog, database, options) = (catalog, database, options)
        return try await pool.run { client in
            let db = client.database(database)
            let throughput = try Throughput.measure(db)
            return try selected.sorted(by: >).map { number in
                try StepPlanner(step: catalog.step(number)!, catalog: catalog, selected: selected, database: db,
                                options: options, throughput: throughput).plan()
            }
        }
    }
}

/// Plans one step.
struct StepPlanner {
    let step: StepRule
    let catalog: Catalog
    let selected: [Int]
    let database: MongoDatabase
    let options: PlanOptions
    let throughput: Throughput

    func plan() throws -> StepPlan {
        let operations = try step.rollback.operations.map(planned)
        let backup = try backupEstimate()
        var blockers: [String] = []
        if let approval = step.approval {
            blockers.append("needs the approval of \(approval) (an approval file for step \(step.step))")
        }
        if !step.rollback.recommended {
            blockers.append("not recommended: \(step.rollback.reason ?? "the guide advises against it") (needs --force)")
        }
        blockers += try brokenDependencies()
        let changed = operations.filter { $0.type != "drop_index" }.reduce(0) { $0 + $1.documents }
        let drops = operations.filter { $0.type == "drop_index" && $0.documents > 0 }.count
        let estimate = throughput.seconds(backupDocuments: backup.documents, backupBytes: backup.bytes,
                                          changedDocuments: changed, indexDrops: drops)
        return StepPlan(step: step.step, title: step.title, kind: step.kind.rawValue, operations: operations,
                        backup: backup, estimateSeconds: estimate, approval: step.approval?.rawValue,
                        recommended: step.rollback.recommended, notRecommendedReason: step.rollback.reason,
                        manual: step.rollback.manual, blockers: blockers,
                        impacts: try step.impact.map { try ImpactPricer(database: database, step: step, options: options).price($0) })
    }

    private func planned(_ operation: OperationRule) throws -> PlannedOperation {
        try PlannedOperation.counting(operation, in: database, now: options.now, timeout: options.timeout)
    }

    /// The full pre-image of every document the operations change (one part per collection), the backups the guide
    /// names, and index specifications for index steps.
    private func backupEstimate() throws -> BackupEstimate {
        var parts: [BackupEstimate.Part] = []
        let documentOperations = step.rollback.operations.compactMap { operation -> (String, BSONDocument)? in
            switch operation {
            case .unset(let c, let f, _), .update(let c, let f, _): (c, f)
            case .dropIndex: nil
            }
        }
        for (collection, filters) in Dictionary(grouping: documentOperations, by: \.0).sorted(by: { $0.key < $1.key }) {
            let filter: BSONDocument = filters.count == 1 ? filters[0].1 : ["$or": .array(filters.map { .document($0.1) })]
            let (documents, bytes) = try size(collection, filter: filter, projection: nil)
            parts.append(.init(name: collection, documents: documents, bytes: bytes))
        }
        for backup in step.rollback.backups {
            if backup.indexes {
                let specs = try database.collection(backup.collection).listIndexes()
                parts.append(.init(name: "\(backup.collection) index specifications", documents: specs.count,
                                   bytes: specs.reduce(0) { $0 + ((try? $1.extendedJSON(.canonical).utf8.count) ?? 0) }))
            } else if let name = backup.name {
                let (documents, bytes) = try size(backup.collection, filter: backup.filter, projection: backup.projection)
                parts.append(.init(name: name, documents: documents, bytes: bytes))
            }
        }
        return BackupEstimate(parts: parts)
    }

    private func size(_ collection: String, filter: BSONDocument, projection: BSONDocument?) throws -> (Int, Int) {
        var pipeline: [BSON] = [["$match": .document(filter)]]
        if let projection { pipeline.append(["$project": .document(projection)]) }
        pipeline.append(["$group": ["_id": .null, "n": ["$sum": 1], "bytes": ["$sum": ["$bsonSize": "$$ROOT"]]]])
        let row = try database.collection(collection)
            .aggregate(pipeline, options: AggregateOptions(allowDiskUse: true, maxTime: options.timeout)).toArray().first
        return (Int(row?["n"]?.int64Value ?? 0), Int(row?["bytes"]?.int64Value ?? 0))
    }

    /// Steps that rely on this one, are not being rolled back, and are still applied.
    private func brokenDependencies() throws -> [String] {
        try catalog.dependents(of: step.step).filter { !selected.contains($0.step) }.compactMap { dependent in
            let applied = try dependent.rollback.operations.contains { operation in
                switch operation {
                case .unset(let c, let f, _), .update(let c, let f, _): try count(c, f) > 0
                case .dropIndex: false
                }
            }
            guard applied else { return nil }
            return "step \(dependent.step) (\(dependent.title)) depends on step \(step.step) and stays applied: "
                + "roll it back too (\(dependent.step),\(step.step)) or it loses what it relies on"
        }
    }

    private func count(_ collection: String, _ filter: BSONDocument) throws -> Int {
        try database.collection(collection).count(Placeholder.resolve(filter, now: options.now),
                                                  options: CountOptions(maxTime: options.timeout))
    }
}

/// How fast this server backs up and updates, measured on a scratch collection of 2,000 documents.
struct Throughput {
    var insertsPerSecond: Double
    var updatesPerSecond: Double
    var scanBytesPerSecond: Double

    static func measure(_ database: MongoDatabase) throws -> Throughput {
        let scratch = database.collection("rollgate_calibration_\(UInt32.random(in: 0...UInt32.max))")
        defer { try? scratch.drop() }
        let documents: [BSONDocument] = (0..<2_000).map { n in
            ["id": .string(UUID().uuidString), "n": .int32(Int32(n)), "payload": .string(String(repeating: "x", count: 300))]
        }
        var start = ContinuousClock.now
        try scratch.insertMany(documents)
        let insert = start.secondsElapsed
        start = ContinuousClock.now
        let scanned = try scratch.aggregate([["$group": ["_id": .null, "bytes": ["$sum": ["$bsonSize": "$$ROOT"]]]]])
            .toArray().first?["bytes"]?.int64Value ?? 0
        let scan = start.secondsElapsed
        start = ContinuousClock.now
        try scratch.updateMany(["n": ["$gte": 0]], ["$unset": ["payload": ""]])
        let update = start.secondsElapsed
        return Throughput(insertsPerSecond: 2_000 / max(insert, 0.001), updatesPerSecond: 2_000 / max(update, 0.001),
                          scanBytesPerSecond: Double(scanned) / max(scan, 0.001))
    }

    /// Backup: read the pre-images, write them; then the operations.
    func seconds(backupDocuments: Int, backupBytes: Int, changedDocuments: Int, indexDrops: Int) -> Double {
        Double(backupBytes) / scanBytesPerSecond + Double(backupDocuments) / insertsPerSecond
            + Double(changedDocuments) / updatesPerSecond + Double(indexDrops) * 0.1
    }

}


extension PlannedOperation {
    /// An operation of a rule with the number of documents its filter matches now (for an index: 1 while it exists).
    /// The planner and the executor both count this way, so a plan's figure is what the rollback changes.
    public static func counting(_ operation: OperationRule, in database: MongoDatabase, now: Date = Date(),
                         timeout: Duration = .seconds(300)) throws -> PlannedOperation {
        func count(_ collection: String, _ filter: BSONDocument) throws -> Int {
            try database.collection(collection).count(Placeholder.resolve(filter, now: now), options: CountOptions(maxTime: timeout))
        }
        switch operation {
        case let .unset(collection, filter, fields):
            return PlannedOperation(type: "unset", collection: collection,
                                    description: "$unset \(fields.joined(separator: ", ")) where \(describe(filter))",
                                    documents: try count(collection, filter))
        case let .update(collection, filter, update):
            return PlannedOperation(type: "update", collection: collection,
                                    description: "\(describe(update)) where \(describe(filter))",
                                    documents: try count(collection, filter))
        case let .dropIndex(collection, name):
            let exists = try database.collection(collection).listIndexes().contains { $0["name"]?.stringValue == name }
            return PlannedOperation(type: "drop_index", collection: collection, description: "drop index \(name)",
                                    documents: exists ? 1 : 0)
        }
    }
}
