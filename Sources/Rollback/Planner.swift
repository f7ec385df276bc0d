import Catalog
import Findings
import Foundation
import Logging
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
            let throughputs = ThroughputCache(database: db)
            return try selected.sorted(by: >).map { number in
                var step = catalog.step(number)!
                step.rollback = step.rollback.resolved(now: options.now)
                return try StepPlanner(step: step, catalog: catalog, selected: selected, database: db,
                                options: options, throughputs: throughputs).plan()
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
    let throughputs: ThroughputCache

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
        let estimate = try estimateSeconds(operations: operations, backup: backup)
        return StepPlan(step: step.step, title: step.title, kind: step.kind.rawValue, operations: operations,
                        backup: backup, estimateSeconds: estimate, approval: step.approval?.rawValue,
                        recommended: step.rollback.recommended, notRecommendedReason: step.rollback.reason,
                        manual: step.rollback.manual, blockers: blockers,
                        impacts: try step.impact.map { try ImpactPricer(database: database, step: step, options: options).price($0) })
    }

    /// The executor's work on each collection: a count per operation, then (when something changes) a backup read, and
    /// a count per post-condition each read the whole collection; the backup copies the pre-images and the updates
    /// change those documents by `_id`. Named backups read their collection once and copy what they keep.
    private func estimateSeconds(operations: [PlannedOperation], backup: BackupEstimate) throws -> Double {
        let documentOperations = operations.filter { $0.type != "drop_index" }
        let changes = documentOperations.contains { $0.documents > 0 }
        var seconds = 0.0
        for collection in Set(documentOperations.map(\.collection)).sorted() {
            let onCollection = documentOperations.filter { $0.collection == collection }
            let verifications = step.rollback.verify.filter { $0.collection == collection }.count
            let scans = onCollection.count + verifications + (changes ? 1 : 0)
            seconds += try throughputs.seconds(
                on: collection, scans: scans, copied: changes ? backup.parts.first { $0.name == collection }?.documents ?? 0 : 0,
                changed: onCollection.reduce(0) { $0 + $1.documents })
        }
        for named in step.rollback.backups where changes && named.name != nil {
            let kept = backup.parts.first { $0.name == named.name }?.documents ?? 0
            seconds += try throughputs.seconds(on: named.collection, scans: 1, copied: kept, changed: 0)
        }
        return seconds + Double(operations.filter { $0.type == "drop_index" && $0.documents > 0 }.count) * 0.1
    }

    private func planned(_ operation: OperationRule) throws -> PlannedOperation {
        let start = ContinuousClock.now
        let planned = try PlannedOperation.counting(operation, in: database, timeout: options.timeout)
        if planned.type != "drop_index" { throughputs.recordScan(of: planned.collection, seconds: start.secondsElapsed) }
        return planned
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
            let applied = try dependent.rollback.resolved(now: options.now).operations.contains { operation in
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
        try database.collection(collection).count(filter, options: CountOptions(maxTime: options.timeout))
    }
}

/// How fast this server copies and updates documents like those of one collection, timed on a scratch collection
/// (`rollgate_calibration_<random>`, dropped at once) of 1,000 documents of the collection's mean size with its index
/// keys, because both costs grow with document size and index count. The real collection is only read.
struct Throughput {
    static let sample = 1_000
    var copyDocumentsPerSecond: Double
    var updateDocumentsPerSecond: Double

