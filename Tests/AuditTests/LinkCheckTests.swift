@testable import Audit
import Catalog
import Findings
import Mongo
import TestSupport
import Testing

/// Step 21's link check: the merge of the two sorted record streams, and the check against broken links on the server.
struct LinkMergeTests {
    static func stream(_ records: [(String, Int, String?)]) throws -> LinkStream {
        try LinkStream(records.map { key, type, other in
            ["k": .string(key), "t": .int32(Int32(type)), "o": other.map(BSON.string) ?? .null]
        })
    }

    @Test func countsEachKindOfBrokenLinkOnce() throws {
        // Left: a1 → c1 (agrees), a2 unlinked, a3 → c9 (no such right), a4 → c4 (c4 points at a1).
        // Right: c1 → a1, c4 → a1, c5 → a7 (no such left).
        let left = try Self.stream([("La1", 0, "c1"), ("La2", 0, nil), ("La3", 0, "c9"), ("La4", 0, "c4"),
                                ("Rc1", 1, "a1"), ("Rc4", 1, "a4"), ("Rc9", 1, "a3")])
        let right = try Self.stream([("La1", 1, "c1"), ("La1", 1, "c4"), ("La7", 1, "c5"),
                                 ("Rc1", 0, "a1"), ("Rc4", 0, "a1"), ("Rc5", 0, "a7")])
        let tally = try LinkCheck.merge(left, right)
        // a4 → c4 whose link is a1; c4 → a1 whose link is c1: two mismatches.
        #expect(tally == LinkCheck.Tally(leftEntities: 4, rightEntities: 3, leftUnlinked: 1, leftDangling: 1,
                                         rightDangling: 1, mismatched: 2))
    }

    @Test func keysAreComparedAsBytesAndMustArriveInOrder() throws {
        // "e" + combining acute and the precomposed "é" are one String to Swift but two ids to MongoDB's simple
        // collation, which sorts them by their UTF-8 bytes (0x65 0xCC 0x81 before 0xC3 0xA9).
        let sorted = try LinkCheck.merge(Self.stream([("Le\u{301}", 0, "x"), ("L\u{e9}", 0, "y")]), Self.stream([]))
        #expect(sorted.leftEntities == 2)
        #expect(throws: LinkOrderError.self) {
            try LinkCheck.merge(Self.stream([("La", 0, "y"), ("LZ", 0, "x")]), Self.stream([]))  // "Z" is 0x5A
        }
    }
}

@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct LinkCheckServerTests {
    @Test func brokenLinksAreCountedExactly() async throws {
        try await AuditTests.withSeeded(.applied, orders: 600) { pool, database, _ in
            let catalog = try Catalog.load(directory: AuditTests.checks)
            let before = try await Self.linkFinding(catalog, pool, database)
            #expect(before.verdict == .passed, "\(before.measured) \(before.message)")
            let checked = try #require(before.figures["checked"])
            #expect(checked > 0)

            try await pool.run { client in
                let db = client.database(database)
                let users = try db.collection("users").find(["role": "customer"], options: FindOptions(
                    projection: ["_id": 0, "id": 1, "customer_v2_id": 1], sort: ["id": 1], limit: 4)).toArray()
                let ids = users.compactMap { $0["id"]?.stringValue }, links = users.compactMap { $0["customer_v2_id"]?.stringValue }
                try #require(ids.count == 4 && links.count == 4)
                let userCollection = db.collection("users"), customers = db.collection("customers_v2")
                // 1. a user loses its link: unlinked, and its customer points at a user that does not point back.
                _ = try userCollection.updateMany(["id": .string(ids[0])], ["$unset": ["customer_v2_id": ""]])
                // 2. a user points at no customer: dangling, and its customer's link is not returned.
                _ = try userCollection.updateMany(["id": .string(ids[1])], ["$set": ["customer_v2_id": "no-such-customer"]])
                // 3. a customer points at no user: dangling, and its user's link is not returned.
                _ = try customers.updateMany(["id": .string(links[2])], ["$set": ["user_id": "no-such-user"]])
                // 4. a customer changes id: its user now dangles, and the renamed customer is not pointed back at.
                _ = try customers.updateMany(["id": .string(links[3])], ["$set": ["id": "renamed-customer"]])
            }
            let after = try await Self.linkFinding(catalog, pool, database)
            #expect(after.verdict == .failed)
            #expect(after.figures == ["checked": checked, "unlinked": 1, "dangling": 3, "mismatched": 4])
            #expect(after.measured == "1 users without customer_v2_id; 2 users.customer_v2_id pointing at no customers_v2; "
                + "1 customers_v2.user_id pointing at no users; 4 links that do not point back")
        }
    }

    static func linkFinding(_ catalog: Catalog, _ pool: MongoPool, _ database: String) async throws -> Finding {
        let steps = try await Auditor(catalog: catalog, pool: pool, database: database,
                                      options: AuditOptions(expectation: .applied)).run(steps: [21])
        return try #require(steps.flatMap(\.findings).first { $0.check == "link-agrees-both-ways" })
    }
}
