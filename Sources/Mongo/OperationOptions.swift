import CMongoc

/// Options of `find` (and of an explained find).
public struct FindOptions: Sendable {
    public var projection: BSONDocument?
    public var sort: BSONDocument?
    public var limit: Int?
    public var skip: Int?
    /// An index name (`.string`) or key pattern (`.document`); `["$natural": 1]` forces a collection scan.
    public var hint: BSON?
    public var batchSize: Int?
    public var maxTime: Duration?

    public init(projection: BSONDocument? = nil, sort: BSONDocument? = nil, limit: Int? = nil, skip: Int? = nil,
                hint: BSON? = nil, batchSize: Int? = nil, maxTime: Duration? = nil) {
        self.projection = projection
        self.sort = sort
        self.limit = limit
        self.skip = skip
        self.hint = hint
        self.batchSize = batchSize
        self.maxTime = maxTime
    }

    var document: BSONDocument {
        var doc = BSONDocument()
        if let projection { doc["projection"] = .document(projection) }
        if let sort { doc["sort"] = .document(sort) }
        if let limit { doc["limit"] = .int64(Int64(limit)) }
        if let skip { doc["skip"] = .int64(Int64(skip)) }
        if let hint { doc["hint"] = hint }
        if let batchSize { doc["batchSize"] = .int64(Int64(batchSize)) }
        if let maxTime { doc["maxTimeMS"] = .int64(maxTime.milliseconds) }
        return doc
    }
}

/// Options of `countDocuments`.
public struct CountOptions: Sendable {
    public var hint: BSON?
    public var limit: Int?
    public var maxTime: Duration?

    public init(hint: BSON? = nil, limit: Int? = nil, maxTime: Duration? = nil) {
        self.hint = hint
        self.limit = limit
        self.maxTime = maxTime
    }

    var document: BSONDocument {
        var doc = BSONDocument()
        if let hint { doc["hint"] = hint }
        if let limit { doc["limit"] = .int64(Int64(limit)) }
        if let maxTime { doc["maxTimeMS"] = .int64(maxTime.milliseconds) }
        return doc
    }
}

/// Options of `aggregate`.
public struct AggregateOptions: Sendable {
    public var allowDiskUse: Bool?
    public var batchSize: Int?
    public var hint: BSON?
    public var maxTime: Duration?

    public init(allowDiskUse: Bool? = nil, batchSize: Int? = nil, hint: BSON? = nil, maxTime: Duration? = nil) {
        self.allowDiskUse = allowDiskUse
        self.batchSize = batchSize
        self.hint = hint
        self.maxTime = maxTime
    }

    var document: BSONDocument {
        var doc = BSONDocument()
        if let allowDiskUse { doc["allowDiskUse"] = .bool(allowDiskUse) }
        if let batchSize { doc["batchSize"] = .int64(Int64(batchSize)) }
        if let hint { doc["hint"] = hint }
        if let maxTime { doc["maxTimeMS"] = .int64(maxTime.milliseconds) }
        return doc
    }
}

/// An index to create: its key pattern, name (derived from the keys when nil, as MongoDB does) and other options
/// (`unique`, `partialFilterExpression`, `expireAfterSeconds`, …).
public struct IndexModel: Sendable, Hashable {
    public var keys: BSONDocument
    public var name: String?
    public var options: BSONDocument

    public init(keys: BSONDocument, name: String? = nil, options: BSONDocument = [:]) {
        self.keys = keys
        self.name = name
        self.options = options
    }

    /// MongoDB's default index name: `field_direction` pairs joined by `_` (`customer_id_1_delivery_date_-1`).
    public static func defaultName(for keys: BSONDocument) -> String {
        keys.elements.map { key, value in
            let direction = value.int64Value.map(String.init) ?? value.stringValue ?? "1"
            return "\(key)_\(direction)"
        }.joined(separator: "_")
    }

    var specification: BSONDocument {
        var spec: BSONDocument = ["key": .document(keys), "name": .string(name ?? Self.defaultName(for: keys))]
        for (key, value) in options.elements { spec[key] = value }
        return spec
    }
}

/// One operation of a bulk write. `update` is an update document (`{$set: …}`) or a pipeline (an array).
public enum WriteModel: Sendable {
    case insertOne(BSONDocument)
    case updateOne(filter: BSONDocument, update: BSON, upsert: Bool = false)
    case updateMany(filter: BSONDocument, update: BSON, upsert: Bool = false)
    case replaceOne(filter: BSONDocument, replacement: BSONDocument, upsert: Bool = false)
    case deleteOne(filter: BSONDocument)
    case deleteMany(filter: BSONDocument)

    func add(to bulk: OpaquePointer, client: MongoClient) throws(MongoError) {
        var error = bson_error_t()
        let ok: Bool
        switch self {
        case .insertOne(let doc):
            let document = try OwnedBSON(doc)
            ok = document.withPointer { mongoc_bulk_operation_insert_with_opts(bulk, $0, nil, &error) }
        case .updateOne(let filter, let update, let upsert), .updateMany(let filter, let update, let upsert):
            let (selector, change, opts) = (try OwnedBSON(filter), try Self.encode(update),
                                            try OwnedBSON(["upsert": .bool(upsert)]))
            ok = withExtendedLifetime((selector, change, opts)) {
                if case .updateOne = self {
                    mongoc_bulk_operation_update_one_with_opts(bulk, selector.pointer, change.pointer, opts.pointer, &error)
                } else {
                    mongoc_bulk_operation_update_many_with_opts(bulk, selector.pointer, change.pointer, opts.pointer, &error)
                }
            }
        case .replaceOne(let filter, let replacement, let upsert):
            let (selector, document, opts) = (try OwnedBSON(filter), try OwnedBSON(replacement),
                                              try OwnedBSON(["upsert": .bool(upsert)]))
            ok = withExtendedLifetime((selector, document, opts)) {
                mongoc_bulk_operation_replace_one_with_opts(bulk, selector.pointer, document.pointer, opts.pointer, &error)
            }
        case .deleteOne(let filter):
            ok = try OwnedBSON(filter).withPointer { mongoc_bulk_operation_remove_one_with_opts(bulk, $0, nil, &error) }
        case .deleteMany(let filter):
            ok = try OwnedBSON(filter).withPointer { mongoc_bulk_operation_remove_many_with_opts(bulk, $0, nil, &error) }
        }
        guard ok else { throw client.fail(error) }
    }

    /// An update document as is; a pipeline as BSON array keys ("0", "1", …), which libmongoc recognises.
    private static func encode(_ update: BSON) throws(MongoError) -> OwnedBSON {
        switch update {
        case .document(let doc): return try OwnedBSON(doc)
        case .array(let stages): return try OwnedBSON(LibBSON.arrayDocument(stages))
        default: throw MongoError.invalidDocument("an update must be a document or a pipeline array")
        }
    }
}

/// What a bulk write did.
public struct BulkWriteResult: Sendable, Equatable {
    public var inserted = 0
    public var matched = 0
    public var modified = 0
    public var deleted = 0
    public var upserted = 0

    public init() {}

    init(reply: BSONDocument) {
        func number(_ key: String) -> Int { reply[key]?.int64Value.map(Int.init) ?? 0 }
        inserted = number("nInserted")
        matched = number("nMatched")
        modified = number("nModified")
        deleted = number("nRemoved")
        upserted = number("nUpserted")
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, as a `Double`.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension ContinuousClock.Instant {
    /// Seconds from this instant to now.
    public var secondsElapsed: Double { (ContinuousClock.now - self).inSeconds }
}
