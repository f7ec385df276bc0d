import Foundation

/// A BSON value, as stored by MongoDB.
///
/// Covers every type the EarlyBird data and RollGate's commands use. Equality is exact: doubles compare by bit
/// pattern (so `-0.0 != 0.0` and `NaN == NaN`), which is what a round trip must preserve.
public enum BSON: Sendable {
    case double(Double)
    case string(String)
    case document(BSONDocument)
    case array([BSON])
    case binary(subtype: UInt8, data: [UInt8])
    case objectId(ObjectId)
    case bool(Bool)
    /// Milliseconds since the Unix epoch, UTC.
    case datetime(Int64)
    case null
    case int32(Int32)
    case int64(Int64)
    case decimal128(Decimal128)
    case regex(pattern: String, options: String)
    case timestamp(seconds: UInt32, increment: UInt32)
    case minKey
    case maxKey
}

extension BSON: Hashable {
    public static func == (lhs: BSON, rhs: BSON) -> Bool {
        switch (lhs, rhs) {
        case let (.double(a), .double(b)): return a.bitPattern == b.bitPattern
        case let (.string(a), .string(b)): return a == b
        case let (.document(a), .document(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.binary(sa, da), .binary(sb, db)): return sa == sb && da == db
        case let (.objectId(a), .objectId(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.datetime(a), .datetime(b)): return a == b
        case (.null, .null), (.minKey, .minKey), (.maxKey, .maxKey): return true
        case let (.int32(a), .int32(b)): return a == b
        case let (.int64(a), .int64(b)): return a == b
        case let (.decimal128(a), .decimal128(b)): return a == b
        case let (.regex(pa, oa), .regex(pb, ob)): return pa == pb && oa == ob
        case let (.timestamp(sa, ia), .timestamp(sb, ib)): return sa == sb && ia == ib
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .double(let v): hasher.combine(0); hasher.combine(v.bitPattern)
        case .string(let v): hasher.combine(1); hasher.combine(v)
        case .document(let v): hasher.combine(2); hasher.combine(v)
        case .array(let v): hasher.combine(3); hasher.combine(v)
        case .binary(let s, let d): hasher.combine(4); hasher.combine(s); hasher.combine(d)
        case .objectId(let v): hasher.combine(5); hasher.combine(v)
        case .bool(let v): hasher.combine(6); hasher.combine(v)
        case .datetime(let v): hasher.combine(7); hasher.combine(v)
        case .null: hasher.combine(8)
        case .int32(let v): hasher.combine(9); hasher.combine(v)
        case .int64(let v): hasher.combine(10); hasher.combine(v)
        case .decimal128(let v): hasher.combine(11); hasher.combine(v)
        case .regex(let p, let o): hasher.combine(12); hasher.combine(p); hasher.combine(o)
        case .timestamp(let s, let i): hasher.combine(13); hasher.combine(s); hasher.combine(i)
        case .minKey: hasher.combine(14)
        case .maxKey: hasher.combine(15)
        }
    }
}

// MARK: - Convenience accessors

extension BSON {
    /// A UTC date-time from a Foundation `Date` (millisecond precision, as BSON stores it).
    public static func date(_ date: Date) -> BSON {
        .datetime(Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var documentValue: BSONDocument? {
        if case .document(let d) = self { return d }
        return nil
    }

    public var arrayValue: [BSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var dateValue: Date? {
        if case .datetime(let ms) = self { return Date(timeIntervalSince1970: Double(ms) / 1000) }
        return nil
    }

    /// Any numeric value as an `Int64`, when it is exactly representable (counts come back as int32, int64 or double).
    public var int64Value: Int64? {
        switch self {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        case .double(let v):
            guard v.isFinite, v.rounded() == v, let i = Int64(exactly: v) else { return nil }
            return i
        default: return nil
        }
    }

    /// Any numeric value as a `Double`.
    public var doubleValue: Double? {
        switch self {
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        case .double(let v): return v
        case .decimal128(let v): return v.doubleValue
        default: return nil
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension BSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    /// Integer literals become int32 when they fit, int64 otherwise (as the shell does).
    public init(integerLiteral value: Int) {
        if let small = Int32(exactly: value) { self = .int32(small) } else { self = .int64(Int64(value)) }
    }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: BSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, BSON)...) { self = .document(BSONDocument(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

/// A 12-byte MongoDB ObjectId.
public struct ObjectId: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// An ObjectId's length in bytes.
    public static let byteCount = 12

    /// Wraps 12 bytes; returns nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses 24 hexadecimal digits.
    public init?(hex: String) {
        guard hex.utf8.count == 2 * Self.byteCount else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        self.bytes = out
    }

    public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// An IEEE 754-2008 128-bit decimal, kept as its two 64-bit halves exactly as libbson stores it (binary integer
/// decimal). Its text form (`Decimal128("130.50")`, `description`) comes from libbson, in Mongo.
public struct Decimal128: Sendable, Hashable {
    public let low: UInt64
    public let high: UInt64

    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// The nearest `Double`: the coefficient and exponent written as decimal text and read back, so it is rounded
    /// once and correctly; NaN and the infinities as such. As libbson does, a coefficient in the form that would
    /// start past 2^113 is zero.
    public var doubleValue: Double {
        let negative = high >> 63 == 1
        let combination = (high >> 58) & 0x1F
        if combination == 0x1F { return .nan }
        if combination == 0x1E { return negative ? -.infinity : .infinity }
        let exponent: Int
        let coefficient: (high: UInt64, low: UInt64)
        if combination >> 3 == 0b11 {
            // The coefficient would start with 0b100, past 2^113: non-canonical, so zero.
            exponent = Int((high >> 47) & 0x3FFF) - Self.exponentBias
            coefficient = (0, 0)
        } else {
            exponent = Int((high >> 49) & 0x3FFF) - Self.exponentBias
            coefficient = (high & 0x1_FFFF_FFFF_FFFF, low)
        }
        return Double((negative ? "-" : "") + Self.decimalDigits(coefficient) + "E\(exponent)") ?? .nan
    }

    /// The exponent's bias: a stored exponent of 6176 means 10^0.
    static let exponentBias = 6176

    /// A 128-bit unsigned integer in decimal digits.
    static func decimalDigits(_ value: (high: UInt64, low: UInt64)) -> String {
        // 10^19, the largest power of ten in 64 bits: the number is cut into chunks of that many digits.
        let chunkDigits = 19
        let base: UInt64 = 10_000_000_000_000_000_000
        var (high, low) = value
        var chunks: [UInt64] = []
        repeat {
            let (quotientHigh, remainderHigh) = high.quotientAndRemainder(dividingBy: base)
            let (quotientLow, remainder) = base.dividingFullWidth((remainderHigh, low))
            (high, low) = (quotientHigh, quotientLow)
            chunks.append(remainder)
        } while high != 0 || low != 0
        return String(chunks.last!) + chunks.dropLast().reversed().map { chunk in
            let digits = String(chunk)
            return String(repeating: "0", count: chunkDigits - digits.count) + digits
        }.joined()
    }
}
