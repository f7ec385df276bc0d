import Findings
import Foundation
@testable import Reports
import TestSupport
import Testing

/// A plan's report as finance reads it: one Finance section, every month with the partial ones marked, a total row
/// equal to the sum of the rows, tables that render, and the chart beside it.
struct PlanReportTests {
    static let months: [Impact.Revenue.Month] = [
        .init(month: "2026-06", totals: .init(orders: 120, rupees: 15_600.5, withoutAmount: 7), partial: true,
              since: Date(timeIntervalSince1970: 1_780_704_000)),  // 6 June 2026
        .init(month: "2026-07", totals: .init(orders: 400, rupees: 52_000.25, withoutAmount: 20), partial: false),
        .init(month: "2026-08", totals: .init(orders: 0, rupees: 0, withoutAmount: 0), partial: false),
        .init(month: "2026-09", totals: .init(orders: 10, rupees: 1_300.3, withoutAmount: 1), partial: true),
    ]

    static func revenue(windowDays: Int = 30) -> Impact.Revenue {
        Impact.Revenue(title: "₹ unbilled (last \(windowDays) days)", windowDays: windowDays,
                       window: .init(orders: 10, rupees: 1_300.3, withoutAmount: 1),
                       allTime: .init(orders: 530, rupees: 68_901.05, withoutAmount: 28), months: months,
                       guideCount: 500, defaultAmount: 130, note: nil)
    }

    static var plan: StepPlan {
        StepPlan(step: 23, title: "Billing of one-time orders", kind: "data",
                 operations: [PlannedOperation(type: "unset", collection: "orders", description: "$unset billed", documents: 530)],
                 backup: BackupEstimate(parts: [.init(name: "orders", documents: 530, bytes: 53_000)]), estimateSeconds: 1.5,
                 approval: "finance", recommended: true, notRecommendedReason: nil, manual: [],
                 blockers: ["needs the approval of finance"], impacts: [.revenue(revenue())])
    }

    static var run: RunResult {
        RunResult(command: "plan", toolVersion: "0.1.0", startedAt: Date(timeIntervalSince1970: 1_790_000_000), seconds: 2,
                  server: "mongodb://127.0.0.1:27017", database: "earlybird", expectation: "applied", failOn: .error,
                  steps: [], plan: [plan])
    }

    /// The compliance table's first column is named after the rule's `group_by`, so a rule file that groups by another
    /// field gets its own heading, and one without a known field reads "Group".
    @Test(arguments: [("device_kind", "| Device kind | Records |"), ("", "| Group | Records |")])
    func complianceGroupsAreHeadedByTheirField(groupBy: String, heading: String) throws {
        var step = Self.plan
        step.impacts = [.compliance(.init(title: "records that would lose their audit data", groupBy: groupBy,
                                          groups: [.init(label: "web", records: 3, personalData: 1)], personalData: 1,
                                          fields: ["ip_address": 1], note: "Personal data fields: ip_address."))]
        let section = MarkdownPlanSections.compliance([step], budget: 10_000)
        #expect(section.contains(heading))
        #expect(!section.contains("Confirmation method"))
        let decoded = try JSONDecoder().decode(Impact.self, from: JSONEncoder().encode(step.impacts[0]))
        #expect(decoded.compliance?.groupBy == groupBy)
    }

