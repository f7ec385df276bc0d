import CMongoc
import Foundation

/// One connection checked out of a `MongoPool`. Valid only inside the `withClient` scope that produced it; not
/// `Sendable`.
public final class MongoClient {
    let raw: OpaquePointer
    let secrets: [String]
    /// The pool's reply timeout and what set it, to name a timeout as such.
    let replyTimeout: (limit: Duration, source: String)
    /// When the current driver call began (set before each call that waits for the server).
    var callStarted = ContinuousClock.now

    init(raw: OpaquePointer, secrets: [String], replyTimeout: (limit: Duration, source: String)) {
        self.raw = raw
        self.secrets = secrets
        self.replyTimeout = replyTimeout
    }

    public func database(_ name: String) -> MongoDatabase { MongoDatabase(client: self, name: name) }

    /// Which way a command goes: reads honour the URI's `readPreference`; writes its write concern.
    public enum CommandKind: Sendable { case read, write, generic }

    /// Runs a command on database `db` and returns the server's reply. A reply with `ok: 0` is an error.
    @discardableResult
    public func runCommand(_ command: BSONDocument, db: String, kind: CommandKind = .generic,
                           session: MongoSession? = nil) throws(MongoError) -> BSONDocument {
        let commandBSON = try OwnedBSON(command)
        let opts = try options(BSONDocument(), session: session)
        defer { withExtendedLifetime((commandBSON, opts)) {} }  // alive until the C call has returned
        var error = bson_error_t()
        callStarted = .now
        let (ok, reply) = try LibBSON.withReply { (reply) throws(MongoError) in
            switch kind {
            case .read: mongoc_client_read_command_with_opts(raw, db, commandBSON.pointer, nil, opts.pointer, reply, &error)
            case .write: mongoc_client_write_command_with_opts(raw, db, commandBSON.pointer, opts.pointer, reply, &error)
            case .generic: mongoc_client_command_with_opts(raw, db, commandBSON.pointer, nil, opts.pointer, reply, &error)
            }
        }
        guard ok else { throw fail(error, reply: reply) }
        return reply
    }

    /// `ping`: succeeds when a server is selectable and answers.
    public func ping() throws(MongoError) {
        try runCommand(["ping": 1], db: "admin")
    }

    /// `buildInfo`: version and build facts of the server.
    public func buildInfo() throws(MongoError) -> BSONDocument {
        try runCommand(["buildInfo": 1], db: "admin")
    }

    /// `hello`: topology facts (replica set name, whether writable, wire version).
    public func hello() throws(MongoError) -> BSONDocument {
        try runCommand(["hello": 1], db: "admin")
    }

    /// Starts a logical session; end it by letting the `MongoSession` go.
    public func startSession() throws(MongoError) -> MongoSession {
        var error = bson_error_t()
        guard let session = mongoc_client_start_session(raw, nil, &error) else { throw fail(error) }
        return MongoSession(raw: session, client: self)
    }

    // MARK: Helpers shared by databases, collections and sessions

    /// The last error `fail` made, with the labels of its reply. `MongoError` keeps labels only in `.server`; a network
    /// error that libmongoc labelled `TransientTransactionError` (`.cannotConnect`, `.timeout`) has them only here,
    /// where `MongoSession.withTransaction` looks for them.
    var lastFailure: (error: MongoError, labels: [String])?

    func fail(_ error: bson_error_t, reply: BSONDocument? = nil) -> MongoError {
        let failure = MongoError.from(error, reply: reply, redacting: secrets)
            .naming(replyTimeout: replyTimeout.limit, source: replyTimeout.source, after: .now - callStarted)
        lastFailure = (failure, MongoError.labels(in: reply))
        return failure
    }

    /// Encodes an options document, adding the session's id when there is one.
    func options(_ document: BSONDocument, session: MongoSession?) throws(MongoError) -> OwnedBSON {
        let owned = try OwnedBSON(document)
        defer { withExtendedLifetime(owned) {} }  // alive until the C call has returned
        if let session {
            var error = bson_error_t()
            guard mongoc_client_session_append(session.raw, owned.pointer, &error) else { throw fail(error) }
        }
        return owned
    }
}

/// A database on a checked-out client.
public struct MongoDatabase {
    public let client: MongoClient
    public let name: String

    public func collection(_ name: String) -> MongoCollection { MongoCollection(database: self, name: name) }

    @discardableResult
    public func runCommand(_ command: BSONDocument, kind: MongoClient.CommandKind = .generic,
                           session: MongoSession? = nil) throws(MongoError) -> BSONDocument {
        try client.runCommand(command, db: name, kind: kind, session: session)
    }

    /// Names of the collections in this database, sorted.
    public func collectionNames() throws(MongoError) -> [String] {
        let database = mongoc_client_get_database(client.raw, name)!
        defer { mongoc_database_destroy(database) }
        let opts = try OwnedBSON(["nameOnly": true, "authorizedCollections": true])
        let cursor = MongoCursor(raw: opts.withPointer { mongoc_database_find_collections_with_opts(database, $0)! },
                                 client: client)
        return try cursor.toArray().compactMap { $0["name"]?.stringValue }.sorted()
    }

