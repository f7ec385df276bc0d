import Findings
import Foundation
import Reports
import Testing

struct JSONReportTests {
    @Test(arguments: Fixtures.all)
    func decodesBackToTheSameRun(_ fixture: NamedRun) throws {
        #expect(try JSONReport.decode(JSONReport.render(fixture.run)) == fixture.run, "\(fixture.name)")
    }

    @Test func isPrettySortedAndVersioned() throws {
        let json = try JSONReport.render(Fixtures.failing)
        #expect(json.contains("\n  \"schemaVersion\" : 1,\n"))
        #expect(json.contains("\"startedAt\" : \"2026-02-01T10:00:00.000Z\""))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == RunResult.currentSchemaVersion)
        let keys = json.split(separator: "\n").filter { $0.hasPrefix("  \"") }
            .map { $0.dropFirst(3).prefix { $0 != "\"" } }
        #expect(keys == ["command", "database", "expectation", "failOn", "schemaVersion", "seconds", "server",
                         "startedAt", "steps", "toolVersion"])
    }

    @Test func keepsMillisecondsAndNonFiniteFigures() throws {
        var run = Fixtures.hostile
        run.startedAt = Date(timeIntervalSince1970: 1_769_940_000.125)
        let json = try JSONReport.render(run)
        #expect(json.contains("\"2026-02-01T10:00:00.125Z\""))
        #expect(json.contains("\"p95Ms\" : \"Infinity\""))
        #expect(try JSONReport.decode(json) == run)
    }

    @Test func readsDatesWithoutFractionalSeconds() throws {
        let json = try JSONReport.render(Fixtures.passing).replacingOccurrences(of: ".000Z", with: "Z")
        #expect(try JSONReport.decode(json).startedAt == Fixtures.startedAt)
    }
}

extension JSONReportTests {
    /// A plan with every kind of impact reads back to the same typed impacts.
    @Test func planDecodesBackToTheSamePlan() throws {
        #expect(try JSONReport.decode(JSONReport.render(PlanFixture.run)) == PlanFixture.run)
    }
}

extension JSONReportTests {
    /// A hand-edited report whose count is not a whole number reads that count as 0 instead of trapping.
    @Test func aCountThatIsNotWholeReadsAsZero() throws {
        let json = try JSONReport.render(PlanFixture.run)
        #expect(json.contains("\"orders\" : 530,"))
        for bad in ["\"NaN\"", "\"Infinity\"", "1e300", "530.5"] {
            let run = try JSONReport.decode(json.replacingOccurrences(of: "\"orders\" : 530,", with: "\"orders\" : \(bad),"))
            let revenue = try #require(run.plan?.first?.impacts.first?.revenue)
            #expect(revenue.allTime.orders == 0, "\(bad)")
            #expect(revenue.window.orders == 10)
        }
    }
}
