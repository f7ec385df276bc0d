import CMongoc
import Foundation

// Conversion between the Swift BSON types and libbson's `bson_t`. Every `bson_t*` imports as `OpaquePointer`, so
// it is wrapped at once in `OwnedBSON`; a `bson_t` is never held by value (a grown one points into itself).

/// A heap-allocated `bson_t` owned by Swift and destroyed with it.
final class OwnedBSON {
    let pointer: OpaquePointer

    /// Takes ownership of a `bson_t*` created by `bson_new`, `bson_copy` or `bson_new_from_*`.
    init(adopting pointer: OpaquePointer) { self.pointer = pointer }

    /// Encodes a Swift document.
    convenience init(_ document: BSONDocument) throws(MongoError) {
        guard let raw = bson_new() else { throw MongoError.invalidDocument("out of memory") }
        self.init(adopting: raw)
        try LibBSON.append(document, to: raw)
    }

    deinit { bson_destroy(pointer) }

    /// Lends the pointer to `body`, keeping this object (and so the `bson_t`) alive until `body` returns. Use this
    /// for every C call: Swift may release an object right after its last use, before the call that reads it.
    func withPointer<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(pointer)
    }

    func decode() throws(MongoError) -> BSONDocument { try LibBSON.decode(pointer) }

}

