import Foundation
import Mongo
import TestSupport
import Testing

/// `MongoSession.withTransaction` retries as the transactions specification's convenient API says, against a private
/// server whose `failCommand` fail point aims at the pool under test (`faultURI`).
@Suite(.enabled(if: PrivateServer.isAvailable, PrivateServer.skipReason))
struct TransactionRetryTests {
    /// A private server with the collection `txn.orders` made (a transaction cannot create it on every server).
    static func server() throws -> PrivateServer {
        let server = try PrivateServer()
        _ = try server.pool().withClient { try $0.database("txn").collection("orders").insertMany([["id": "seed"]]) }
        return server
    }

    /// Runs one transaction inserting `{id: "t1"}` on a pool the fail point aims at; returns what it threw and how
    /// many times the body ran.
    static func insertInTransaction(_ server: PrivateServer) throws -> (error: MongoError?, bodyRuns: Int) {
        var bodyRuns = 0
        let pool = try MongoPool(ConnectionSettings(uri: server.faultURI, timeout: .seconds(5)))
        let error = pool.withClient { client -> MongoError? in
            do {
                let orders = client.database("txn").collection("orders")
                try client.startSession().withTransaction(retryLimit: .seconds(10)) { session in
                    bodyRuns += 1
                    try orders.insertMany([["id": "t1"]], session: session)
                }
                return nil
            } catch {
                return error as? MongoError
            }
        }
        return (error, bodyRuns)
    }

    static func isTimeout(_ error: MongoError?) -> Bool {
        if case .timeout? = error { true } else { false }
    }

    /// How many `{id: "t1"}` are committed, read on a pool no fail point aims at.
    static func committed(_ server: PrivateServer) throws -> Int {
        try server.pool().withClient { try $0.database("txn").collection("orders").count(["id": "t1"]) }
    }

    /// A commit failing with MaxTimeMSExpired carries `UnknownTransactionCommitResult` (libmongoc adds it), yet is not
    /// retried: the fail point fires once, so a retried commit would succeed and commit the document.
    @Test func commitFailingWithMaxTimeMSExpiredIsNotRetried() throws {
        let server = try Self.server()
        let (error, bodyRuns) = try server.withFailPoint(mode: ["times": 1], [
            "failCommands": ["commitTransaction"], "errorCode": 50, "errorLabels": ["UnknownTransactionCommitResult"],
        ]) { try Self.insertInTransaction(server) }
        #expect(Self.isTimeout(error), "\(String(describing: error))")
        #expect(bodyRuns == 1)
        #expect(try Self.committed(server) == 0, "the one commit attempted failed; none was retried")
    }

    /// The same as a write concern error: the server committed, but the commit's outcome reads as a timeout and is not
    /// retried either (the specification's MaxTimeMSExpired covers `writeConcernError.code` too).
    @Test func commitWithMaxTimeMSExpiredWriteConcernErrorIsNotRetried() throws {
        let server = try Self.server()
        let (error, bodyRuns) = try server.withFailPoint(mode: ["times": 1], [
            "failCommands": ["commitTransaction"],
            "writeConcernError": ["code": 50, "codeName": "MaxTimeMSExpired", "errmsg": "waiting for replication timed out"],
        ]) { try Self.insertInTransaction(server) }
        #expect(Self.isTimeout(error), "\(String(describing: error))")
        #expect(bodyRuns == 1)
        #expect(try Self.committed(server) == 1)
    }

    /// A connection closed under an insert inside the transaction is a network error (`.cannotConnect`) that libmongoc
    /// labels `TransientTransactionError`: the whole transaction runs again and commits, once.
    @Test func networkErrorInTheBodyRetriesTheWholeTransaction() throws {
        let server = try Self.server()
        let (error, bodyRuns) = try server.withFailPoint(mode: ["times": 1], [
            "failCommands": ["insert"], "closeConnection": true,
        ]) { try Self.insertInTransaction(server) }
        #expect(error == nil, "\(String(describing: error))")
        #expect(bodyRuns == 2)
        #expect(try Self.committed(server) == 1)
    }

    /// The label belongs to the error libmongoc returned: a body that catches that network error and throws another
    /// `MongoError` in its place is not retried. (The old code retried no network error, so this passes on it; it
    /// fails if every failure of the client labelled `TransientTransactionError` retried.)
    @Test func anotherErrorThrownInPlaceOfTheNetworkErrorIsNotRetried() throws {
        let server = try Self.server()
        let replaced = MongoError.invalidDocument("replaced by the body")
        var bodyRuns = 0
        let pool = try MongoPool(ConnectionSettings(uri: server.faultURI, timeout: .seconds(5)))
        let error = try server.withFailPoint(mode: ["times": 1], ["failCommands": ["insert"], "closeConnection": true]) {
            pool.withClient { client in
                let orders = client.database("txn").collection("orders")
                return #expect(throws: MongoError.self) {
                    try client.startSession().withTransaction(retryLimit: .seconds(10)) { session in
                        bodyRuns += 1
                        do { try orders.insertMany([["id": "t1"]], session: session) } catch { throw replaced }
                    }
                }
            }
        }
        #expect(error == replaced)
        #expect(bodyRuns == 1)
        #expect(try Self.committed(server) == 0)
    }

    /// A commit refused once with a write conflict's code but no label (the test server answers a commit that lost a
    /// WiredTiger conflict with InternalError, 1; a WriteConflict, 112, without its label stands for any server that
    /// omits it): the transaction was rolled back, so it runs again and commits, once.
    @Test(arguments: [1, 112])
    func anUnlabelledCommitConflictRunsTheTransactionAgain(code: Int) throws {
        let server = try Self.server()
        let (error, bodyRuns) = try server.withFailPoint(mode: ["times": 1], [
            "failCommands": ["commitTransaction"], "errorCode": .int32(Int32(code)), "errorLabels": [],
        ]) { try Self.insertInTransaction(server) }
        #expect(error == nil, "\(String(describing: error))")
        #expect(bodyRuns == 2)
        #expect(try Self.committed(server) == 1)
    }

    /// A server refusing every commit with InternalError is reported after a few attempts, not retried for the whole
    /// `retryLimit`; and a commit refused with another code (BadValue, 2) is not retried at all.
    @Test func commitsRefusedEveryTimeOrForAnotherReasonAreReported() throws {
        let server = try Self.server()
        let (always, alwaysRuns) = try server.withFailPoint(mode: "alwaysOn", [
            "failCommands": ["commitTransaction"], "errorCode": 1, "errorLabels": [],
        ]) { try Self.insertInTransaction(server) }
        #expect(always?.serverCode == 1, "\(String(describing: always))")
        #expect(alwaysRuns == 1 + MongoSession.unlabelledCommitRetries)
        let (other, otherRuns) = try server.withFailPoint(mode: ["times": 1], [
            "failCommands": ["commitTransaction"], "errorCode": 2, "errorLabels": [],
        ]) { try Self.insertInTransaction(server) }
        #expect(other?.serverCode == 2, "\(String(describing: other))")
        #expect(otherRuns == 1)
        #expect(try Self.committed(server) == 0)
    }
}