    @Test func financeReadsAsOneSectionWithEveryMonthAndATotal() throws {
        let markdown = MarkdownReport.render(Self.run)
        #expect(markdown.components(separatedBy: "### Finance").count == 2, "one Finance section")
        #expect(markdown.contains("| 2026-06 (partial, from day 6) | 120 | ₹15,600.50 | 7 |"), "\(markdown)")
        #expect(markdown.contains("| 2026-08 | 0 | ₹0 | 0 |"), "a month without orders is a row")
        #expect(markdown.contains("| 2026-09 (partial, to date) |"))
        #expect(markdown.contains("| **Total** | **530** | **₹68,901.05** | **28** |"), "total = sum of the rows")
        #expect(markdown.contains("₹26,000.13, over the 2 full months below"), "average over full months")
        #expect(markdown.contains("projected from the last 30 days × 365 ÷ 30"))
        #expect(markdown.contains("priced at ₹130 each (the guide's assumption)"))
        #expect(markdown.contains("the guide's own query counts 500"))
        #expect(markdown.contains("⛔ blocked") && !markdown.contains("failed") && !markdown.contains("fail on"))
        #expect(markdown.contains("![Step 23: ₹ that would go unbilled, by month](revenue-step-23.svg)"))
    }

    /// The window is the rule file's: a 7-day window says so in every view, projects × 365 ÷ 7, and names its JSON
    /// figures after itself, which is how it reads back.
    @Test func theWindowComesFromTheImpact() throws {
        var plan = Self.plan
        plan.impacts = [.revenue(Self.revenue(windowDays: 7))]
        let run = RunResult(command: "plan", toolVersion: "0.1.0", startedAt: Self.run.startedAt, seconds: 2,
                            server: "mongodb://127.0.0.1:27017", database: "earlybird", expectation: "applied",
                            failOn: .error, steps: [], plan: [plan])
        let markdown = MarkdownReport.render(run)
        #expect(markdown.contains("- Per year: ₹67,801, projected from the last 7 days × 365 ÷ 7."), "\(markdown)")
        #expect(markdown.contains("- Orders in the last 7 days: 10, of which 1 have no amount"))
        #expect(!markdown.contains("30 days"))
        let text = PlanText.render([plan])
        #expect(text.contains("₹ unbilled, last 7 days: ₹1,300.30 (10 orders, 1 priced at ₹130 for want of an amount); "
            + "per year ₹67,801"), "\(text)")
        #expect(text.contains("projected from the last 7 days × 365 ÷ 7"))
        let json = try JSONReport.render(run)
        #expect(json.contains("\"ordersLast7Days\" : 10") && json.contains("\"withoutAmountLast7Days\" : 1"))
        #expect(try JSONReport.decode(json) == run)
    }

    @Test(.enabled(if: CmarkGFM.isAvailable, "cmark-gfm is not installed (scripts/bootstrap.sh installs it)"))
    func everyTableRenders() throws {
        #expect(try CmarkGFM.tableProblems(MarkdownReport.render(Self.run)).isEmpty)
        #expect(try CmarkGFM.tableProblems(MarkdownReport.render(Fixtures.failing)).isEmpty)
        // The check itself catches the blank line that once split a table from its header.
        #expect(try !CmarkGFM.tableProblems("| a | b |\n| --- | ---: |\n\n| 1 | 2 |\n").isEmpty)
    }

    @Test func theChartHasABarPerMonthAndReadsOnItsOwn() throws {
        let charts = try RevenueChart.charts([Self.plan])
        #expect(charts.map(\.name) == ["revenue-step-23.svg"])
        let svg = try #require(charts.first?.svg)
        #expect(svg.hasPrefix("<?xml") && svg.contains(#"xmlns="http://www.w3.org/2000/svg""#))
        #expect(svg.components(separatedBy: "<rect ").count - 1 == Self.months.count)
        #expect(svg.contains("<title>Step 23: ₹ that would go unbilled, by month of delivery</title>"))
        #expect(svg.contains("Total ₹68,901.05 over 4 months"))
        #expect(svg.components(separatedBy: ">partial<").count - 1 == 2, "both partial months are labelled")
        let written = try ReportWriter.write(Self.run, to: FileManager.default.temporaryDirectory
            .appendingPathComponent("rollgate-plan-\(UUID().uuidString)"))
        #expect(written.map(\.lastPathComponent) == ["junit.xml", "report.md", "report.json", "revenue-step-23.svg"])
    }
}
