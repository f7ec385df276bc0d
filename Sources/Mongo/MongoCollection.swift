import CMongoc

/// A collection on a checked-out client. Each operation opens libmongoc's collection handle for its own duration.
public struct MongoCollection {
    public let database: MongoDatabase
    public let name: String

    var client: MongoClient { database.client }

    private func withHandle<T>(_ body: (OpaquePointer) throws(MongoError) -> T) throws(MongoError) -> T {
        let handle = mongoc_client_get_collection(client.raw, database.name, name)!
        defer { mongoc_collection_destroy(handle) }
        return try body(handle)
    }

    // MARK: Reads

    /// Counts the documents matching `filter` (an aggregation `$match` + `$group`, exact).
    public func count(_ filter: BSONDocument = [:], options: CountOptions = .init(),
                      session: MongoSession? = nil) throws(MongoError) -> Int {
        let filterBSON = try OwnedBSON(filter)
        let opts = try client.options(options.document, session: session)
        defer { withExtendedLifetime((filterBSON, opts)) {} }  // alive until the C call has returned
        var error = bson_error_t()
        client.callStarted = .now
        let (count, reply) = try withHandle { (handle) throws(MongoError) in
            try LibBSON.withReply { reply in
                mongoc_collection_count_documents(handle, filterBSON.pointer, opts.pointer, nil, reply, &error)
            }
        }
        guard count >= 0 else { throw client.fail(error, reply: reply) }
        return Int(count)
    }

    /// The server's estimate from collection metadata: instant, but ignores filters.
    public func estimatedCount() throws(MongoError) -> Int {
        var error = bson_error_t()
        client.callStarted = .now
        let (count, reply) = try withHandle { (handle) throws(MongoError) in
            try LibBSON.withReply { reply in
                mongoc_collection_estimated_document_count(handle, nil, nil, reply, &error)
            }
        }
        guard count >= 0 else { throw client.fail(error, reply: reply) }
        return Int(count)
    }

    /// A streaming cursor over the documents matching `filter`.
    public func find(_ filter: BSONDocument = [:], options: FindOptions = .init(),
                     session: MongoSession? = nil) throws(MongoError) -> MongoCursor {
        let filterBSON = try OwnedBSON(filter)
        let opts = try client.options(options.document, session: session)
        defer { withExtendedLifetime((filterBSON, opts)) {} }  // alive until the C call has returned
        return try withHandle { (handle) throws(MongoError) in
            MongoCursor(raw: mongoc_collection_find_with_opts(handle, filterBSON.pointer, opts.pointer, nil)!,
                        client: client)
        }
    }

    /// A streaming cursor over an aggregation's results. A pipeline ending in `$out` or `$merge` writes only as the
    /// cursor is read: drain it (`forEach` or `toArray`).
    public func aggregate(_ pipeline: [BSON], options: AggregateOptions = .init(),
                          session: MongoSession? = nil) throws(MongoError) -> MongoCursor {
        let pipelineBSON = try OwnedBSON(["pipeline": .array(pipeline)])
        let opts = try client.options(options.document, session: session)
        defer { withExtendedLifetime((pipelineBSON, opts)) {} }  // alive until the C call has returned
        return try withHandle { (handle) throws(MongoError) in
            MongoCursor(raw: mongoc_collection_aggregate(handle, MONGOC_QUERY_NONE, pipelineBSON.pointer,
                                                         opts.pointer, nil)!,
                        client: client)
        }
    }

    /// The collection's index specifications, as `listIndexes` returns them (empty for a missing collection).
    public func listIndexes() throws(MongoError) -> [BSONDocument] {
        try withHandle { (handle) throws(MongoError) in
            try MongoCursor(raw: mongoc_collection_find_indexes_with_opts(handle, nil)!, client: client).toArray()
        }
    }

    /// `explain` of a find with `executionStats` verbosity: the winning plan and what executing it cost.
    public func explainFind(_ filter: BSONDocument, options: FindOptions = .init()) throws(MongoError) -> BSONDocument {
        var find: BSONDocument = ["find": .string(name), "filter": .document(filter)]
        for (key, value) in options.document where key != "batchSize" { find.append(key, value) }
        return try database.runCommand(["explain": .document(find), "verbosity": "executionStats"], kind: .read)
    }

    // MARK: Writes

