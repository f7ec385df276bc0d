import Findings
import Foundation
import Mongo

/// What a seed run wrote.
public struct SeedSummary: Sendable, Codable, Equatable {
    public var database: String
    public var state: String
    public var seed: UInt64
    public var asOf: Date
    /// Documents inserted, by collection.
    public var documents: [String: Int]
    /// Index names created, as `collection.name`.
    public var indexes: [String]
    /// The defects planted (`defects` state only).
    public var defects: PlantedDefects?
    public var seconds: Double

    /// The summary for the terminal: the collections in the order the seeder fills them, a line per planted defect.
    public var report: SeedReport {
        SeedReport(database: database, state: state, seed: seed, asOf: asOf, seconds: seconds,
                   collections: EarlyBirdSchema.dataCollections.map { .init(collection: $0, documents: documents[$0] ?? 0) },
                   indexes: indexes, defects: defects?.lines)
    }
}

/// Refusals of the seeder.
public enum SeedError: Error, Equatable, CustomStringConvertible {
    /// The target already holds EarlyBird data and `--drop` was not given.
    case databaseNotEmpty(database: String, collection: String, documents: Int)

    public var description: String {
        switch self {
        case let .databaseNotEmpty(database, collection, documents):
            "database '\(database)' already holds \(documents) documents in '\(collection)'; " +
                "pass --drop to replace the EarlyBird collections"
        }
    }
}

/// Writes generated EarlyBird data into a database: checks it is empty (or drops the EarlyBird collections), inserts
/// in batches, then creates step 30's indexes.
public struct Seeder {
    public let configuration: SeedConfiguration

    public init(_ configuration: SeedConfiguration) { self.configuration = configuration }

    /// `progress` is called after each batch with orders written and orders in all.
    @discardableResult
    public func run(on database: MongoDatabase, drop: Bool,
                    progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> SeedSummary {
        let started = ContinuousClock.now
        if drop {
            for name in EarlyBirdSchema.dataCollections { try database.dropCollection(name) }
        } else {
            for name in EarlyBirdSchema.dataCollections {
                let existing = try database.collection(name).estimatedCount()
                if existing > 0 {
                    throw SeedError.databaseNotEmpty(database: database.name, collection: name, documents: existing)
                }
            }
        }

        var generator = EarlyBirdGenerator(configuration)
        var counts: [String: Int] = [:]
        func insert(_ documents: [BSONDocument], into collection: String) throws {
            var start = 0
            while start < documents.count {
                let end = min(documents.count, start + configuration.batchSize)
                counts[collection, default: 0] += try database.collection(collection)
                    .insertMany(Array(documents[start..<end]), ordered: false)
                start = end
            }
        }
        while let party = generator.nextPartyBatch(customers: configuration.batchSize) {
            for (collection, documents) in party { try insert(documents, into: collection) }
        }
        progress(0, configuration.orders)
        var written = 0
        while let batch = generator.nextBatch() {
            try insert(batch.orders, into: EarlyBirdSchema.orders)
            try insert(batch.deliveries, into: EarlyBirdSchema.deliveries)
            try insert(batch.billing, into: EarlyBirdSchema.billing)
            written += batch.orders.count
            progress(written, configuration.orders)
        }

        var indexes: [String] = []
        if configuration.state != .none {
            let missing = configuration.state == .defects ? EarlyBirdSchema.defectMissingIndex : nil
            for (collection, index) in EarlyBirdSchema.step30Indexes
            where !(collection == missing?.collection && index.name == missing?.name) {
                try database.collection(collection).createIndexes([index])
                indexes.append("\(collection).\(index.name!)")
            }
        }
        for name in EarlyBirdSchema.dataCollections where counts[name] == nil { counts[name] = 0 }

        return SeedSummary(
            database: database.name, state: configuration.state.rawValue, seed: configuration.seed,
            asOf: configuration.asOf, documents: counts, indexes: indexes,
            defects: configuration.state == .defects ? generator.defects : nil,
            seconds: started.secondsElapsed)
    }
}