    /// The server's code for a collection that does not exist (NamespaceNotFound).
    static let namespaceNotFound = 26

    /// Drops the collection; dropping one that does not exist is not an error.
    public func dropCollection(_ collection: String) throws(MongoError) {
        do {
            try runCommand(["drop": .string(collection)], kind: .write)
        } catch let error where error.serverCode == Self.namespaceNotFound || error.description.contains("ns not found") {
            return
        }
    }

    /// Renames a collection within this database.
    public func renameCollection(_ from: String, to: String, dropTarget: Bool = false) throws(MongoError) {
        try client.runCommand([
            "renameCollection": .string("\(name).\(from)"),
            "to": .string("\(name).\(to)"),
            "dropTarget": .bool(dropTarget),
        ], db: "admin", kind: .write)
    }
}

/// A logical session, for transactions. Valid only inside the client scope that started it.
public final class MongoSession {
    let raw: OpaquePointer
    let client: MongoClient

    init(raw: OpaquePointer, client: MongoClient) {
        self.raw = raw
        self.client = client
    }

    deinit { mongoc_client_session_destroy(raw) }

    /// Runs `body` in a transaction and commits it, retrying as the MongoDB transactions specification says:
    /// the whole transaction on a `TransientTransactionError`, the commit alone on `UnknownTransactionCommitResult`
    /// unless it failed with MaxTimeMSExpired, for at most `retryLimit`. A commit refused without a label but known
    /// not to have committed (see `isUnlabelledCommitConflict`) retries the whole transaction too, at most
    /// `unlabelledCommitRetries` times.
    @discardableResult
    public func withTransaction<T>(retryLimit: Duration = .seconds(120),
                                   _ body: (MongoSession) throws -> T) throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: retryLimit)
        var unlabelledRetries = 0
        while true {
            var error = bson_error_t()
            guard mongoc_client_session_start_transaction(raw, nil, &error) else { throw client.fail(error) }
            client.lastFailure = nil
            let result: T
            do {
                result = try body(self)
            } catch {
                let transient = (error as? MongoError).map(isTransient) ?? false
                var abortError = bson_error_t()
                _ = mongoc_client_session_abort_transaction(raw, &abortError)
                if transient, clock.now < deadline { continue }
                throw error
            }
            commit: while true {
                var commitError = bson_error_t()
                client.callStarted = .now
                let (committed, reply) = try LibBSON.withReply { (reply) throws(MongoError) in
                    mongoc_client_session_commit_transaction(raw, reply, &commitError)
                }
                if committed { return result }
                let failure = client.fail(commitError, reply: reply)
                let labels = MongoError.labels(in: reply)
                // MaxTimeMSExpired (50), at the top level or as the write concern error. Read raw: `MongoError.from`
                // makes code 50 a `.timeout`, which keeps no code.
                let maxTimeMSExpired = commitError.code == 50
                    || reply["writeConcernError"]?.documentValue?["code"]?.int64Value == 50
                if labels.contains("UnknownTransactionCommitResult"), !maxTimeMSExpired, clock.now < deadline {
                    continue commit
                }
                if labels.contains("TransientTransactionError"), clock.now < deadline { break commit }
                if Self.isUnlabelledCommitConflict(failure), unlabelledRetries < Self.unlabelledCommitRetries,
                   clock.now < deadline {
                    unlabelledRetries += 1
                    LibMongoc.logger.warning("the commit was refused (\(failure)); running the transaction again")
                    break commit
                }
                throw failure
            }
        }
    }

    /// How many times a commit refused by `isUnlabelledCommitConflict` is retried: enough for a conflict between
    /// busy transactions, few enough that a server failing every commit is reported within seconds.
    public static let unlabelledCommitRetries = 3

    /// A commit the server refused with a plain error reply, neither labelled nor of unknown outcome, whose code is
    /// a write conflict's: WriteConflict (112), which MongoDB labels `TransientTransactionError`, or InternalError
    /// (1), which the test server (SecantusDB 0.7.0b3) answers when WiredTiger refuses the commit of a transaction
    /// that lost a conflict. Either way the transaction was rolled back, so running it again from the start is safe.
    static func isUnlabelledCommitConflict(_ failure: MongoError) -> Bool {
        guard case .server(let code, _, let labels) = failure, !labels.contains("UnknownTransactionCommitResult") else { return false }
        return code == 112 || code == 1
    }

    /// Whether an error the body threw calls for retrying the whole transaction: labelled `TransientTransactionError`
    /// in the error (`.server`) or, for the failure the client made last, in its reply (a network error). A write
    /// conflict (112) counts as labelled: MongoDB always labels it inside a transaction, and the test server omits the
    /// label.
    func isTransient(_ error: MongoError) -> Bool {
        if error.isTransient || error.serverCode == 112 { return true }
        guard let last = client.lastFailure, last.error == error else { return false }
        return last.labels.contains("TransientTransactionError")
    }
}