    /// Inserts documents in one batch; returns how many were inserted.
    @discardableResult
    public func insertMany(_ documents: [BSONDocument], ordered: Bool = true,
                           session: MongoSession? = nil) throws(MongoError) -> Int {
        guard !documents.isEmpty else { return 0 }
        let owned = try documents.map { (doc) throws(MongoError) in try OwnedBSON(doc) }
        var pointers: [OpaquePointer?] = owned.map(\.pointer)
        let opts = try client.options(["ordered": .bool(ordered)], session: session)
        defer { withExtendedLifetime((owned, opts)) {} }  // alive until the C call has returned
        var error = bson_error_t()
        client.callStarted = .now
        let (ok, reply) = try withHandle { (handle) throws(MongoError) in
            try LibBSON.withReply { reply in
                withExtendedLifetime(owned) {
                    mongoc_collection_insert_many(handle, &pointers, pointers.count, opts.pointer, reply, &error)
                }
            }
        }
        guard ok else { throw client.fail(error, reply: reply) }
        return reply["insertedCount"]?.int64Value.map(Int.init) ?? documents.count
    }

    /// Updates every document matching `filter`; `update` is an update document or a pipeline (an array).
    @discardableResult
    public func updateMany(_ filter: BSONDocument, _ update: BSON, upsert: Bool = false,
                           session: MongoSession? = nil) throws(MongoError) -> BulkWriteResult {
        try bulkWrite([.updateMany(filter: filter, update: update, upsert: upsert)], session: session)
    }

    /// Runs write operations in one bulk write, in order unless `ordered` is false.
    @discardableResult
    public func bulkWrite(_ models: [WriteModel], ordered: Bool = true,
                          session: MongoSession? = nil) throws(MongoError) -> BulkWriteResult {
        guard !models.isEmpty else { return BulkWriteResult() }
        let opts = try client.options(["ordered": .bool(ordered)], session: session)
        defer { withExtendedLifetime(opts) {} }  // alive until the C call has returned
        return try withHandle { (handle) throws(MongoError) in
            let bulk = mongoc_collection_create_bulk_operation_with_opts(handle, opts.pointer)!
            defer { mongoc_bulk_operation_destroy(bulk) }
            for model in models { try model.add(to: bulk, client: client) }
            var error = bson_error_t()
            client.callStarted = .now
            let (status, reply) = try LibBSON.withReply { reply in
                mongoc_bulk_operation_execute(bulk, reply, &error)
            }
            guard status != 0 else { throw client.fail(error, reply: reply) }
            return BulkWriteResult(reply: reply)
        }
    }

    /// Creates indexes with `createIndexes`; existing identical indexes are left as they are.
    public func createIndexes(_ indexes: [IndexModel], session: MongoSession? = nil) throws(MongoError) {
        try database.runCommand([
            "createIndexes": .string(name),
            "indexes": .array(indexes.map { .document($0.specification) }),
        ], kind: .write, session: session)
    }

    /// Drops one index by name.
    public func dropIndex(_ indexName: String, session: MongoSession? = nil) throws(MongoError) {
        try database.runCommand(["dropIndexes": .string(name), "index": .string(indexName)],
                                kind: .write, session: session)
    }

    /// Drops this collection (no error when it does not exist).
    public func drop() throws(MongoError) { try database.dropCollection(name) }

    /// Renames this collection within its database.
    public func rename(to newName: String, dropTarget: Bool = false) throws(MongoError) {
        try database.renameCollection(name, to: newName, dropTarget: dropTarget)
    }
}

/// A server-side cursor, read one document at a time. Valid only inside the client scope that opened it.
public final class MongoCursor {
    private let raw: OpaquePointer
    private let client: MongoClient

    init(raw: OpaquePointer, client: MongoClient) {
        self.raw = raw
        self.client = client
    }

    deinit { mongoc_cursor_destroy(raw) }

    /// The next document, or nil when the cursor is exhausted.
    public func next() throws(MongoError) -> BSONDocument? {
        var document: OpaquePointer?
        client.callStarted = .now
        if mongoc_cursor_next(raw, &document), let document {
            return try LibBSON.decode(document)
        }
        var error = bson_error_t()
        var reply: OpaquePointer?
        if mongoc_cursor_error_document(raw, &error, &reply) {
            throw client.fail(error, reply: reply.flatMap { try? LibBSON.decode($0) })
        }
        return nil
    }

    public func forEach(_ body: (BSONDocument) throws -> Void) throws {
        while let document = try next() { try body(document) }
    }

    public func toArray() throws(MongoError) -> [BSONDocument] {
        var all: [BSONDocument] = []
        while let document = try next() { all.append(document) }
        return all
    }
}
