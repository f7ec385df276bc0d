import Foundation
import Mongo
import Reports
import TestSupport
import Testing

/// `rollgate audit` and `rollgate checks lint` as a CI job runs them.
@Suite struct AuditCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let checks = root.appendingPathComponent("checks").path


    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-cli-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func lintAcceptsTheCatalog() throws {
        let result = try RollGateProcess.run(["checks", "lint", Self.checks])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("12 rule files"))
    }

    @Test func lintRefusesABrokenFileWithFileAndLine() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.checks) {
            try FileManager.default.copyItem(atPath: "\(Self.checks)/\(file)", toPath: dir.appendingPathComponent(file).path)
        }
        let broken = dir.appendingPathComponent("step-20-delivery-order-id.yaml")
        let text = try String(contentsOf: broken, encoding: .utf8).replacingOccurrences(of: "fields: [order_id]", with: "feilds: [order_id]")
        try text.write(to: broken, atomically: true, encoding: .utf8)
        let result = try RollGateProcess.run(["checks", "lint", dir.path])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("step-20-delivery-order-id.yaml:"), "\(result)")
        #expect(result.stderr.contains("unknown key 'feilds'"))
    }

    @Test(arguments: [
        ["audit", "--steps", "31"], ["audit", "--steps", "23-20x"], ["audit", "--steps", ""],
        ["audit", "--fail-on", "info"], ["audit", "--expect", "maybe"], ["audit", "--concurrency", "0"],
        ["audit", "--api-url", "ftp://x"], ["audit", "--checks", "/nonexistent/checks"],
    ])
    func badAuditInputExitsTwo(arguments: [String]) throws {
        var args = arguments
        if !args.contains("--checks") { args += ["--checks", Self.checks] }
        let result = try RollGateProcess.run(args + ["--uri", "mongodb://127.0.0.1:9", "--timeout", "1"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("error"))
    }

    @Test func unreachableServerExitsThree() throws {
        let result = try RollGateProcess.run(["audit", "--checks", Self.checks, "--uri", "mongodb://127.0.0.1:9",
                                              "--timeout", "1", "--report-dir", "/tmp/rollgate-never-written"])
        #expect(result.status == 3, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/rollgate-never-written/junit.xml"))
    }

    @Test(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
    func auditGatesAndWritesValidReports() throws {
        let db = TestServer.freshDatabase("cli_audit")
        defer { try? TestServer.pool().withClient { _ = try? $0.database(db).runCommand(["dropDatabase": 1]) } }
        let reports = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let environment = ["ROLLGATE_URI": TestServer.uri!, "ROLLGATE_DB": db]

        let seed = try RollGateProcess.run(["seed", "--orders", "800", "--state", "applied"], environment: environment)
        #expect(seed.status == 0, "\(seed)")
        // Steps 19-29: latency (step 30) depends on what else the shared test server is doing.
        let passed = try RollGateProcess.run(["audit", "--checks", Self.checks, "--steps", "19-29",
                                              "--report-dir", reports.path], environment: environment)
        #expect(passed.status == 0, "\(passed)")
        #expect(passed.stdout.contains("✔ step 19") && passed.stdout.contains("Audit passed"), "\(passed)")
        let junit = try String(contentsOf: reports.appendingPathComponent("junit.xml"), encoding: .utf8)
        let schema = Self.root.appendingPathComponent("Tests/ReportsTests/Expected/junit.xsd")
        #expect(try JUnitSchema.validate(junit, schemaAt: schema).isEmpty)
        let markdown = try String(contentsOf: reports.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.hasPrefix("## ✅"), "\(markdown.prefix(200))")
        #expect(try CmarkGFM.tableProblems(markdown).isEmpty, "report.md renders its tables")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("report.json"))) as? [String: Any]
        #expect(json?["schemaVersion"] as? Int == 1)

        let reseed = try RollGateProcess.run(["seed", "--orders", "800", "--state", "none", "--drop"], environment: environment)
        #expect(reseed.status == 0, "\(reseed)")
        let failed = try RollGateProcess.run(["audit", "--checks", Self.checks, "--steps", "19-23",
                                              "--report-dir", reports.path], environment: environment)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stdout.contains("✘ step 19") && failed.stdout.contains("Audit failed"), "\(failed)")
        let failedMarkdown = try String(contentsOf: reports.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(failedMarkdown.contains("### What failed"))
        #expect(try CmarkGFM.tableProblems(failedMarkdown).isEmpty, "a failed audit's report.md renders its tables")
        let rolledBack = try RollGateProcess.run(["audit", "--checks", Self.checks, "--steps", "19-23",
                                                  "--expect", "rolled-back", "--report-dir", reports.path],
                                                 environment: environment)
        #expect(rolledBack.status == 0, "\(rolledBack)")
    }
}
