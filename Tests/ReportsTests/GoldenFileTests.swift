import Foundation
import Reports
import Testing

/// The reports of `Fixtures.failing` and `PlanFixture.run`, compared byte for byte with `Expected/failing-run.*` and
/// `Expected/plan-run.*`.
///
/// After an intended change of a report's shape, rewrite the stored files with
/// `ROLLGATE_UPDATE_GOLDEN=1 swift test --filter ReportsTests.GoldenFileTests`, review the diff, then build and run
/// the tests again (the test bundle holds a copy of `Expected/` made at build time).
struct GoldenFileTests {
    static let updating = ProcessInfo.processInfo.environment["ROLLGATE_UPDATE_GOLDEN"] == "1"

    @Test func markdown() throws {
        try compare(MarkdownReport.render(Fixtures.failing), with: "failing-run.md")
    }

    @Test func junit() throws {
        try compare(JUnitReport.render(Fixtures.failing), with: "failing-run.junit.xml")
    }

    @Test func planJSON() throws {
        try compare(JSONReport.render(PlanFixture.run), with: "plan-run.json")
    }

    @Test func planMarkdown() throws {
        try compare(MarkdownReport.render(PlanFixture.run), with: "plan-run.md")
    }

    @Test func planText() throws {
        try compare(PlanText.render(PlanFixture.run.plan ?? []) + "\n", with: "plan-run.txt")
    }

    private func compare(_ rendered: String, with name: String) throws {
        if Self.updating {
            try Data(rendered.utf8).write(to: Expected.sourceDirectory.appendingPathComponent(name), options: .atomic)
            return
        }
        let expected = try Expected.text(name)
        #expect(rendered == expected, "differs from Expected/\(name); see the comment on GoldenFileTests")
    }
}