enum LibBSON {
    /// Storage for an out-parameter `bson_t` (C declares it 128-byte aligned); libmongoc initialises it.
    /// Returns the decoded reply and whatever `body` returned.
    static func withReply<T>(_ body: (OpaquePointer) throws(MongoError) -> T) throws(MongoError) -> (T, BSONDocument) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        defer { raw.deallocate() }
        let reply = OpaquePointer(raw)
        // An empty inline document: safe to destroy even when `body` throws before libmongoc fills it (a zeroed
        // `bson_t` reads as heap-allocated, and destroying it would free this storage).
        bson_init(reply)
        let result: T
        do {
            result = try body(reply)
        } catch {
            bson_destroy(reply)
            throw error
        }
        defer { bson_destroy(reply) }
        return (result, try decode(reply))
    }

    /// Runs `body` with a fresh, zeroed iterator (80 bytes in C, aligned to 128).
    static func withIterator<T>(_ body: (OpaquePointer) throws(MongoError) -> T) throws(MongoError) -> T {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        defer { raw.deallocate() }
        return try body(OpaquePointer(raw))
    }

    // MARK: Encoding

    static func append(_ document: BSONDocument, to target: OpaquePointer) throws(MongoError) {
        for (key, value) in document.elements {
            try append(value, key: key, to: target)
        }
    }

    private static func append(_ value: BSON, key: String, to target: OpaquePointer) throws(MongoError) {
        guard !key.utf8.contains(0) else {
            throw MongoError.invalidDocument("field name contains a NUL byte")
        }
        let ok: Bool
        switch value {
        case .double(let v):
            ok = bson_append_double(target, key, -1, v)
        case .string(let v):
            var copy = v
            ok = copy.withUTF8 { utf8 in
                guard let base = utf8.baseAddress, !utf8.isEmpty else { return bson_append_utf8(target, key, -1, "", 0) }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    bson_append_utf8(target, key, -1, $0, Int32(utf8.count))
                }
            }
        case .document(let doc):
            ok = try OwnedBSON(doc).withPointer { bson_append_document(target, key, -1, $0) }
        case .array(let items):
            ok = try OwnedBSON(arrayDocument(items)).withPointer { bson_append_array(target, key, -1, $0) }
        case .binary(let subtype, let data):
            ok = data.withUnsafeBufferPointer {
                bson_append_binary(target, key, -1, bson_subtype_t(UInt32(subtype)), $0.baseAddress, UInt32($0.count))
            }
        case .objectId(let oid):
            var raw = bson_oid_t()
            withUnsafeMutableBytes(of: &raw.bytes) { $0.copyBytes(from: oid.bytes) }
            ok = bson_append_oid(target, key, -1, &raw)
        case .bool(let v):
            ok = bson_append_bool(target, key, -1, v)
        case .datetime(let ms):
            ok = bson_append_date_time(target, key, -1, ms)
        case .null:
            ok = bson_append_null(target, key, -1)
        case .int32(let v):
            ok = bson_append_int32(target, key, -1, v)
        case .int64(let v):
            ok = bson_append_int64(target, key, -1, v)
        case .decimal128(let v):
            var raw = bson_decimal128_t(low: v.low, high: v.high)
            ok = bson_append_decimal128(target, key, -1, &raw)
        case .regex(let pattern, let options):
            guard !pattern.utf8.contains(0), !options.utf8.contains(0) else {
                throw MongoError.invalidDocument("regular expression in '\(key)' contains a NUL byte")
            }
            ok = bson_append_regex(target, key, -1, pattern, options)
        case .timestamp(let seconds, let increment):
            ok = bson_append_timestamp(target, key, -1, seconds, increment)
        case .minKey:
            ok = bson_append_minkey(target, key, -1)
        case .maxKey:
            ok = bson_append_maxkey(target, key, -1)
        }
        guard ok else { throw MongoError.invalidDocument("cannot encode field '\(key)' (document too large?)") }
    }

    static func arrayDocument(_ items: [BSON]) -> BSONDocument {
        BSONDocument(items.enumerated().map { (String($0.offset), $0.element) })
    }

    // MARK: Decoding

    static func decode(_ bson: OpaquePointer) throws(MongoError) -> BSONDocument {
        try withIterator { (iter) throws(MongoError) in
            guard bson_iter_init(iter, bson) else { throw MongoError.invalidDocument("corrupt BSON document") }
            return try decodeElements(iter)
        }
    }

    private static func decodeElements(_ iter: OpaquePointer) throws(MongoError) -> BSONDocument {
        var document = BSONDocument()
        while bson_iter_next(iter) {
            let key = String(cString: bson_iter_key(iter))
            document.append(key, try decodeValue(iter, key: key))
        }
        return document
    }

    private static func decodeValue(_ iter: OpaquePointer, key: String) throws(MongoError) -> BSON {
        let type = bson_iter_type(iter)
        switch type {
        case BSON_TYPE_DOUBLE:
            return .double(bson_iter_double(iter))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            let chars = bson_iter_utf8(iter, &length)!
            return .string(String(decoding: UnsafeRawBufferPointer(start: chars, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY:
            let child = try withIterator { (childIter) throws(MongoError) in
                guard bson_iter_recurse(iter, childIter) else {
                    throw MongoError.invalidDocument("corrupt nested document in '\(key)'")
                }
                return try decodeElements(childIter)
            }
            return type == BSON_TYPE_DOCUMENT ? .document(child) : .array(child.elements.map(\.value))
        case BSON_TYPE_BINARY:
            var subtype = bson_subtype_t(0)
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>?
            bson_iter_binary(iter, &subtype, &length, &data)
            let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? []
            return .binary(subtype: UInt8(truncatingIfNeeded: subtype.rawValue), data: bytes)
        case BSON_TYPE_OID:
            var raw = bson_iter_oid(iter)!.pointee
            let bytes = withUnsafeBytes(of: &raw.bytes) { Array($0) }
            return .objectId(ObjectId(bytes: bytes)!)
        case BSON_TYPE_BOOL:
            return .bool(bson_iter_bool(iter))
        case BSON_TYPE_DATE_TIME:
            return .datetime(bson_iter_date_time(iter))
        case BSON_TYPE_NULL:
            return .null
        case BSON_TYPE_INT32:
            return .int32(bson_iter_int32(iter))
        case BSON_TYPE_INT64:
            return .int64(bson_iter_int64(iter))
        case BSON_TYPE_DECIMAL128:
            var raw = bson_decimal128_t()
            guard bson_iter_decimal128(iter, &raw) else { throw MongoError.invalidDocument("bad decimal in '\(key)'") }
            return .decimal128(Decimal128(low: raw.low, high: raw.high))
        case BSON_TYPE_REGEX:
            var options: UnsafePointer<CChar>?
            let pattern = bson_iter_regex(iter, &options)
            return .regex(pattern: pattern.map { String(cString: $0) } ?? "",
                          options: options.map { String(cString: $0) } ?? "")
        case BSON_TYPE_TIMESTAMP:
            var seconds: UInt32 = 0
            var increment: UInt32 = 0
            bson_iter_timestamp(iter, &seconds, &increment)
            return .timestamp(seconds: seconds, increment: increment)
        case BSON_TYPE_MINKEY:
            return .minKey
        case BSON_TYPE_MAXKEY:
            return .maxKey
        default:
            throw MongoError.invalidDocument(
                "field '\(key)' has BSON type 0x\(String(type.rawValue, radix: 16)), which RollGate does not read")
        }
    }
}

// MARK: - Extended JSON and decimal text, through libbson

/// The two Extended JSON v2 modes.
public enum ExtendedJSONMode: Sendable {
    /// Type-preserving: every number and date is wrapped (`{"$numberInt": "1"}`).
    case canonical
    /// Readable: native JSON numbers where lossless, ISO dates for recent times.
    case relaxed
}

extension BSONDocument {
    /// The document as Extended JSON v2 text.
    public func extendedJSON(_ mode: ExtendedJSONMode = .relaxed) throws(MongoError) -> String {
        var length = 0
        let text: UnsafeMutablePointer<CChar>? = try OwnedBSON(self).withPointer { bson in
            switch mode {
            case .canonical: bson_as_canonical_extended_json(bson, &length)
            case .relaxed: bson_as_relaxed_extended_json(bson, &length)
            }
        }
        guard let text else { throw MongoError.invalidDocument("document cannot be written as Extended JSON") }
        defer { bson_free(text) }
        return String(cString: text)
    }

    /// A short rendering of a filter, update or key pattern for measured texts and plans: relaxed Extended JSON (its
    /// keys, when it cannot be rendered).
    public var displayText: String { (try? extendedJSON(.relaxed)) ?? "\(keys)" }

    /// Parses Extended JSON (canonical or relaxed).
    public init(extendedJSON text: String) throws(MongoError) {
        var error = bson_error_t()
        let parsed: OpaquePointer? = text.withCString { bson_new_from_json($0, -1, &error) }
        guard let parsed else {
            throw MongoError.invalidDocument("invalid Extended JSON: \(MongoError.message(of: error))")
        }
        self = try OwnedBSON(adopting: parsed).decode()
    }
}

extension Decimal128: CustomStringConvertible {
    /// Parses a decimal string such as `"130.50"`, `"-1E+3"`, `"NaN"`.
    public init?(_ text: String) {
        var raw = bson_decimal128_t()
        guard bson_decimal128_from_string(text, &raw) else { return nil }
        self.init(low: raw.low, high: raw.high)
    }

    public var description: String {
        var raw = bson_decimal128_t(low: low, high: high)
        var buffer = [CChar](repeating: 0, count: Int(BSON_DECIMAL128_STRING))
        bson_decimal128_to_string(&raw, &buffer)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
