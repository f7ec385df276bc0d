import Foundation
import Mongo
import TestSupport
import Testing

/// What RollGate can do with the least-privilege roles of `Docs/mongodb-roles.json` on a server that requires SCRAM,
/// and over TLS; and that no password reaches any output, report or history entry.
@Suite struct AccessTests {
    static let checks = AuditCommandTests.checks

    /// Runs rollgate as the user of `uri` against the access database.
    static func run(_ arguments: [String], as uri: String, reports: URL? = nil) throws -> RollGateProcess.Result {
        let extra = reports.map { ["--report-dir", $0.path] } ?? []
        return try RollGateProcess.run(arguments + extra,
                                       environment: ["ROLLGATE_URI": uri, "ROLLGATE_DB": TestServer.accessDatabase!])
    }

    /// Every EarlyBird document, by collection (RollGate's own history, lock and backups left out).
    static func snapshot(_ database: MongoDatabase) throws -> [String: [BSONDocument]] {
        var collections: [String: [BSONDocument]] = [:]
        for name in try database.collectionNames() where name != "admin" && !name.hasPrefix("rollback_backup_") {
            collections[name] = try database.collection(name).find([:], options: FindOptions(sort: ["_id": 1])).toArray()
        }
        return collections
    }

    /// The password of a `mongodb://user:password@host` URI, as written (percent-encoded) and decoded.
    static func passwordForms(_ uri: String) -> [String] {
        guard let userInfo = uri.split(separator: "@").first?.split(separator: "//").last,
              let encoded = userInfo.split(separator: ":", maxSplits: 1).last.map(String.init) else { return [] }
        return [encoded, encoded.removingPercentEncoding ?? encoded]
    }

    static func filesText(_ directory: URL) throws -> String {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .map { try String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    @Test(.enabled(if: TestServer.accessIsAvailable, "no least-privilege users: run through scripts/test.sh"))
    func auditRoleReadsOnlyAndRollbackRoleRollsBackWithoutLeakingPasswords() throws {
        let auditor = TestServer.auditorURI!, operator_ = TestServer.operatorURI!, root = TestServer.authURI!
        let pool = try MongoPool(ConnectionSettings(uri: root, timeout: .seconds(10)))
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        var outputs: [RollGateProcess.Result] = []
        func run(_ arguments: [String], as uri: String, report: String? = nil) throws -> RollGateProcess.Result {
            let folder = report.map { reports.appendingPathComponent($0) }
            let result = try Self.run(arguments, as: uri, reports: folder)
            outputs.append(result)
            return result
        }

        let seed = try run(["seed", "--orders", "300", "--drop"], as: root)
        try #require(seed.status == 0, "\(seed)")
        let before = try pool.withClient { try Self.snapshot($0.database(TestServer.accessDatabase!)) }

        // The audit role: audit, status and history work; every probe could read what it needs.
        let audit = try run(["audit", "--checks", Self.checks], as: auditor, report: "audit")
        #expect([0, 1].contains(audit.status), "\(audit)")
        let auditReport = try String(contentsOf: reports.appendingPathComponent("audit/report.json"), encoding: .utf8)
        #expect(!auditReport.contains("RG-PROBE-001"), "a probe failed under the audit role")
        #expect(!auditReport.contains("not authorized"))
        for command in [["status"], ["history"], ["details", "20", "--checks", Self.checks]] {
            let result = try run(command, as: auditor)
            #expect(result.status == 0, "\(command): \(result)")
        }
        // It cannot roll back: refused by the server before anything changes, with a hint at the roles.
        let denied = try run(["rollback", "20", "--operator", "asha", "--checks", Self.checks], as: auditor, report: "denied")
        #expect(denied.status == 3, "\(denied)")
        #expect(denied.stderr.contains("not authorized"), "\(denied)")
        #expect(denied.stderr.contains("Docs/access.md"), "\(denied)")
        #expect(try pool.withClient { try Self.snapshot($0.database(TestServer.accessDatabase!)) } == before)

        // The rollback role: plan, rollback and re-apply, back to the very same documents.
        let plan = try run(["plan", "20", "--checks", Self.checks], as: operator_, report: "plan")
        #expect(plan.status == 0, "\(plan)")
        let rollback = try run(["rollback", "20", "--operator", "asha", "--checks", Self.checks], as: operator_,
                               report: "rollback")
        #expect(rollback.status == 0, "\(rollback)")
        let remaining = try pool.withClient {
            try $0.database(TestServer.accessDatabase!).collection("delivery_statuses").count(["order_id": ["$exists": true]])
        }
        #expect(remaining == 0)
        let reapply = try run(["reapply", "20", "--operator", "asha"], as: operator_)
        #expect(reapply.status == 0, "\(reapply)")
        #expect(try pool.withClient { try Self.snapshot($0.database(TestServer.accessDatabase!)) } == before)

        // No password in any output, report or history entry, raw or percent-encoded.
        let history = try pool.withClient { client in
            try client.database(TestServer.accessDatabase!).collection("admin").find([:]).toArray()
                .map { try $0.extendedJSON(.relaxed) }.joined(separator: "\n")
        }
        #expect(history.contains("\"rollback\""), "the history holds the runs above")
        let everything = outputs.map { $0.stdout + $0.stderr }.joined() + (try Self.filesText(reports.appendingPathComponent("audit")))
            + (try Self.filesText(reports.appendingPathComponent("rollback"))) + (try Self.filesText(reports.appendingPathComponent("plan")))
            + history
        for uri in [auditor, operator_, root] {
            for secret in Self.passwordForms(uri) {
                #expect(!everything.contains(secret), "a password leaked")
            }
        }
    }

    @Test(.enabled(if: TestServer.tlsIsAvailable, "no TLS server: run through scripts/test.sh"))
    func tlsOptionsInTheURIAreHonoured() throws {
        let uri = TestServer.tlsURI!
        let port = uri.split(separator: ":")[2].split(separator: "/")[0]
        // With the CA that signed the server's certificate: connected.
        let trusted = try RollGateProcess.run(["doctor", "--uri", uri, "--timeout", "5"])
        #expect([0, 1].contains(trusted.status), "\(trusted)")
        #expect(trusted.stdout.contains("version"), "\(trusted)")
        // Without it the certificate is not trusted; without TLS the server does not answer: exit 3, one line.
        for refused in ["mongodb://localhost:\(port)/?tls=true", "mongodb://localhost:\(port)/"] {
            let result = try RollGateProcess.run(["doctor", "--uri", refused, "--timeout", "2"])
            #expect(result.status == 3, "\(refused): \(result)")
            #expect(result.stderr.hasPrefix("rollgate: error:"), "\(result)")
            #expect(result.seconds < 15, "\(refused) took \(result.seconds) s")
        }
        // A missing CA file is bad input, named as such.
        let missing = try RollGateProcess.run(["doctor", "--uri", "mongodb://localhost:\(port)/?tls=true&tlsCAFile=/nonexistent/ca.pem",
                                                "--timeout", "2"])
        #expect([2, 3].contains(missing.status), "\(missing)")
        #expect(missing.stderr.hasPrefix("rollgate: error:"), "\(missing)")
    }
}
