import Mongo
import Seed

/// Random BSON documents covering every type RollGate reads, for property-style round-trip tests.
public struct RandomBSON {
    public var random: SeededRandom

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    public mutating func document(depth: Int = 3, maxFields: Int = 8) -> BSONDocument {
        var doc = BSONDocument()
        for index in 0..<random.int(0...maxFields) {
            doc.append("f\(index)_\(key())", value(depth: depth))
        }
        return doc
    }

    public mutating func value(depth: Int) -> BSON {
        let kinds = depth > 0 ? 16 : 14
        switch random.int(0...(kinds - 1)) {
        case 0: return .double(double())
        case 1: return .string(string())
        case 2: return .binary(subtype: random.pick([0, 4, 5, 0x80]), data: (0..<random.int(0...24)).map { _ in
                UInt8(random.int(0...255)) })
        case 3: return .objectId(ObjectId(bytes: (0..<12).map { _ in UInt8(random.int(0...255)) })!)
        case 4: return .bool(random.chance(0.5))
        case 5: return .datetime(Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &random))
        case 6: return .null
        case 7: return .int32(Int32.random(in: .min ... .max, using: &random))
        case 8: return .int64(random.chance(0.2) ? random.pick([.min, .max, 0]) : Int64.random(in: .min ... .max, using: &random))
        case 9: return .decimal128(Decimal128(random.pick(["0", "-0", "130.50", "1E+6144", "-1.000000000000000000000000000000001E-6143",
                                                         "9999999999999999999999999999999999", "NaN", "Infinity", "-Infinity",
                                                         "\(random.int(-99_999...99_999)).\(random.int(0...99))"]))!)
        case 10: return .regex(pattern: string().filter { $0 != "\0" }, options: regexOptions())
        case 11: return .timestamp(seconds: UInt32.random(in: 0 ... .max, using: &random),
                                   increment: UInt32.random(in: 0 ... .max, using: &random))
        case 12: return random.chance(0.5) ? .minKey : .maxKey
        case 13: return .int32(Int32(random.int(-5...5)))
        case 14: return .document(document(depth: depth - 1, maxFields: 5))
        default: return .array((0..<random.int(0...5)).map { _ in value(depth: depth - 1) })
        }
    }

    private mutating func double() -> Double {
        random.chance(0.2)
            ? random.pick([0.0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 130.0])
            : Double.random(in: -1e12...1e12, using: &random)
    }

    private mutating func string() -> String {
        let pieces = ["", "milk", "₹130", "दूध", "🥛", "a\"b", "back\\slash", "tab\t", "nul\0byte", "line\nbreak", "é", "$set", "x.y"]
        return (0..<random.int(0...3)).map { _ in random.pick(pieces) }.joined()
    }

    private mutating func key() -> String {
        random.pick(["a", "id", "order_id", "ключ", "total_amount", "_x", "n9"])
    }

    /// libbson stores regex options sorted and de-duplicated; generate them that way.
    private mutating func regexOptions() -> String {
        String("ilmsux".filter { _ in random.chance(0.3) })
    }
}
