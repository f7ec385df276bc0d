import Foundation
import Reports
import Testing

struct ReportWriterTests {
    @Test func writesTheThreeReportsIntoANewDirectory() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-reports-\(UUID())")
        defer { try? FileManager.default.removeItem(at: base) }
        let directory = base.appendingPathComponent("nested/reports")
        let urls = try ReportWriter.write(Fixtures.failing, to: directory)
        #expect(urls.map(\.lastPathComponent) == ["junit.xml", "report.md", "report.json"])
        #expect(try String(contentsOf: urls[0], encoding: .utf8) == JUnitReport.render(Fixtures.failing))
        #expect(try String(contentsOf: urls[1], encoding: .utf8) == MarkdownReport.render(Fixtures.failing))
        #expect(try String(contentsOf: urls[2], encoding: .utf8) == JSONReport.render(Fixtures.failing))

        try ReportWriter.write(Fixtures.passing, to: directory)
        #expect(try String(contentsOf: urls[1], encoding: .utf8) == MarkdownReport.render(Fixtures.passing))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            == ["junit.xml", "report.json", "report.md"])
    }

    @Test func failsWhenTheDirectoryCannotBeCreated() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-file-\(UUID())")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: (any Error).self) { try ReportWriter.write(Fixtures.passing, to: file) }
    }
}
