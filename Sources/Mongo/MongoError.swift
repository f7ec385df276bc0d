import CMongoc

/// Everything that can go wrong talking to MongoDB, in the classes RollGate's exit codes tell apart.
///
/// Messages never contain a password: URI errors are redacted before they are stored.
public enum MongoError: Error, Sendable, Equatable {
    /// The connection string cannot be parsed (exit code 2).
    case invalidURI(String)
    /// No server could be reached or selected (exit code 3).
    case cannotConnect(String)
    /// The server refused the credentials (exit code 3).
    case authenticationFailed(String)
    /// The server answered with an error: code and message as the server gave them (exit code 3).
    case server(code: Int, message: String, labels: [String] = [])
    /// An operation ran out of time: socket timeout or `maxTimeMS` (exit code 3).
    case timeout(String)
    /// A document that cannot be encoded or decoded.
    case invalidDocument(String)

    /// The server error code, for `.server` errors.
    public var serverCode: Int? {
        if case .server(let code, _, _) = self { return code }
        return nil
    }

    /// Whether the server labelled the error as transient, so a whole transaction may be retried. Only `.server`
    /// errors keep labels; `MongoSession.withTransaction` also sees those of a network error (see `MongoClient.fail`).
    public var isTransient: Bool {
        if case .server(_, _, let labels) = self { return labels.contains("TransientTransactionError") }
        return false
    }
}

extension MongoError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidURI(let m): return "invalid connection string: \(m)"
        case .cannotConnect(let m): return "cannot connect to MongoDB: \(m)"
        case .authenticationFailed(let m): return "authentication failed: \(m)"
        case .server(let code, let m, _): return "server error \(code): \(m)"
        case .timeout(let m): return "timed out: \(m)"
        case .invalidDocument(let m): return "invalid document: \(m)"
        }
    }
}

extension MongoError {
    /// Classifies a libmongoc error (error API version 2). `reply`, when the operation returned one, supplies the
    /// server's error labels.
    static func from(_ error: bson_error_t, reply: BSONDocument? = nil, redacting secrets: [String] = []) -> MongoError {
        let text = Redactor.redact(message(of: error), secrets: secrets)
        let domain = error.domain
        let code = error.code
        let labels = Self.labels(in: reply)
        switch domain {
        case UInt32(MONGOC_ERROR_SERVER_SELECTION.rawValue):
            return .cannotConnect(text)
        case UInt32(MONGOC_ERROR_CLIENT.rawValue) where code == UInt32(MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue),
             UInt32(MONGOC_ERROR_SASL.rawValue), UInt32(MONGOC_ERROR_SCRAM.rawValue):
            return .authenticationFailed(text)
        case UInt32(MONGOC_ERROR_STREAM.rawValue):
            if code == UInt32(MONGOC_ERROR_STREAM_SOCKET.rawValue), text.localizedCaseInsensitiveContains("timed out") {
                return .timeout(text)
            }
            return .cannotConnect(text)
        case UInt32(MONGOC_ERROR_BSON.rawValue):
            return .invalidDocument(text)
        default:
            break
        }
        // Server-side errors (API v2 puts them in MONGOC_ERROR_SERVER, write errors in COMMAND/QUERY/WRITE_CONCERN).
        switch Int(code) {
        case 50: return .timeout("the server's time limit (maxTimeMS) ran out: \(text)")  // MaxTimeMSExpired
        case 18: return .authenticationFailed(text)    // AuthenticationFailed
        default: return .server(code: Int(code), message: text, labels: labels)
        }
    }

    /// The `errorLabels` of a reply: the server's, and those libmongoc adds (`TransientTransactionError` to a network
    /// error inside a transaction, `UnknownTransactionCommitResult` to a commit whose outcome is unknown).
    static func labels(in reply: BSONDocument?) -> [String] {
        reply?["errorLabels"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// libmongoc reports a reply that never came as "socket error or timeout", as it does a connection that broke.
    /// When the failing work lasted at least the reply timeout, it was the timeout: say so, with its length and source.
    func naming(replyTimeout: Duration, source: String, after elapsed: Duration) -> MongoError {
        guard case .cannotConnect(let text) = self, text.contains("socket error or timeout"), elapsed >= replyTimeout else {
            return self
        }
        return .timeout("no reply within \(replyTimeout.inSeconds.formatted()) s (\(source)): \(text)")
    }

    /// The text of a `bson_error_t` (its message is a fixed 504-byte C array).
    static func message(of error: bson_error_t) -> String {
        withUnsafeBytes(of: error.message) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
    }
}
