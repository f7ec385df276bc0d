import Foundation
import Mongo
import Testing

/// Where the integration tests find their MongoDB-compatible server. `scripts/test_server.py` starts one and sets
/// `ROLLGATE_TEST_URI` (and `ROLLGATE_TEST_AUTH_URI` for a server that requires SCRAM).
public enum TestServer {
    public static let uri = ProcessInfo.processInfo.environment["ROLLGATE_TEST_URI"]
    public static let authURI = ProcessInfo.processInfo.environment["ROLLGATE_TEST_AUTH_URI"]
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    /// Users of the SCRAM server holding only the roles of `Docs/mongodb-roles.json`, on `accessDatabase`.
    public static let auditorURI = ProcessInfo.processInfo.environment["ROLLGATE_TEST_AUDITOR_URI"]
    public static let operatorURI = ProcessInfo.processInfo.environment["ROLLGATE_TEST_OPERATOR_URI"]
    public static let accessDatabase = ProcessInfo.processInfo.environment["ROLLGATE_TEST_ACCESS_DB"]
    /// A server that speaks only TLS, and the CA file that signed its certificate.
    public static let tlsURI = ProcessInfo.processInfo.environment["ROLLGATE_TEST_TLS_URI"]
    public static let tlsCA = ProcessInfo.processInfo.environment["ROLLGATE_TEST_TLS_CA"]

    public static var isAvailable: Bool { uri != nil }
    public static var authIsAvailable: Bool { authURI != nil }
    public static var accessIsAvailable: Bool { auditorURI != nil && operatorURI != nil && accessDatabase != nil }
    public static var tlsIsAvailable: Bool { tlsURI != nil && tlsCA != nil }

    /// Used with `.enabled(if:)`; says loudly why integration tests are skipped. In CI a missing server is a failure,
    /// raised by `TestServerConfigurationTests`.
    public static let skipReason: Comment = "ROLLGATE_TEST_URI is not set: run the tests through scripts/test.sh"

    public static func pool(timeout: Duration = .seconds(10)) throws -> MongoPool {
        try MongoPool(ConnectionSettings(uri: uri!, timeout: timeout))
    }

    /// A database name no other test uses.
    public static func freshDatabase(_ label: String) -> String {
        "t_\(label)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Runs `body` against a fresh database, dropped afterwards.
    public static func withDatabase<T>(_ label: String, _ body: (MongoDatabase) throws -> T) throws -> T {
        let pool = try pool()
        return try pool.withClient { client in
            let database = client.database(freshDatabase(label))
            defer { _ = try? database.runCommand(["dropDatabase": 1], kind: .write) }
            return try body(database)
        }
    }
}
