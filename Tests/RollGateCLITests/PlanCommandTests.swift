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
        #expect(try CmarkGFM.tableProblems(markdown).isEmpty, "every table of the plan report renders")
        #expect(markdown.components(separatedBy: "### Finance").count == 2, "one Finance section")
        #expect(!markdown.contains("### What failed") && !markdown.contains("❌") && !markdown.contains("expect **"),
                "a plan is ready or blocked, never failed")
        #expect(markdown.contains("⛔ blocked") && markdown.contains("✅ ready"))
        try Self.checkMonthsAddUp(reports: reports, database: db)

        let dry = try RollGateProcess.run(["rollback", "19", "--dry-run", "--no-history", "--checks", AuditCommandTests.checks,
                                           "--report-dir", reports.path], environment: environment)
        #expect(dry.status == 0, "\(dry)")
        let history = try TestServer.pool().withClient {
            try $0.database(db).collection("admin").find(["type": "rollback"]).toArray()
        }
        #expect(history.count == 4, "one entry per planned step; --no-history adds none")
        #expect(history.allSatisfy { $0["operator"] == "asha" && $0["mode"] == "dry-run" })
    }

    /// The revenue of step 23, read from `report.json`: every month from the oldest order's to the current one, the
    /// partial ones marked, the rows adding up to the total to the paisa; the chart beside it has a bar per month.
    static func checkMonthsAddUp(reports: URL, database: String) throws {
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("report.json")))
            as? [String: Any])
        let plan = try #require(json["plan"] as? [[String: Any]])
        let step = try #require(plan.first { $0["step"] as? Int == 23 })
        let revenue = try #require((step["impacts"] as? [[String: Any]])?.first { $0["kind"] as? String == "revenue" })
        let rows = try #require(revenue["rows"] as? [[String: Any]])
        let figures = try #require(revenue["figures"] as? [String: Double])
        func rupees(_ row: [String: Any]) -> Double { (row["figures"] as? [String: Double])?["rupees"] ?? .nan }
        let paise = rows.reduce(0) { $0 + (rupees($1) * 100).rounded() }
        #expect(paise == (try #require(figures["rupeesAllTime"]) * 100).rounded(), "the months add up to the total")
        #expect(rows.reduce(0) { $0 + ((($1["figures"] as? [String: Double])?["orders"]) ?? 0) } == figures["orders"])

        // The first row is the month of the oldest delivered one-time order; the last is this month, partial.
        let oldest = try TestServer.pool().withClient {
            try $0.database(database).collection("orders").find(
                ["status": "DELIVERED", "subscription_id": .null],
                options: FindOptions(sort: ["delivery_date": 1], limit: 1)).toArray().first?["delivery_date"]
        }
        guard let first = oldest?.dateValue else { Issue.record("no delivered one-time order: \(String(describing: oldest))"); return }
        let month = DateFormatter()
        month.timeZone = TimeZone(identifier: "UTC")
        month.dateFormat = "yyyy-MM"
        #expect(rows.first?["label"] as? String == month.string(from: first), "\(rows.map { $0["label"] ?? "" })")
        #expect(rows.last?["label"] as? String == month.string(from: Date()))
        #expect((rows.last?["figures"] as? [String: Double])?["partial"] == 1, "the current month is partial")
        let full = rows.filter { ($0["figures"] as? [String: Double])?["partial"] == 0 }
        let average = full.reduce(0) { $0 + rupees($1) } / Double(full.count)
        #expect(abs((figures["perMonthAverage"] ?? 0) - average) < 0.005, "the average is over full months only")

        let svg = try String(contentsOf: reports.appendingPathComponent("revenue-step-23.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: "<rect ").count - 1 == rows.count, "one bar per month")
        #expect(svg.contains("<title>Step 23"))
        let markdown = try String(contentsOf: reports.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("](revenue-step-23.svg)"), "report.md links the chart")
    }
}
