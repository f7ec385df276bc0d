import Findings
import Doctor
import Mongo
import TestSupport
import Testing

@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct DoctorTests {
    @Test func reportsFeaturesAndCollectionsAndCleansUp() throws {
        try TestServer.withDatabase("doctor") { db in
            try db.collection("orders").insertMany([["id": "a"], ["id": "b"]])
            try db.collection("orders").createIndexes([IndexModel(keys: ["customer_id": 1])])
            let report = try Doctor.examine(db.client, database: db.name, collections: ["users", "orders", "admin"])
            #expect(report.healthy, "\(report.features)")
            #expect(Set(report.features.map(\.name)) == ["server version", "write", "transactions", "$out", "$merge", "explain"])
            let orders = report.collections.first { $0.name == "orders" }
            #expect(orders?.exists == true && orders?.documents == 2 && orders?.indexes == 2)
            #expect(report.collections.first { $0.name == "users" }?.exists == false)
            #expect(report.collections.map(\.name) == ["users", "orders", "admin"], "the collections asked for, in order")
            #expect(try db.collectionNames() == ["orders"], "scratch collections are dropped")
        }
    }
}
