import Foundation
import Mongo
import Seed
import TestSupport
import Testing

/// The seeder writing into the real test server.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct SeederTests {
    static let asOf = ISO8601DateFormatter().date(from: "2026-11-29T00:00:00Z")!

    @Test func defectsStateIsFoundByDirectQueries() throws {
        try TestServer.withDatabase("seed_defects") { db in
            let configuration = SeedConfiguration(orders: 2_000, seed: 3, state: .defects, asOf: Self.asOf)
            let summary = try Seeder(configuration).run(on: db, drop: false)
            let defects = try #require(summary.defects)
            let k = configuration.defectsPerKind

            #expect(summary.documents[EarlyBirdSchema.orders] == 2_000)
            for (collection, count) in summary.documents {
                #expect(try db.collection(collection).count() == count, "\(collection)")
            }
            let orders = db.collection(EarlyBirdSchema.orders)
            let deliveries = db.collection(EarlyBirdSchema.deliveries)
            #expect(defects.oneTimeMissingSubscriptionId == k)
            #expect(try orders.count(["subscription_id": ["$exists": false], "status": "DELIVERED"]) == k)
            #expect(try orders.count(["id": ["$not": .regex(pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: "")]]) == k)
            #expect(try deliveries.count(["delivery_date": ["$gte": .date(Self.asOf.addingTimeInterval(86_400))]]) == k)
            let cancelled = try deliveries.aggregate([
                ["$lookup": ["from": "orders", "localField": "order_id", "foreignField": "id", "as": "order"]],
                ["$match": ["order.status": "CANCELLED"]], ["$count": "n"],
            ]).toArray()
            #expect(cancelled.first?["n"]?.int64Value == Int64(k))

            let indexed = try EarlyBirdSchema.dataCollections.flatMap { name in
                try db.collection(name).listIndexes().compactMap { $0["name"]?.stringValue }
                    .filter { $0 != "_id_" }.map { "\(name).\($0)" }
            }
            #expect(Set(indexed) == Set(summary.indexes))
            #expect(indexed.count == 7 && !indexed.contains("billing_records.period_date_-1"))
        }
    }

    @Test func appliedStateCreatesTheEightIndexes() throws {
        try TestServer.withDatabase("seed_applied") { db in
            let summary = try Seeder(SeedConfiguration(orders: 300, state: .applied, asOf: Self.asOf)).run(on: db, drop: false)
            #expect(summary.indexes.count == 8)
            #expect(try db.collection("delivery_statuses").listIndexes()
                .contains { $0["name"] == "customer_id_1_delivery_date_-1" && $0["key"] == ["customer_id": 1, "delivery_date": -1] })
        }
    }

    @Test func refusesANonEmptyDatabaseUnlessToldToDrop() throws {
        try TestServer.withDatabase("seed_refuse") { db in
            let seeder = Seeder(SeedConfiguration(orders: 200, state: .none, asOf: Self.asOf))
            try seeder.run(on: db, drop: false)
            try db.collection("admin").insertMany([["type": "rollback", "step": 23]])
            #expect(throws: SeedError.self) { try seeder.run(on: db, drop: false) }
            #expect(try db.collection("orders").count() == 200, "a refusal changes nothing")

            let again = try Seeder(SeedConfiguration(orders: 100, state: .applied, asOf: Self.asOf)).run(on: db, drop: true)
            #expect(try db.collection("orders").count() == 100)
            #expect(again.indexes.count == 8)
            #expect(try db.collection("admin").count() == 1, "--drop never touches the rollback history")
        }
    }
}
