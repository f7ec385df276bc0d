import ArgumentParser
import Foundation
import Mongo

/// Where the database is: shared by every command that connects.
struct ConnectionOptions: ParsableArguments {
    static let defaultURI = "mongodb://127.0.0.1:27017"
    static let defaultDatabase = "earlybird"

    @Option(name: .long, help: ArgumentHelp(
        "MongoDB connection string (credentials, authSource, replicaSet, readPreference, TLS options).",
        discussion: "Default: $ROLLGATE_URI, else \(defaultURI).", valueName: "uri"))
    var uri: String?

    @Option(name: .long, help: ArgumentHelp("Database name. Default: $ROLLGATE_DB, else \(defaultDatabase).",
                                            valueName: "name"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for a reachable server before failing.",
                                            valueName: "seconds"))
    var timeout: Double = 5

    @Option(name: .customLong("operation-timeout"), help: ArgumentHelp(
        "Seconds to wait for the server's reply to one operation before failing (socketTimeoutMS).",
        discussion: """
            Default: the URI's socketTimeoutMS, else 300; for audit, --probe-timeout plus --timeout; for rollback, \
            emergency and reapply, one day (86400), because one update of a large step may run for many minutes and \
            a client that gives up leaves the server changing data nobody records.
            """,
        valueName: "seconds"))
    var operationTimeout: Double?

    func validate() throws {
        guard timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be between 0 and 600 seconds, got \(timeout)")
        }
        if let operationTimeout, !(operationTimeout > 0 && operationTimeout <= 86_400) {
            throw ValidationError("--operation-timeout must be between 0 and 86400 seconds, got \(operationTimeout)")
        }
        if let db, db.isEmpty || db.contains(where: { "/\\. \"$".contains($0) }) {
            throw ValidationError("--db '\(db)' is not a valid database name")
        }
    }

    var resolvedURI: String {
        uri ?? ProcessInfo.processInfo.environment["ROLLGATE_URI"] ?? Self.defaultURI
    }

    var databaseName: String {
        db ?? ProcessInfo.processInfo.environment["ROLLGATE_DB"] ?? Self.defaultDatabase
    }

    /// The default reply timeout of the commands that change data (`rollback`, `emergency`, `reapply`): a day. One
    /// update of a large step can outlast libmongoc's 5 minutes on a slow server (at 1,000,000 orders on the test
    /// server, step 26's update did), and a client that gives up leaves the server changing data that nobody records.
    static let changingDataTimeout = (seconds: 86_400.0, source: "--operation-timeout (one day by default when changing data)")

    /// A pool for these options. `defaultOperationTimeout` (seconds, and the options it comes from) applies when
    /// `--operation-timeout` is not given.
    func makePool(defaultOperationTimeout: (seconds: Double, source: String)? = nil) throws(MongoError) -> MongoPool {
        let (seconds, source) = operationTimeout.map { ($0, "--operation-timeout") }
            ?? defaultOperationTimeout.map { ($0.seconds, $0.source) } ?? (nil, "")
        return try MongoPool(ConnectionSettings(
            uri: resolvedURI, timeout: .milliseconds(Int64(timeout * 1000)),
            operationTimeout: seconds.map { .milliseconds(Int64($0 * 1000)) }, operationTimeoutSource: source))
    }
}
