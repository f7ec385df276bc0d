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

    /// `--export`: a CSV row per unbilled order that adds up to the plan's total to the paisa, and a CSV per delivery
    /// losing its audit data with personal data masked unless asked for (then the file is readable by its owner only).
    @Test(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
    func exportWritesTheRecordsBehindTheFiguresAndMasksPersonalData() throws {
        let db = TestServer.freshDatabase("cli_export")
        defer { try? TestServer.pool().withClient { _ = try? $0.database(db).runCommand(["dropDatabase": 1]) } }
        let reports = try AuditCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reports) }
        let environment = ["ROLLGATE_URI": TestServer.uri!, "ROLLGATE_DB": db]
        #expect(try RollGateProcess.run(["seed", "--orders", "600"], environment: environment).status == 0)
        let lonely = try RollGateProcess.run(["plan", "23", "--include-personal-data"], environment: environment)
        #expect(lonely.status == 2 && lonely.stderr.contains("--include-personal-data needs --export"), "\(lonely)")

        let exports = reports.appendingPathComponent("exports")
        let plan = try RollGateProcess.run(["plan", "23,25", "--checks", AuditCommandTests.checks, "--no-history",
                                            "--report-dir", reports.path, "--export", exports.path], environment: environment)
        #expect(plan.status == 0, "\(plan)")
        let orders = try CSV.read(exports.appendingPathComponent("step-23-unbilled-orders.csv"))
        #expect(orders.first == ["id", "customer_id", "delivery_date", "amount", "priced_at_default"])
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("report.json")))
            as? [String: Any])
        let step23 = try #require((json["plan"] as? [[String: Any]])?.first { $0["step"] as? Int == 23 })
        let figures = try #require((step23["impacts"] as? [[String: Any]])?.first { $0["kind"] as? String == "revenue" }?["figures"]
            as? [String: Double])
        let rows = orders.dropFirst()
        #expect(Double(rows.count) == figures["orders"], "one row per order the plan counts")
        let paise = rows.reduce(0) { $0 + (Double($1[3])! * 100).rounded() }
        #expect(paise == (figures["rupeesAllTime"]! * 100).rounded(), "the rows add up to the plan's total")
        #expect(Double(rows.filter { $0[4] == "true" }.count) == figures["withoutAmount"])
        #expect(rows.allSatisfy { $0[2].count == 10 && $0[2].hasPrefix("20") }, "delivery dates as UTC days")
        let expected = try TestServer.pool().withClient {
            try $0.database(db).collection("orders").find(["status": "DELIVERED", "subscription_id": .null]).toArray()
        }
        #expect(Set(rows.map { $0[0] }) == Set(expected.compactMap { $0["id"]?.stringValue }), "exactly the unbilled orders")

        // Personal data never reaches the default export, and the report says the file is masked.
        let audit = exports.appendingPathComponent("step-25-delivery_statuses-losing-audit-data.csv")
        let masked = try String(contentsOf: audit, encoding: .utf8)
        let personal = try TestServer.pool().withClient {
            try $0.database(db).collection("delivery_statuses").find(["confirmed_by_user_id": ["$exists": true]]).toArray()
        }
        #expect(!personal.isEmpty)
        let values = personal.flatMap { d in ["confirmed_by_name", "ip_address", "device_info"].compactMap { d[$0]?.stringValue } }
        #expect(!values.isEmpty && !values.contains { masked.contains($0) }, "no name, IP or device in the masked file")
        #expect(try CSV.read(audit).count == personal.count + 1)
        let markdown = try String(contentsOf: reports.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("### Exports for reconciliation") && markdown.contains("masked: confirmed\\_by\\_name"))
        #expect(try CmarkGFM.tableProblems(markdown).isEmpty)
        #expect(plan.stdout.contains("orders that would go unbilled"))

        let open = try RollGateProcess.run(["plan", "25", "--checks", AuditCommandTests.checks, "--no-history", "--report-dir",
                                            reports.path, "--export", exports.path, "--include-personal-data"],
                                           environment: environment)
        #expect(open.status == 0 && open.stdout.contains("HOLDS PERSONAL DATA"), "\(open)")
        let clear = try String(contentsOf: audit, encoding: .utf8)
        #expect(values.allSatisfy { clear.contains($0) || $0.contains(",") || $0.contains("\"") })
        let mode = try FileManager.default.attributesOfItem(atPath: audit.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "a file holding personal data is readable by its owner only")
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
