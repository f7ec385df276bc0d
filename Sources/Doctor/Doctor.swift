import Catalog
import Findings
import Foundation
import Mongo

/// Checks a server for what RollGate needs: reachable, version 5.0 or newer, transactions, `$out`, `$merge`,
/// `explain` with execution statistics. Feature checks run for real in scratch collections named
/// `rollgate_doctor_<random>`, which are dropped afterwards.
public enum Doctor {
    /// The whole check as `rollgate doctor` runs it: the collections of the procedure file of `catalog` (loaded from
    /// `location`; nil when it could not be read) and RollGate's `ownCollections`, and the catalog's place and SHA-256.
    public static func examine(_ client: MongoClient, database: String, server: String, catalog location: CatalogLocation?,
                               loaded catalog: Catalog?, ownCollections: [String]) throws(MongoError) -> DoctorReport {
        let collections = (catalog?.procedure.collections ?? []) + ownCollections
        var report = try examine(client, database: database, collections: collections)
        report.server = server
        if let location {
            report.catalog = "\(location.directory.relativePath) (\(location.origin.rawValue))"
            report.catalogSHA256 = Catalog.fingerprint(directory: location.directory)
        }
        return report
    }

    /// Throws `MongoError` when the server cannot be reached at all; everything else becomes a feature row. The report
    /// counts the documents and indexes of `collections` (the procedure file's, and RollGate's own).
    public static func examine(_ client: MongoClient, database name: String,
                               collections: [String]) throws(MongoError) -> DoctorReport {
        try client.ping()
        let build = try client.buildInfo()
        let hello = try client.hello()
        let version = build["version"]?.stringValue ?? "unknown"
        let topology: String = if let set = hello["setName"]?.stringValue {
            "replica set \"\(set)\""
        } else if hello["msg"]?.stringValue == "isdbgrid" {
            "sharded (mongos)"
        } else {
            "standalone"
        }

        let database = client.database(name)
        let scratch = "rollgate_doctor_\(UInt32.random(in: 0...UInt32.max))"
        defer {
            for suffix in ["", "_out", "_merge"] { try? database.dropCollection(scratch + suffix) }
        }

        var features = [versionFeature(version)]
        features.append(check("write") {
            try database.collection(scratch).insertMany([["n": 1], ["n": 2]])
            return "inserted into scratch collection \(scratch)"
        })
        features.append(check("transactions") {
            guard topology != "standalone" else {
                throw DoctorProblem("a standalone server has no transactions; rollbacks fall back to batches")
            }
            let session = try client.startSession()
            try session.withTransaction { session in
                try database.collection(scratch).insertMany([["n": 3]], session: session)
            }
            return "committed a transaction"
        })
        features.append(check("$out") {
            _ = try database.collection(scratch).aggregate([["$out": .string(scratch + "_out")]]).toArray()
            return "\(try database.collection(scratch + "_out").count()) documents written by $out"
        })
        features.append(check("$merge") {
            _ = try database.collection(scratch).aggregate([
                ["$merge": ["into": .string(scratch + "_merge"), "whenMatched": "replace"]],
            ]).toArray()
            return "\(try database.collection(scratch + "_merge").count()) documents written by $merge"
        })
        features.append(check("explain") {
            let explain = try database.collection(scratch).explainFind(["n": 1])
            guard let stats = explain["executionStats"]?.documentValue else {
                throw DoctorProblem("explain returned no executionStats")
            }
            return "executionStats with \(stats["totalDocsExamined"]?.int64Value ?? 0) documents examined"
        })

        var facts: [DoctorReport.CollectionFacts] = []
        let existing = Set(try database.collectionNames())
        for collection in collections {
            let handle = database.collection(collection)
            let exists = existing.contains(collection)
            facts.append(.init(name: collection, exists: exists,
                               documents: exists ? try handle.estimatedCount() : 0,
                               indexes: exists ? try handle.listIndexes().count : 0))
        }
        return DoctorReport(server: "", version: version, topology: topology, features: features,
                            database: name, collections: facts)
    }

    private static func versionFeature(_ version: String) -> DoctorReport.Feature {
        let major = Int(version.split(separator: ".").first ?? "") ?? 0
        return .init(name: "server version", available: major >= 5,
                     detail: major >= 5 ? "\(version) (5.0 or newer needed)" : "\(version) is older than 5.0")
    }

    private static func check(_ name: String, _ body: () throws -> String) -> DoctorReport.Feature {
        do {
            return .init(name: name, available: true, detail: try body())
        } catch {
            return .init(name: name, available: false, detail: "\(error)")
        }
    }
}

struct DoctorProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
