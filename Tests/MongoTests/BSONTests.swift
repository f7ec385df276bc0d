import Foundation
@testable import Mongo
import TestSupport
import Testing

/// BSON ⇄ libbson and Extended JSON, without a server.
@Suite struct BSONTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomDocumentsRoundTripThroughLibbson(seed: UInt64) throws {
        var generator = RandomBSON(seed: seed)
        for _ in 0..<250 {
            let document = generator.document()
            let decoded = try OwnedBSON(document).decode()
            #expect(decoded == document, "seed \(seed)")
        }
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func randomDocumentsRoundTripThroughCanonicalExtendedJSON(seed: UInt64) throws {
        var generator = RandomBSON(seed: seed)
        for _ in 0..<250 {
            let document = generator.document()
            let text = try document.extendedJSON(.canonical)
            #expect(try BSONDocument(extendedJSON: text) == document, "\(text)")
        }
    }

    @Test func everyTypeRoundTripsExactly() throws {
        let document: BSONDocument = [
            "double": .double(130.5), "negativeZero": .double(-0.0), "nan": .double(.nan),
            "string": "दूध ₹130 \0 end", "empty": "",
            "document": ["nested": ["deeper": .int32(1)]],
            "array": [1, "two", [3], ["four": 4]],
            "binary": .binary(subtype: 4, data: Array(0...15)),
            "objectId": .objectId(ObjectId(hex: "65a1b2c3d4e5f60718293a4b")!),
            "bool": true, "datetime": .datetime(1_767_225_600_000), "null": nil,
            "int32": .int32(.min), "int64": .int64(.max),
            "decimal128": .decimal128(Decimal128("130.50")!),
            "regex": .regex(pattern: "^order-\\d+$", options: "i"),
            "timestamp": .timestamp(seconds: 1_767_225_600, increment: 7),
            "minKey": .minKey, "maxKey": .maxKey,
        ]
        let decoded = try OwnedBSON(document).decode()
        #expect(decoded == document)
        #expect(decoded.keys == document.keys, "field order is kept")
        // Exact equality tells -0.0 from 0.0 and int32 from int64.
        #expect(BSON.double(-0.0) != BSON.double(0.0))
        #expect(BSON.int32(1) != BSON.int64(1))
    }

    @Test func canonicalExtendedJSONMatchesTheSpecification() throws {
        let document: BSONDocument = [
            "n": .int32(1), "l": .int64(2), "d": .double(1.5), "when": .datetime(0),
            "amount": .decimal128(Decimal128("130.50")!), "id": .objectId(ObjectId(hex: "000102030405060708090a0b")!),
        ]
        let text = try document.extendedJSON(.canonical)
        #expect(text == #"{ "n" : { "$numberInt" : "1" }, "l" : { "$numberLong" : "2" }, "d" : { "$numberDouble" : "1.5" }, "when" : { "$date" : { "$numberLong" : "0" } }, "amount" : { "$numberDecimal" : "130.50" }, "id" : { "$oid" : "000102030405060708090a0b" } }"#)
        let relaxed = try document.extendedJSON(.relaxed)
        #expect(relaxed.contains(#""n" : 1"#))
        #expect(relaxed.contains(#""when" : { "$date" : "1970-01-01T00:00:00Z" }"#))
    }

    @Test func relaxedExtendedJSONParses() throws {
        let document = try BSONDocument(extendedJSON: #"{"status": "DELIVERED", "total_amount": 130.5, "n": 3, "when": {"$date": "2026-01-28T00:00:00Z"}}"#)
        #expect(document["status"] == "DELIVERED")
        #expect(document["total_amount"] == .double(130.5))
        #expect(document["n"] == .int32(3))
        #expect(document["when"]?.dateValue == ISO8601DateFormatter().date(from: "2026-01-28T00:00:00Z"))
    }

    @Test func invalidInputIsATypedError() {
        #expect(throws: MongoError.self) { try BSONDocument(extendedJSON: "{not json") }
        #expect(throws: MongoError.self) { try OwnedBSON(["bad\0key": 1]) }
        #expect(Decimal128("not a number") == nil)
        #expect(ObjectId(hex: "xyz") == nil)
    }

    @Test func dottedPathsReachIntoDocumentsAndArrays() {
        let document: BSONDocument = ["cursor": ["firstBatch": [["status": "full"], ["status": "partial"]]]]
        #expect(document.value(at: "cursor.firstBatch.1.status") == "partial")
        #expect(document.value(at: "cursor.firstBatch.2.status") == nil)
        #expect(document.value(at: "cursor.missing") == nil)
    }

    @Test func subscriptSetsReplacesAndRemoves() {
        var document: BSONDocument = ["a": 1, "b": 2]
        document["a"] = 10
        document["c"] = 3
        document["b"] = nil
        #expect(document.keys == ["a", "c"])
        #expect(document["a"] == 10)
    }

    @Test func numericAccessorsConvertOnlyExactly() {
        #expect(BSON.double(3.0).int64Value == 3)
        #expect(BSON.double(3.5).int64Value == nil)
        #expect(BSON.int32(7).doubleValue == 7)
        #expect(BSON.string("7").int64Value == nil)
    }

    /// BSONCore reads a decimal as a Double without libbson: the same Double as libbson's text read back, for the
    /// edges (zeros, NaN, infinities, 34 digits, the extreme exponents, coefficients past 10^34 and in the form past
    /// 2^113) and for random bit patterns.
    @Test func decimalsReadAsDoublesWithoutLibbsonAgree() throws {
        var generator = RandomBSON(seed: 17)
        var decimals = try ["0", "-0", "130.50", "-1E+3", "1E+6144", "-1.000000000000000000000000000000001E-6143",
                            "9999999999999999999999999999999999", "9999999999999999999999999999999999E+6111", "1E-6176",
                            "0.1", "123456789012345678901234567890.1234", "NaN", "Infinity", "-Infinity"]
            .map { try #require(Decimal128($0), "\($0)") }
        decimals.append(Decimal128(low: .max, high: 0x6000_0000_0000_0000))  // the form past 2^113: zero
        decimals.append(Decimal128(low: .max, high: 0x3041_FFFF_FFFF_FFFF))  // 2^113 - 1, 35 digits
        for _ in 0..<2_000 {
            decimals.append(Decimal128(low: UInt64.random(in: 0 ... .max, using: &generator.random),
                                       high: UInt64.random(in: 0 ... .max, using: &generator.random)))
        }
        for decimal in decimals {
            let mine = try #require(BSON.decimal128(decimal).doubleValue)
            let libbsons = try #require(Double(decimal.description), "\(decimal.description)")
            #expect(mine.bitPattern == libbsons.bitPattern || (mine.isNaN && libbsons.isNaN),
                    "\(decimal.description): \(mine) vs \(libbsons)")
        }
        #expect(BSON.decimal128(try #require(Decimal128("130.50"))).doubleValue == 130.5)
    }
}
