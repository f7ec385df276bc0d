import Catalog
import Findings
import Foundation
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

    /// Pointed at a catalog, the doctor lists the procedure file's collections then RollGate's own, and names the
    /// catalog and its SHA-256; without one (or with an unreadable one), only RollGate's own.
    @Test func theCatalogNamesTheCollectionsAndItsFingerprint() throws {
        let checks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("checks")
        let location = CatalogLocation(directory: checks, origin: .flag)
        let procedure = try location.load().procedure.collections
        #expect(!procedure.isEmpty)
        try TestServer.withDatabase("doctor") { db in
            let report = try Doctor.examine(db.client, database: db.name, server: "mongodb://host", catalog: location,
                                            loaded: try location.load(), ownCollections: ["admin"])
            #expect(report.collections.map(\.name) == procedure + ["admin"])
            #expect(report.server == "mongodb://host")
            #expect(report.catalog == "\(checks.relativePath) (--checks)")
            #expect(report.catalogSHA256 == Catalog.fingerprint(directory: checks))
            let unreadable = CatalogLocation(directory: checks.appendingPathComponent("missing"), origin: .flag)
            for missing in [nil, unreadable] {
                let bare = try Doctor.examine(db.client, database: db.name, server: "s", catalog: missing,
                                              loaded: try? missing?.load(), ownCollections: ["admin"])
                #expect(bare.collections.map(\.name) == ["admin"])
                #expect((bare.catalog != nil) == (missing != nil), "a catalog it was pointed at is named even when unreadable")
            }
        }
    }
}
