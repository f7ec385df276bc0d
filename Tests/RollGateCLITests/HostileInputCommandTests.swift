import Foundation
import TestSupport
import Testing

/// The hostile corpus through the executable, as a user meets it: exit code 2 and one line on stderr naming the
/// file and line, the argument or the connection string, and no password. Needs no server: nothing gets as far as
/// connecting, and where a well-formed connection string is the point, it names a closed port.
@Suite struct HostileInputCommandTests {
    static let checks = AuditCommandTests.checks
    static let closedPort = ["--uri", "mongodb://127.0.0.1:9", "--timeout", "1"]

    /// The one line of stderr, which starts `rollgate: error: `; nil when there is not exactly one.
    static func errorLine(_ result: RollGateProcess.Result) -> String? {
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count == 1, let line = lines.first, line.hasPrefix("rollgate: error: ") else { return nil }
        return String(line.dropFirst("rollgate: error: ".count))
    }

    @Test(arguments: HostileFile.corpus("RuleFiles"))
    func lintRefusesAHostileRuleFile(_ entry: HostileFile) throws {
        let directory = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: entry.url, to: directory.appendingPathComponent(entry.name))

        let result = try RollGateProcess.run(["checks", "lint", directory.path])
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(Self.errorLine(result) != nil, "one error line on stderr: \(result)")
        expectRefusal(Self.errorLine(result), file: directory.appendingPathComponent(entry.name).path, line: entry.line,
                      text: entry.text)
    }

    @Test(arguments: HostileFile.corpus("Approvals"))
    func rollbackRefusesAHostileApprovalFile(_ entry: HostileFile) throws {
        let result = try RollGateProcess.run(["rollback", "23", "--operator", "tester", "--approval", entry.url.path,
                                              "--checks", Self.checks] + Self.closedPort)
        #expect(result.status == 2, "\(result)")
        #expect(Self.errorLine(result) != nil, "one error line on stderr: \(result)")
        expectRefusal(Self.errorLine(result), file: entry.url.path, line: entry.line, text: entry.text)
    }

    @Test(arguments: [
        ("", "no steps given"),
        ("-", "is not a range like 20-23"),
        ("30-19", "is backwards"),
        ("19--20", "is not a step or a range"),
        ("1e3", "is not a step number"),
        ("９", "is not a step number"),
        ("99999999999999999999", "is not a step number"),
        (",,,", "is not a step number"),
        ("23\n24", "'23\\n24'"),
        ("31", "there is no step 31"),
        (String(repeating: "2", count: 100_000), "…'"),
    ])
    func planRefusesHostileSteps(steps: String, message: String) throws {
        let result = try RollGateProcess.run(["plan", steps, "--checks", Self.checks] + Self.closedPort)
        #expect(result.status == 2, "exit \(result.status)")
        let line = Self.errorLine(result)
        #expect(line?.hasPrefix("invalid steps: ") == true, "\(result.stderr.prefix(300))")
        #expect(line?.contains(message) == true, "\(result.stderr.prefix(300))")
        #expect((line?.count ?? 0) < 300)
    }

    @Test func oddButValidStepsGetAsFarAsConnecting() throws {
        let result = try RollGateProcess.run(["plan", " 23 ", "--checks", Self.checks] + Self.closedPort)
        #expect(result.status == 3, "\(result)")
        #expect(Self.errorLine(result)?.contains("cannot connect") == true, "\(result)")
    }

    /// A connection string, the exit code it gets, what the message says, and the password that must not show.
    struct Connection: CustomTestStringConvertible, Sendable {
        let uri: String
        let status: Int32
        let message: String
        let password: String?
        var testDescription: String { uri.count > 60 ? "\(uri.prefix(30))… (\(uri.count) characters)" : uri.debugDescription }
    }

    @Test(arguments: [
        Connection(uri: "", status: 2, message: "Invalid URI Schema", password: nil),
        Connection(uri: "http://x", status: 2, message: "Invalid URI Schema", password: nil),
        Connection(uri: "mongodb://", status: 2, message: "Invalid host string", password: nil),
        Connection(uri: "mongodb://[::1", status: 2, message: "Invalid host string", password: nil),
        Connection(uri: "mongodb://[::1]:99999", status: 2, message: "Invalid host string", password: nil),
        Connection(uri: "mongodb://localhost:99999", status: 2, message: "Invalid host string", password: nil),
        Connection(uri: "mongodb://localhost:-1", status: 2, message: "Invalid host string", password: nil),
        Connection(uri: "mongodb://localhost/?fooBar=1", status: 2, message: "unsupported option 'fooBar'", password: nil),
        Connection(uri: "mongodb://localhost/?replicaSet=", status: 2, message: "cannot be empty", password: nil),
        Connection(uri: "mongodb://h\nx:1", status: 2, message: "control character", password: nil),
        Connection(uri: "mongodb://" + String(repeating: "a", count: 100_000), status: 2, message: "Invalid host string",
                   password: nil),
        Connection(uri: "mongodb://admin:p@ss:w/rd%@127.0.0.1:9/", status: 2, message: "invalid connection string",
                   password: "p@ss:w/rd%"),
        Connection(uri: "mongodb://admin:%zzSecret@127.0.0.1:9", status: 2, message: "Incorrect URI escapes",
                   password: "%zzSecret"),
        Connection(uri: "mongodb://admin:Tr0ub4dor&3@127.0.0.1:9/?tlss=true", status: 2,
                   message: "unsupported option 'tlss'", password: "Tr0ub4dor&3"),
        Connection(uri: "mongodb://admin:Hunter2secret@127.0.0.1:9/?Hunter2secret=1", status: 2,
                   message: "unsupported option", password: "Hunter2secret"),
        Connection(uri: "mongodb://admin:S3cr3t!#$@127.0.0.1:9", status: 3, message: "cannot connect",
                   password: "S3cr3t!#$"),
        Connection(uri: "mongodb://admin:pässwörd€@127.0.0.1:9", status: 3, message: "cannot connect",
                   password: "pässwörd€"),
        Connection(uri: "mongodb://admin:Line%0ABreak@127.0.0.1:9", status: 3, message: "cannot connect",
                   password: "Line%0ABreak"),
    ])
    func doctorRefusesAHostileConnectionString(_ connection: Connection) throws {
        let result = try RollGateProcess.run(["doctor", "--uri", connection.uri, "--timeout", "1"])
        #expect(result.status == connection.status, "\(result)")
        let line = Self.errorLine(result)
        #expect(line?.contains(connection.message) == true, "\(result.stderr.prefix(300))")
        #expect((line?.count ?? 0) < 300)
        if let password = connection.password {
            for secret in [password, password.removingPercentEncoding ?? password] {
                #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret), "\(result)")
            }
        }
    }
}
