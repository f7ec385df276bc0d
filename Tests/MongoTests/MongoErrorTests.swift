import Foundation
import Mongo
import TestSupport
import Testing

/// Failures come back typed, quickly, and without secrets.
@Suite struct MongoErrorTests {
    @Test func unreachableServerFailsWithinTheTimeout() throws {
        let pool = try MongoPool(ConnectionSettings(uri: "mongodb://rollgate:TopSecret99@127.0.0.1:\(PrivateServer.freePort())",
                                                    timeout: .seconds(2)))
        let started = ContinuousClock.now
        let error = #expect(throws: MongoError.self) { try pool.withClient { try $0.ping() } }
        let elapsed = ContinuousClock.now - started
        guard case .cannotConnect(let message)? = error else {
            Issue.record("expected cannotConnect, got \(String(describing: error))"); return
        }
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        #expect(!message.contains("TopSecret99"))
    }

    @Test(arguments: [
        "not a uri",
        "mongodb://user:pass:word@host:notaport",
        "mongodb://u:SuperSecret@",
        "mongodb://user:Hidden:Value@h1,h2:xx/?replicaSet=rs",
        "mongodb://127.0.0.1/?tls=maybe",
    ])
    func malformedURIsAreInvalidAndNeverShowThePassword(uri: String) {
        let error = #expect(throws: MongoError.self) { try MongoPool(ConnectionSettings(uri: uri)) }
        guard case .invalidURI(let message)? = error else {
            Issue.record("expected invalidURI, got \(String(describing: error))"); return
        }
        for secret in ["pass:word", "SuperSecret", "Hidden:Value", "Hidden", "Value@h1"] where uri.contains(secret) {
            #expect(!message.contains(secret), "\(message)")
            #expect(!"\(error!)".contains(secret))
        }
    }

    @Test(.enabled(if: TestServer.authIsAvailable, "ROLLGATE_TEST_AUTH_URI is not set"))
    func correctPasswordWorksAndWrongPasswordIsAnAuthenticationError() throws {
        let good = TestServer.authURI!
        try MongoPool(ConnectionSettings(uri: good)).withClient { try $0.ping() }

        let wrongPassword = "Wr0ng:P@ssw0rd"
        let bad = good.replacingOccurrences(
            of: Redactor.password(inURI: good)!,
            with: wrongPassword.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let error = #expect(throws: MongoError.self) {
            try MongoPool(ConnectionSettings(uri: bad, timeout: .seconds(3))).withClient { try $0.ping() }
        }
        guard case .authenticationFailed(let message)? = error else {
            Issue.record("expected authenticationFailed, got \(String(describing: error))"); return
        }
        for secret in ["Wr0ng", "P@ssw0rd", "Wr0ng%3AP%40ssw0rd", Redactor.password(inURI: good)!] {
            #expect(!message.contains(secret))
        }
    }

    @Test(.enabled(if: TestServer.authIsAvailable, "ROLLGATE_TEST_AUTH_URI is not set"))
    func missingCredentialsAreRefusedByTheAuthServer() throws {
        let noUser = "mongodb://" + TestServer.authURI!.split(separator: "@").last!
        let error = #expect(throws: MongoError.self) {
            try MongoPool(ConnectionSettings(uri: noUser)).withClient {
                try $0.database("earlybird").collection("orders").count()
            }
        }
        #expect(error?.description.localizedCaseInsensitiveContains("auth") == true, "\(String(describing: error))")
    }

    @Test(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
    func duplicateKeyCarriesCodeAndMessage() throws {
        try TestServer.withDatabase("dupkey") { db in
            try db.collection("admin").insertMany([["_id": "rollback-lock", "owner": "a"]])
            let error = #expect(throws: MongoError.self) {
                try db.collection("admin").insertMany([["_id": "rollback-lock", "owner": "b"]])
            }
            #expect(error?.serverCode == 11000)
            #expect(error?.description.contains("duplicate") == true || error?.description.contains("E11000") == true,
                    "\(String(describing: error))")
        }
    }

    @Test(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
    func serverErrorsAreTyped() throws {
        try TestServer.withDatabase("servererror") { db in
            try db.collection("c").insertMany([["x": 1]])
            let error = #expect(throws: MongoError.self) {
                try db.collection("c").find(["$bogusOperator": 1]).toArray()
            }
            #expect(error?.serverCode != nil, "\(String(describing: error))")
        }
    }
}
