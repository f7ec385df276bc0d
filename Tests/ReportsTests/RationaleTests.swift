import Findings
import Foundation
import Reports
import Testing

/// A rule's `rationale` and `references` reach the people reading a failure: in Markdown's "What failed", as JUnit
/// properties of the step's testsuite, and in the JSON; a step without them renders as before.
struct RationaleTests {
    static func run(rationale: String?, references: [String]?) -> RunResult {
        Fixtures.run([
            StepResult(step: 23, title: "Billing of one-time orders", kind: "data", severity: .critical, approval: "finance",
                       dependsOn: [], findings: [
                           Finding(code: FindingCode.schema, step: 23, check: "orders.billed", title: "Orders carry billed",
                                   verdict: .failed, severity: .critical, measured: "9 of 10", expected: "all 10",
                                   figures: ["carrying": 9, "total": 10], seconds: 0.1),
                       ], seconds: 0.1, rationale: rationale, references: references),
        ])
    }

    @Test func aFailureSaysWhyItMattersAndWhereItIsWrittenDown() throws {
        let run = Self.run(rationale: "One-time orders are billed only while the flag | is <set>",
                           references: ["rollback-procedures-guide.md, STEP 23", "FIN-2291"])
        let markdown = MarkdownReport.render(run)
        #expect(markdown.contains("  - Why it matters: One-time orders are billed only while the flag \\| is \\<set\\>"), "\(markdown)")
        #expect(markdown.contains("  - References: rollback-procedures-guide.md, STEP 23; FIN-2291"), "\(markdown)")

        let xml = try JUnitReport.render(run)
        #expect(try JUnitSchema.validate(xml, schemaAt: Expected.junitSchema) == [])
        #expect(xml.contains(#"<property name="rationale" value="One-time orders are billed only while the flag | is &lt;set&gt;"/>"#), "\(xml)")
        #expect(xml.contains(#"<property name="reference" value="FIN-2291"/>"#), "\(xml)")

        let json = try JSONSerialization.jsonObject(with: Data(try JSONReport.render(run).utf8)) as? [String: Any]
        let step = (json?["steps"] as? [[String: Any]])?.first
        #expect(step?["references"] as? [String] == ["rollback-procedures-guide.md, STEP 23", "FIN-2291"])
    }

    @Test func aStepWithoutThemRendersAsBefore() throws {
        let plain = Self.run(rationale: nil, references: [])
        #expect(!MarkdownReport.render(plain).contains("Why it matters") && !MarkdownReport.render(plain).contains("References"))
        #expect(try !JUnitReport.render(plain).contains("rationale"))
        #expect(try !JSONReport.render(plain).contains("references"), "an empty list is left out of the JSON")
    }
}
