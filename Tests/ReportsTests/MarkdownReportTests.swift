import Findings
import Foundation
import Reports
import Testing

struct MarkdownReportTests {
    @Test func verdictComesFirst() {
        #expect(MarkdownReport.render(Fixtures.failing).hasPrefix(
            "## ❌ RollGate audit failed: 4 findings at or above error\n\nDatabase **earlybird** on "))
        #expect(MarkdownReport.render(Fixtures.run(Fixtures.failing.steps, failOn: .critical)).hasPrefix(
            "## ❌ RollGate audit failed: 1 finding at or above critical\n"))
        let belowThreshold = Fixtures.run(Fixtures.failing.steps.filter { $0.step != 25 }, failOn: .critical)
        #expect(MarkdownReport.render(belowThreshold).hasPrefix(
            "## ✅ RollGate audit passed with 4 findings below critical\n"))
        #expect(MarkdownReport.render(Fixtures.passing).hasPrefix("## ✅ RollGate audit passed\n\n"))
    }

    @Test func contextLineHasTheRunFacts() {
        let lines = MarkdownReport.render(Fixtures.failing).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[2] == "Database **earlybird** on mongodb://rollgate:\\*\\*\\*\\*\\*@127.0.0.1:27017 · expect "
            + "**applied** · fail on **error** · 12.346 s · 10 checks: 3 passed, 4 failed, 1 error, 2 skipped")
    }

    @Test(arguments: Fixtures.all)
    func everyTableRowHasTheHeadersColumns(_ fixture: NamedRun) {
        let tables = tables(in: MarkdownReport.render(fixture.run))
        #expect(fixture.run.steps.isEmpty || !tables.isEmpty)
        for table in tables {
            let columns = unescapedPipes(table[0])
            #expect(columns >= 3)
            for row in table { #expect(unescapedPipes(row) == columns, "\(fixture.name): \(row)") }
        }
    }

    @Test func sectionsAppearOnlyWithContent() {
        let passing = MarkdownReport.render(Fixtures.passing)
        #expect(passing.contains("### Steps"))
        for heading in ["### What failed", "### Performance", "### Compliance", "### Finance", "### Skipped"] {
            #expect(!passing.contains(heading), "\(heading)")
        }
        let failing = MarkdownReport.render(Fixtures.failing)
        let order = ["### Steps", "### What failed", "### Performance", "### Compliance", "### Finance",
                     "### Skipped"].map { failing.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil })
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
    }

    @Test func sectionsShowTheirFigures() {
        let report = MarkdownReport.render(Fixtures.failing)
        #expect(report.contains("| 23 | rollback.unbilled | ₹6,00,000 | 1,200 | ✅ passed |"))
        #expect(report.contains("| delivery\\_statuses.ip\\_address | 13,990 of 14,000 (99.93 %) | ❌ failed |"))
        #expect(report.contains("| 30 | orders.by\\_customer\\_date | ✅ passed | 3.20 | 8.75 | 50 | "
            + "IXSCAN customer\\_id\\_1\\_delivery\\_date\\_-1 | 1 |"))
        #expect(report.contains(
            "| 30 | delivery\\_statuses.by\\_order | ❌ failed | 41.50 | 97.25 | 50 | COLLSCAN | 14,000 |"))
        #expect(report.contains(
            "| 23 | Billing of one-time orders | data | ❌ failed | 1 | 1 | 0 | 0 | 9,996 of 10,000 orders |"))
        #expect(report.contains("- ⏭️ **Step 24 · RG-MANUAL-001 · Code-only step: review by hand**: code-only step\n"
            + "  - Shared confirmation links expire after 24 h\n"))
    }

    @Test func whatFailedListsTheMostSevereFirst() {
        let report = MarkdownReport.render(Fixtures.failing)
        let headings = report.split(separator: "\n").filter { $0.hasPrefix("- ❌") || $0.hasPrefix("- ⚠️") }
        #expect(headings.map { $0.split(separator: "·")[1].trimmingCharacters(in: .whitespaces) }
            == ["RG-SCHEMA-001", "RG-SCHEMA-001", "RG-INDEX-001", "RG-PROBE-001", "RG-EXPLAIN-001"])
        #expect(report.contains("""
            - ❌ **Step 23 · RG-SCHEMA-001 · Delivered one-time orders carry billed** (error, check orders.billed)
              - Measured: 9,996 of 10,000 orders
              - Expected: all 10,000
              - Message: 4 delivered one-time orders lack billed
              - Details:
                - sample id 0b6f3c1e-9d2a-4f7e-8a41-2c5d9e7f1a30
            """))
    }

    @Test func dataCannotBecomeMarkup() {
        let report = MarkdownReport.render(Fixtures.hostile)
        #expect(report.contains(
            "| 25 | \\# Audit \\<fields\\> \\& \"quotes\" \\| 'pipes' \\`ticks\\` 🥛 | data\u{FFFD} |"))
        #expect(report.contains("\\*bold\\* \\_it\\_ \\[link\\](x) \u{FFFD}\u{FFFD} 🚚"))
        #expect(report.contains("  - Measured: 1 \\| 2 3\n"))
        #expect(report.contains("    - \\- not a list\n    - 1\\. not ordered\n    - \\#not a heading\n"
            + "    - back\\\\slash\\|\n    - \u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD} gone\n"))
        #expect(report.contains("| COLLSCAN \\| \\<b\\> |"))
        #expect(report.contains("| ∞ |"))
        #expect(report.contains("| -₹1,500.50 |"))
        #expect(zip(report, [" "] + Array(report)).allSatisfy { $0.0 != "<" || $0.1 == "\\" }, "raw HTML")
        #expect(report.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\n" })
    }

    @Test func longValuesAreCut() {
        let report = MarkdownReport.render(Fixtures.hostile)
        #expect(!report.contains(Fixtures.veryLong.prefix(2_001)))
        #expect(report.contains("  - Message: " + Fixtures.veryLong.prefix(2_000) + "…\n"))
    }

    @Test func personalDataIsMasked() {
        let report = MarkdownReport.render(Fixtures.hostile)
        for secret in ["ravi.kumar", "example.com", "49.36.12.7", "98765", "Mozilla", "SM-A145F", "Chrome"] {
            #expect(!report.contains(secret), "\(secret)")
        }
        #expect(report.contains("confirmed by \\[email\\] from \\[ip\\] on \\[device\\], call \\[phone\\]"))
    }

    @Test func twentyThousandFindingsStayUnderOneMebibyte() throws {
        let report = MarkdownReport.render(Fixtures.many(20_000))
        #expect(report.utf8.count < MarkdownReport.maximumBytes)
        #expect(report.utf8.count > MarkdownReport.maximumBytes - 4_096, "the budget is used, not wasted")
        let shown = report.split(separator: "\n").filter { $0.hasPrefix("- ❌ **Step 27") }.count
        let note = try #require(report.firstMatch(of: /_([0-9,]+) findings left out to keep this summary under 1 MiB/))
        let leftOut = try #require(Int(note.output.1.replacingOccurrences(of: ",", with: "")))
        #expect(shown > 1_000)
        #expect(shown + leftOut == 20_000)
        #expect(report.hasPrefix("## ❌ RollGate audit failed: 20,000 findings at or above error\n"))
    }

    /// Blocks of consecutive lines that start with `|`.
    private func tables(in markdown: String) -> [[Substring]] {
        var tables: [[Substring]] = []
        var current: [Substring] = []
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                current.append(line)
            } else if !current.isEmpty {
                tables.append(current)
                current = []
            }
        }
        return current.isEmpty ? tables : tables + [current]
    }

    /// Pipes that split cells: those not escaped by a backslash (GitHub's table rule).
    private func unescapedPipes(_ row: Substring) -> Int {
        zip(row, [" "] + row).filter { $0.0 == "|" && $0.1 != "\\" }.count
    }
}

struct IndianNumberFormatTests {
    @Test(arguments: [
        (0, "0"), (999, "999"), (1_000, "1,000"), (99_999, "99,999"), (1_00_000, "1,00,000"), (6_00_000, "6,00,000"),
        (12_345_678.9, "1,23,45,678.90"), (1_00_00_000, "1,00,00,000"), (-1_500.5, "-1,500.50"), (0.004, "0"),
        (0.005, "0.01"), (2.999, "3"), (99.92857, "99.93"), (-0.001, "0"),
        (Double.infinity, "∞"), (-Double.infinity, "-∞"), (Double.nan, "NaN"),
    ] as [(Double, String)])
    func groupsTheIndianWay(_ value: Double, _ expected: String) {
        #expect(IndianNumberFormat.string(value) == expected)
    }

    @Test func rupees() {
        #expect(IndianNumberFormat.rupees(600_000) == "₹6,00,000")
        #expect(IndianNumberFormat.rupees(12_345_678.9) == "₹1,23,45,678.90")
        #expect(IndianNumberFormat.rupees(-250) == "-₹250")
    }
}

@Suite struct RupeesInWordsTests {
    @Test(arguments: [(1_518_729.0, "₹15.19 lakh"), (24_000_000.0, "₹2.40 crore"), (99_999.0, "₹99,999"),
                      (100_000.0, "₹1.00 lakh"), (-250_000.0, "-₹2.50 lakh")])
    func largeAmountsReadInLakhAndCrore(value: Double, text: String) {
        #expect(IndianNumberFormat.rupeesInWords(value) == text)
    }

    /// Amounts from corrupt documents (an infinite or absurd total_amount) are shown, never a crash.
    @Test(arguments: [(Double.infinity, "₹∞"), (-Double.infinity, "-₹∞"), (Double.nan, "₹NaN"), (1e300, "₹1e+300")])
    func amountsBeyondWordsAreShownAsNumbers(value: Double, text: String) {
        #expect(IndianNumberFormat.rupeesInWords(value) == text)
    }
}
