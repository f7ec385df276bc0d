import Foundation
import Mongo
import Testing

/// A SecantusDB server of a test's own: `ROLLGATE_TEST_SERVER_BIN` on a free loopback port, temporary storage, test
/// commands enabled. For tests that kill a server or arm fail points, which must never disturb the shared one.
/// Killed and its storage removed when the value goes away.
public final class PrivateServer: @unchecked Sendable {
    public static let executable = ProcessInfo.processInfo.environment["ROLLGATE_TEST_SERVER_BIN"]
    public static var isAvailable: Bool { executable != nil }
    public static let skipReason: Comment = "ROLLGATE_TEST_SERVER_BIN is not set: run the tests through scripts/test.sh"
    /// The application name of the `rollgate` runs a fail point aims at (`appName` in its data); the test's own
    /// connections use another name and are never failed.
    public static let faultAppName = "rollgate-fault"

    public let port: Int
    public let directory: URL
    private let lock = NSLock()
    private var process: Process?

    public var uri: String { "mongodb://127.0.0.1:\(port)" }
    /// The URI for `rollgate` runs that fail points aim at.
    public var faultURI: String { "\(uri)/?appName=\(Self.faultAppName)" }

    /// Starts the server and waits until it answers a ping.
    public init() throws {
        port = Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-private-server-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts (again, after `kill`) on the same port and storage, and waits until it answers a ping.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable!)
        process.arguments = ["--host", "127.0.0.1", "--port", "\(port)",
                             "--storage-path", directory.appendingPathComponent("storage").path,
                             "--log-level", "WARNING", "--enable-test-commands"]
        let log = directory.appendingPathComponent("server.log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { self.process = process }
        let deadline = Date().addingTimeInterval(60)
        while true {
            do {
                try MongoPool(ConnectionSettings(uri: uri, timeout: .milliseconds(300))).withClient { try $0.ping() }
                return
            } catch {
                guard Date() < deadline, process.isRunning else {
                    let tail = (try? String(contentsOf: log, encoding: .utf8))?.suffix(2000) ?? ""
                    throw ServerError(message: "private test server on port \(port) did not start: \(error)\n\(tail)")
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// SIGKILL, as a crash would; waits for the process to be gone. Safe to call from any thread, more than once.
    public func kill() {
        guard let process = lock.withLock({ () -> Process? in defer { self.process = nil }; return self.process }) else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A pool for the test's own reads and writes (not aimed at by fail points).
    public func pool(timeout: Duration = .seconds(10)) throws -> MongoPool {
        try MongoPool(ConnectionSettings(uri: uri, timeout: timeout, appName: "rollgate-test-harness"))
    }

    /// Arms the fail point `name` while `body` runs, and always turns it off after. A `failCommand` aims only at the
    /// `rollgate` runs using `faultURI`.
    public func withFailPoint<T>(_ name: String = "failCommand", mode: BSON, _ data: BSONDocument = [:],
                                 _ body: () throws -> T) throws -> T {
        var command: BSONDocument = ["configureFailPoint": .string(name), "mode": mode]
        if name == "failCommand" {
            var scoped = data
            scoped["appName"] = .string(Self.faultAppName)
            command["data"] = .document(scoped)
        } else if !data.isEmpty {
            command["data"] = .document(data)
        }
        let pool = try pool(timeout: .seconds(2))  // short: the test may have killed the server by the time it is off
        try pool.withClient { try $0.runCommand(command, db: "admin") }
        defer {
            _ = try? pool.withClient { try $0.runCommand(["configureFailPoint": .string(name), "mode": "off"], db: "admin") }
        }
        return try body()
    }

    struct ServerError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// A loopback port nobody listens on (yet).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
