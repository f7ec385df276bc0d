import Foundation
import Mongo
import TestSupport
import Testing

/// Every operation of the Mongo module against the real test server.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct MongoOperationTests {
    static let orders: [BSONDocument] = (0..<50).map { (n: Int) -> BSONDocument in
        let status: BSON = n % 3 == 0 ? "DELIVERED" : "PENDING"
        var order = BSONDocument()
        order["id"] = .string("o\(n)")
        order["customer_id"] = .string("c\(n % 5)")
        order["status"] = status
        order["total_amount"] = .double(Double(100 + n))
        order["n"] = .int32(Int32(n))
        return order
    }

    @Test func pingAndBuildInfo() throws {
        try TestServer.pool().withClient { client in
            try client.ping()
            let version = try client.buildInfo()["version"]?.stringValue
            #expect(version?.isEmpty == false)
        }
    }

    @Test func randomDocumentsRoundTripThroughTheServer() throws {
        try TestServer.withDatabase("roundtrip") { db in
            var generator = RandomBSON(seed: 99)
            var originals: [BSONDocument] = []
            for n in 0..<300 {
                var document: BSONDocument = ["_id": .int32(Int32(n))]
                for (key, value) in generator.document() { document.append(key, value) }
                originals.append(document)
            }
            #expect(try db.collection("docs").insertMany(originals) == 300)
            let stored = try db.collection("docs").find([:], options: FindOptions(sort: ["_id": 1])).toArray()
            #expect(stored.count == originals.count)
            for (original, back) in zip(originals, stored) { #expect(original == back) }
        }
    }

    @Test func countFindAndProjection() throws {
        try TestServer.withDatabase("find") { db in
            let orders = db.collection("orders")
            try orders.insertMany(Self.orders)
            #expect(try orders.count() == 50)
            #expect(try orders.count(["status": "DELIVERED"]) == 17)
            #expect(try orders.count(["status": "DELIVERED"], options: CountOptions(limit: 5)) == 5)

            let page = try orders.find(["customer_id": "c1"], options: FindOptions(
                projection: ["_id": 0, "id": 1, "n": 1], sort: ["n": -1], limit: 3, skip: 1)).toArray()
            #expect(page.map { $0["n"] } == [.int32(41), .int32(36), .int32(31)])
            #expect(page.allSatisfy { $0.keys == ["id", "n"] })
        }
    }

    @Test func cursorStreamsPastTheFirstBatch() throws {
        try TestServer.withDatabase("stream") { db in
            let docs: [BSONDocument] = (0..<2_500).map { ["n": .int32(Int32($0))] }
            try db.collection("many").insertMany(docs)
            var seen = 0
            try db.collection("many").find([:], options: FindOptions(batchSize: 100)).forEach { _ in seen += 1 }
            #expect(seen == 2_500)
        }
    }

    @Test func aggregateGroupsAndWritesWithOut() throws {
        try TestServer.withDatabase("aggregate") { db in
            let orders = db.collection("orders")
            try orders.insertMany(Self.orders)
            let totals = try orders.aggregate([
                ["$match": ["status": "DELIVERED"]],
                ["$group": ["_id": .null, "sum": ["$sum": "$total_amount"], "n": ["$sum": 1]]],
            ]).toArray()
            let expected = Self.orders.filter { $0["status"] == "DELIVERED" }.compactMap { $0["total_amount"]?.doubleValue }
            #expect(totals.first?["sum"]?.doubleValue == expected.reduce(0, +))
            #expect(totals.first?["n"]?.int64Value == 17)

            _ = try orders.aggregate([["$match": ["status": "PENDING"]], ["$out": "pending_backup"]]).toArray()
            #expect(try db.collection("pending_backup").count() == 33)
        }
    }

    @Test func updateManyWithDocumentAndPipeline() throws {
        try TestServer.withDatabase("update") { db in
            let orders = db.collection("orders")
            try orders.insertMany(Self.orders)
            let unset = try orders.updateMany(["status": "DELIVERED"], ["$unset": ["total_amount": ""]])
            #expect(unset.matched == 17 && unset.modified == 17)
            #expect(try orders.count(["total_amount": ["$exists": false]]) == 17)

            let pipeline = try orders.updateMany(["status": "PENDING"], [
                ["$set": ["double_n": ["$multiply": ["$n", 2]]]], ["$unset": "customer_id"],
            ])
            #expect(pipeline.modified == 33)
            #expect(try orders.count(["customer_id": ["$exists": true]]) == 17)
            let sample = try orders.find(["id": "o1"]).next()
            #expect(sample?["double_n"]?.int64Value == 2)
        }
    }

    @Test func bulkWriteMixesOperations() throws {
        try TestServer.withDatabase("bulk") { db in
            let orders = db.collection("orders")
            try orders.insertMany(Self.orders)
            let result = try orders.bulkWrite([
                .insertOne(["id": "new"]),
                .updateOne(filter: ["id": "o0"], update: ["$set": ["status": "CANCELLED"]]),
                .updateMany(filter: ["customer_id": "c4"], update: ["$set": ["flag": true]]),
                .replaceOne(filter: ["id": "o2"], replacement: ["id": "o2", "replaced": true]),
                .deleteOne(filter: ["id": "o3"]),
                .deleteMany(filter: ["customer_id": "c3"]),
                .updateOne(filter: ["id": "upserted"], update: ["$set": ["x": 1]], upsert: true),
            ])
            #expect(result.inserted == 1)
            #expect(result.matched == 1 + 10 + 1)
            #expect(result.deleted == 1 + 9)   // o3 is c3 too: deleteOne took it, deleteMany the other nine
            #expect(result.upserted == 1)
            #expect(try orders.count() == 50 + 1 - 10 + 1)
        }
    }

    @Test func indexesAreCreatedListedExplainedAndDropped() throws {
        try TestServer.withDatabase("indexes") { db in
            let orders = db.collection("orders")
            try orders.insertMany(Self.orders)
            try orders.createIndexes([
                IndexModel(keys: ["customer_id": 1]),
                IndexModel(keys: ["customer_id": 1, "n": -1], options: ["partialFilterExpression": ["status": "DELIVERED"]]),
            ])
            let names = try orders.listIndexes().compactMap { $0["name"]?.stringValue }
            #expect(Set(names) == ["_id_", "customer_id_1", "customer_id_1_n_-1"])
            let partial = try orders.listIndexes().first { $0["name"] == "customer_id_1_n_-1" }
            #expect(partial?["partialFilterExpression"] == ["status": "DELIVERED"])

            let indexed = try orders.explainFind(["customer_id": "c2"], options: FindOptions(hint: "customer_id_1"))
            #expect(Self.stages(of: indexed).contains("IXSCAN"))
            #expect(indexed.value(at: "executionStats.nReturned")?.int64Value == 10)
            let scanned = try orders.explainFind(["customer_id": "c2"], options: FindOptions(hint: ["$natural": 1]))
            #expect(Self.stages(of: scanned).contains("COLLSCAN"))
            #expect(scanned.value(at: "executionStats.totalDocsExamined")?.int64Value == 50)

            try orders.dropIndex("customer_id_1")
            #expect(try orders.listIndexes().count == 2)
            #expect(throws: MongoError.self) { try orders.dropIndex("no_such_index") }
        }
    }

    @Test func collectionsAreListedRenamedAndDropped() throws {
        try TestServer.withDatabase("collections") { db in
            try db.collection("a").insertMany([["x": 1]])
            try db.collection("b").insertMany([["x": 2]])
            #expect(try db.collectionNames() == ["a", "b"])
            try db.collection("a").rename(to: "c")
            #expect(try db.collectionNames() == ["b", "c"])
            try db.collection("b").drop()
            try db.collection("never_existed").drop()
            #expect(try db.collectionNames() == ["c"])
            #expect(try db.collection("missing").listIndexes().isEmpty)
        }
    }

    @Test func genericCommandsAndEstimatedCount() throws {
        try TestServer.withDatabase("command") { db in
            try db.collection("orders").insertMany(Self.orders)
            let stats = try db.runCommand(["collStats": "orders"], kind: .read)
            #expect(stats["count"]?.int64Value == 50)
            #expect(try db.collection("orders").estimatedCount() == 50)
            #expect(throws: MongoError.self) { try db.runCommand(["noSuchCommand": 1]) }
        }
    }

    @Test func transactionsCommitAndAbort() throws {
        try TestServer.withDatabase("txn") { db in
            let orders = db.collection("orders")
            try orders.insertMany([["id": "seed"]])  // a transaction cannot create its collection on every server
            let session = try db.client.startSession()
            let committed = try session.withTransaction { session in
                try orders.insertMany([["id": "t1"], ["id": "t2"]], session: session)
            }
            #expect(committed == 2)
            #expect(try orders.count() == 3)

            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try session.withTransaction { session in
                    try orders.updateMany([:], ["$set": ["touched": true]], session: session)
                    throw Boom()
                }
            }
            #expect(try orders.count(["touched": true]) == 0, "an aborted transaction leaves nothing behind")
        }
    }

    @Test func poolServesConcurrentTasks() async throws {
        let pool = try TestServer.pool()
        let name = TestServer.freshDatabase("concurrent")
        defer { pool.withClient { _ = try? $0.database(name).runCommand(["dropDatabase": 1], kind: .write) } }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<16 {
                group.addTask {
                    try await pool.run { client in
                        let docs: [BSONDocument] = (0..<25).map { ["task": .int32(Int32(task)), "n": .int32(Int32($0))] }
                        return try client.database(name).collection("c").insertMany(docs)
                    }
                }
            }
            var inserted = 0
            for try await n in group { inserted += n }
            #expect(inserted == 400)
        }
        let counted = try await pool.run { try $0.database(name).collection("c").count() }
        #expect(counted == 400)
    }

    /// Every `stage` named anywhere in an explain output (plans nest, and sharded plans sit under `shards`).
    static func stages(of explain: BSONDocument) -> [String] {
        var found: [String] = []
        func walk(_ value: BSON) {
            switch value {
            case .document(let doc):
                if let stage = doc["stage"]?.stringValue { found.append(stage) }
                doc.elements.forEach { walk($0.value) }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(.document(explain))
        return found
    }
}
