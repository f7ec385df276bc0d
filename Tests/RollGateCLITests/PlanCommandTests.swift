import Foundation
import Mongo
import Reports
import TestSupport
import Testing

/// `rollgate plan` and `rollgate rollback --dry-run` as people run them.
@Suite struct PlanCommandTests {
    @Test(arguments: ["18", "31", "23-20x", "", "23-20", "nineteen"])
    func badStepsExitTwo(steps: String) throws {
        let result = try RollGateProcess.run(["plan", steps, "--checks", AuditCommandTests.checks,
                                              "--uri", "mongodb://127.0.0.1:9", "--timeout", "1"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("invalid steps") || result.stderr.contains("error"), "\(result)")
    }

    @Test func rollbackWithoutAnOperatorIsInvalidInput() throws {
        let result = try RollGateProcess.run(["rollback", "23", "--uri", "mongodb://127.0.0.1:9"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("--operator is required"))
    }

    @Test(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
    func planPrintsCountsWritesReportsAndHistory() throws {
        let db = TestServer.freshDatabase("cli_plan")
        defer { try? TestServer.pool().withClient { _ = try? $0.database(db).runCommand(["dropDatabase": 1]) } }
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let environment = ["ROLLGATE_URI": TestServer.uri!, "ROLLGATE_DB": db]
        #expect(try RollGateProcess.run(["seed", "--orders", "600"], environment: environment).status == 0)

        let plan = try RollGateProcess.run(["plan", "20-23", "--checks", AuditCommandTests.checks, "--operator", "asha",
                                            "--report-dir", reports.path], environment: environment)
        #expect(plan.status == 0, "\(plan)")
        let order = ["Step 23", "Step 22", "Step 21", "Step 20"].map { plan.stdout.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! }, "reverse order: \(plan.stdout)")
        #expect(plan.stdout.contains("₹ unbilled, last 30 days: ₹") && plan.stdout.contains("BLOCKED: needs the approval of finance"))
        let junit = try String(contentsOf: reports.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(try JUnitSchema.validate(junit, schemaAt: AuditCommandTests.root
            .appendingPathComponent("Tests/ReportsTests/Expected/junit.xsd")).isEmpty)
        #expect(junit.contains("needs the approval of finance"))
        let markdown = try String(contentsOf: reports.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.hasPrefix("## 📋 RollGate plan") && markdown.contains("### Finance"), "\(markdown.prefix(300))")

        let dry = try RollGateProcess.run(["rollback", "19", "--dry-run", "--no-history", "--checks", AuditCommandTests.checks,
                                           "--report-dir", reports.path], environment: environment)
        #expect(dry.status == 0, "\(dry)")
        let history = try TestServer.pool().withClient {
            try $0.database(db).collection("admin").find(["type": "rollback"]).toArray()
        }
        #expect(history.count == 4, "one entry per planned step; --no-history adds none")
        #expect(history.allSatisfy { $0["operator"] == "asha" && $0["mode"] == "dry-run" })
    }
}
