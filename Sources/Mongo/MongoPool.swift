import CMongoc
import Dispatch
import Foundation
import Logging

/// libmongoc's one-time global set-up: `mongoc_init` and a log handler that sends its messages to swift-log
/// (by default libmongoc prints INFO and DEBUG lines to stdout, which would corrupt RollGate's output).
enum LibMongoc {
    static let initialized: Void = {
        mongoc_init()
        mongoc_log_set_handler({ level, domain, message, _ in
            LibMongoc.forward(level: level, domain: domain, message: message)
        }, nil)
    }()

    static let logger = Logger(label: "rollgate.mongoc")

    private static func forward(level: mongoc_log_level_t, domain: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?) {
        guard let message else { return }
        // One level down: whatever goes wrong also comes back as a MongoError, which RollGate reports itself, so
        // the driver's own lines are diagnostics (shown with ROLLGATE_LOG_LEVEL=notice or lower).
        let swiftLevel: Logger.Level = switch level {
        case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: .notice
        case MONGOC_LOG_LEVEL_WARNING: .info
        case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: .debug
        default: .trace
        }
        guard logger.logLevel <= swiftLevel else { return }
        let text = Redactor.redact(String(cString: message))
        let source = domain.map { String(cString: $0) } ?? "mongoc"
        logger.log(level: swiftLevel, "\(text)", metadata: ["domain": "\(source)"])
    }
}

/// How to reach the server.
public struct ConnectionSettings: Sendable {
    /// A MongoDB connection string: credentials, `authSource`, `replicaSet`, `readPreference` and TLS options pass
    /// through to libmongoc unchanged.
    public var uri: String
    /// How long to look for a usable server (and to open a connection) before giving up. Applied unless the URI sets
    /// `serverSelectionTimeoutMS` / `connectTimeoutMS` itself.
    public var timeout: Duration
    /// How long one operation may wait for the server's reply before it fails with `MongoError.timeout`: the client's
    /// own bound, which holds whether or not the server honours `maxTimeMS`. Applied as `socketTimeoutMS` unless the
    /// URI sets it; nil keeps libmongoc's default (5 minutes).
    public var operationTimeout: Duration?
    /// What set `operationTimeout`, for the message of a timeout (`--operation-timeout`).
    public var operationTimeoutSource: String
    /// The application name sent in the handshake, unless the URI sets `appName`.
    public var appName: String

    public init(uri: String, timeout: Duration = .seconds(5), operationTimeout: Duration? = nil,
                operationTimeoutSource: String = "--operation-timeout", appName: String = "rollgate") {
        self.uri = uri
        self.timeout = timeout
        self.operationTimeout = operationTimeout
        self.operationTimeoutSource = operationTimeoutSource
        self.appName = appName
    }

    /// The connection string with its password masked, fit for output.
    public var displayURI: String { Redactor.displayURI(uri) }

    /// Options libmongoc reads besides those its `mongoc_uri_option_is_*` functions name (lowercase).
    private static let otherOptions: Set<String> = [
        "w", "readpreferencetags", "authmechanism", "authsource", "authmechanismproperties", "gssapiservicename",
        "readconcernlevel", "srvservicename", "appname", "compressors", "servermonitoringmode",
    ]

    /// The first option of `uri` that libmongoc does not know, as written. libmongoc only logs a warning and ignores
    /// it, so a misspelt `tls` or `authSource` would connect without it.
    static func unsupportedOption(in uri: String) -> String? {
        guard let scheme = uri.range(of: "://") else { return nil }
        let rest = uri[scheme.upperBound...]
        let hosts = rest.lastIndex(of: "@").map { rest[rest.index(after: $0)...] } ?? rest
        guard let question = hosts.firstIndex(of: "?") else { return nil }
        for pair in hosts[hosts.index(after: question)...].split(separator: "&") {
            let key = String(pair.prefix { $0 != "=" })
            let name = (key.removingPercentEncoding ?? key).lowercased()
            let known = mongoc_uri_option_is_int32(name) || mongoc_uri_option_is_int64(name)
                || mongoc_uri_option_is_bool(name) || mongoc_uri_option_is_utf8(name) || otherOptions.contains(name)
            if !known { return key }
        }
        return nil
    }
}

/// A pool of connections to one deployment. Safe to share between tasks; each operation checks a client out,
/// uses it synchronously and returns it, so no client is ever held across an `await`.
public final class MongoPool: @unchecked Sendable {
    private let pool: OpaquePointer
    private let secrets: [String]
    public let settings: ConnectionSettings
    /// The longest the driver waits for a reply (`socketTimeoutMS` in effect), and what set it.
    let replyTimeout: (limit: Duration, source: String)

    public init(_ settings: ConnectionSettings) throws(MongoError) {
        _ = LibMongoc.initialized
        self.settings = settings
        self.secrets = Redactor.secrets(inURI: settings.uri)

        guard !settings.uri.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw MongoError.invalidURI("it contains a control character (a newline or a tab?)")
        }
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(settings.uri, &error) else {
            throw MongoError.invalidURI(Redactor.redact(MongoError.message(of: error), secrets: secrets))
        }
        defer { mongoc_uri_destroy(uri) }
        if let option = ConnectionSettings.unsupportedOption(in: settings.uri) {
            throw MongoError.invalidURI(Redactor.redact("unsupported option '\(option)'", secrets: secrets))
        }

        let timeoutMS = Int32(clamping: settings.timeout.milliseconds)
        if !mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS) {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, max(timeoutMS, 1))
        }
        if !mongoc_uri_has_option(uri, MONGOC_URI_CONNECTTIMEOUTMS) {
            // A host that accepts and never answers blocks for connectTimeoutMS, whatever the selection timeout says.
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, max(timeoutMS, 1))
        }
        var replyTimeoutSource = "socketTimeoutMS in the connection string"
        if !mongoc_uri_has_option(uri, MONGOC_URI_SOCKETTIMEOUTMS) {
            if let operationTimeout = settings.operationTimeout {
                mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS,
                                               max(Int32(clamping: operationTimeout.milliseconds), 1))
                replyTimeoutSource = settings.operationTimeoutSource
            } else {
                replyTimeoutSource = "the driver's default socketTimeoutMS"
            }
        }
        replyTimeout = (.milliseconds(mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, 300_000)),
                        replyTimeoutSource)

        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            throw MongoError.invalidURI(Redactor.redact(MongoError.message(of: error), secrets: secrets))
        }
        mongoc_client_pool_set_error_api(pool, 2)
        if !mongoc_uri_has_option(uri, MONGOC_URI_APPNAME) {
            mongoc_client_pool_set_appname(pool, settings.appName)
        }
        self.pool = pool
        LibMongoc.logger.debug("reply timeout \(Int(replyTimeout.limit.inSeconds)) s, set by \(replyTimeout.source)")
    }

    deinit { mongoc_client_pool_destroy(pool) }

    /// Checks a client out for the duration of `body`, on the calling thread.
    public func withClient<T>(_ body: (MongoClient) throws -> T) rethrows -> T {
        let raw = mongoc_client_pool_pop(pool)!
        defer { mongoc_client_pool_push(pool, raw) }
        return try body(MongoClient(raw: raw, secrets: secrets, replyTimeout: replyTimeout))
    }

    /// Runs blocking driver work on a dispatch thread, so that Swift's cooperative threads (one per core) are never
    /// blocked on the network.
    public func run<T: Sendable>(_ body: @escaping @Sendable (MongoClient) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try self.withClient(body) })
            }
        }
    }
}