    static func measure(like collection: String, in database: MongoDatabase) throws -> Throughput {
        let real = database.collection(collection)
        let head = try real.aggregate([["$limit": 1_000],
                                       ["$group": ["_id": .null, "n": ["$sum": 1], "bytes": ["$sum": ["$bsonSize": "$$ROOT"]]]]])
            .toArray().first
        let headDocuments = Int(head?["n"]?.int64Value ?? 0)
        let meanBytes = headDocuments > 0 ? Int(head?["bytes"]?.int64Value ?? 0) / headDocuments : 200
        let indexes = try real.listIndexes().filter { $0["name"]?.stringValue != "_id_" }.compactMap { spec -> IndexModel? in
            guard let keys = spec["key"]?.documentValue, let name = spec["name"]?.stringValue else { return nil }
            return IndexModel(keys: keys, name: name)
        }

        let scratchName = "rollgate_calibration_\(UInt32.random(in: 0...UInt32.max))"
        let scratch = database.collection(scratchName)
        let copy = BackupStore(database: database, name: "\(scratchName)_copy")
        defer {
            try? scratch.drop()
            try? database.collection(copy.name).drop()
        }
        if !indexes.isEmpty { try scratch.createIndexes(indexes) }
        let padding = String(repeating: "x", count: max(meanBytes - 40, 1))
        try scratch.insertMany((0..<sample).map { n in ["n": .int32(Int32(n)), "payload": .string(padding)] })
        // As the executor does: read the documents, save them as backup entries, then change them by `_id`.
        var start = ContinuousClock.now
        let documents = try scratch.find([:], options: FindOptions(batchSize: BackupStore.batchSize)).toArray()
        _ = try copy.insert(documents.map { BackupStore.entry(of: $0, in: scratchName, batch: 1) })
        let copySeconds = start.secondsElapsed
        start = ContinuousClock.now
        let ids = documents.compactMap { $0["_id"] }
        try scratch.bulkWrite(stride(from: 0, to: ids.count, by: StepExecutor.idsPerStatement).map { from in
            .updateMany(filter: StepExecutor.restricted(["rollgate_calibration": ["$exists": false]],
                                                        to: Array(ids[from..<min(from + StepExecutor.idsPerStatement, ids.count)])),
                        update: ["$set": ["rollgate_calibration": true]], upsert: false)
        })
        let updateSeconds = start.secondsElapsed
        return Throughput(copyDocumentsPerSecond: Double(sample) / max(copySeconds, 0.001),
                          updateDocumentsPerSecond: Double(sample) / max(updateSeconds, 0.001))
    }
}

/// The plan's cost model, per collection: how long one read of the whole collection takes (timed on the plan's own
/// counts, which read it with the step's real filters), and the copy and update rates of `Throughput`, measured once
/// per collection when a step first needs them.
final class ThroughputCache {
    static let logger = Logger(label: "rollgate.plan")
    private let database: MongoDatabase
    private var measured: [String: Throughput] = [:]
    private var scanSeconds: [String: Double] = [:]

    init(database: MongoDatabase) { self.database = database }

    /// Records the time of a count over `collection`.
    func recordScan(of collection: String, seconds: Double) {
        scanSeconds[collection] = seconds
    }

    /// Seconds for `scans` reads of the whole collection, copying `copied` documents and changing `changed`.
    func seconds(on collection: String, scans: Int, copied: Int, changed: Int) throws -> Double {
        let throughput = try throughput(of: collection)
        let scan = try scanSeconds[collection] ?? {
            let start = ContinuousClock.now
            _ = try database.collection(collection).count(["rollgate_calibration": ["$exists": true]])
            return start.secondsElapsed
        }()
        scanSeconds[collection] = scan
        return Double(scans) * scan + Double(copied) / throughput.copyDocumentsPerSecond
            + Double(changed) / throughput.updateDocumentsPerSecond
    }

    private func throughput(of collection: String) throws -> Throughput {
        if let known = measured[collection] { return known }
        let throughput = try Throughput.measure(like: collection, in: database)
        Self.logger.debug("calibrated \(collection)", metadata: [
            "copy/s": "\(Int(throughput.copyDocumentsPerSecond))", "update/s": "\(Int(throughput.updateDocumentsPerSecond))",
            "scan s": "\(scanSeconds[collection].map { String($0) } ?? "not yet")"])
        measured[collection] = throughput
        return throughput
    }
}

extension PlannedOperation {
    /// An operation of a rule (placeholders resolved: `RollbackRule.resolved(now:)`) with the number of documents its
    /// filter matches now (for an index: 1 while it exists). The planner and the executor both count this way, so a
    /// plan's figure is what the rollback changes.
    public static func counting(_ operation: OperationRule, in database: MongoDatabase,
                                timeout: Duration = .seconds(300)) throws -> PlannedOperation {
        func count(_ collection: String, _ filter: BSONDocument) throws -> Int {
            try database.collection(collection).count(filter, options: CountOptions(maxTime: timeout))
        }
        switch operation {
        case let .unset(collection, filter, fields):
            return PlannedOperation(type: "unset", collection: collection,
                                    description: "$unset \(fields.joined(separator: ", ")) where \(filter.displayText)",
                                    documents: try count(collection, filter))
        case let .update(collection, filter, update):
            return PlannedOperation(type: "update", collection: collection,
                                    description: "\(update.displayText) where \(filter.displayText)",
                                    documents: try count(collection, filter))
        case let .dropIndex(collection, name):
            let exists = try database.collection(collection).listIndexes().contains { $0["name"]?.stringValue == name }
            return PlannedOperation(type: "drop_index", collection: collection, description: "drop index \(name)",
                                    documents: exists ? 1 : 0)
        }
    }
}
