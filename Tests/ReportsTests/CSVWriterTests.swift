import Findings
import Foundation
import Reports
import TestSupport
import Testing

/// CSV as other tools read it: quoting, line ends, formulas a spreadsheet would run, a file that appears whole.
struct CSVWriterTests {
    @Test func quotesWhatNeedsQuotingAndNothingElse() {
        #expect(CSVWriter.line([.text("o1"), .number("130.00"), .text("true")]) == "o1,130.00,true\r\n")
        #expect(CSVWriter.line([.text("a,b"), .text("say \"hi\""), .text("two\nlines")])
            == "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n")
        #expect(CSVWriter.line([.text("")]) == "\r\n")
    }

    @Test(arguments: ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"])
    func textThatASpreadsheetWouldRunIsDefused(_ text: String) {
        #expect(CSVWriter.line([.text(text)]).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).hasPrefix("'"))
    }

    @Test func negativeNumbersStayNumbers() {
        #expect(CSVWriter.line([.number("-5.00")]) == "-5.00\r\n")
    }

    @Test func theFileAppearsOnlyWhenFinishedAndReadsBackExactly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("rows.csv")
        let rows = (0..<20_000).map { [ExportCell.text("id-\($0), \"quoted\""), .number(String(format: "%.2f", Double($0) / 3))] }
        do {
            let writer = try CSVWriter(url: url, header: ["id", "amount"])
            for row in rows { try writer.write(row) }
            #expect(!FileManager.default.fileExists(atPath: url.path), "no file under its name before finish")
            try writer.finish()
        }
        let read = try CSV.read(url)
        #expect(read.count == rows.count + 1 && read[0] == ["id", "amount"])
        #expect(read[1] == ["id-0, \"quoted\"", "0.00"] && read.last == ["id-19999, \"quoted\"", "6666.33"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["rows.csv"], "no partial file left")

        // Cut short: nothing under the name, nothing left behind.
        let cut = directory.appendingPathComponent("cut.csv")
        do {
            let writer = try CSVWriter(url: cut, header: ["id"])
            try writer.write([.text("x")])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["rows.csv"])
    }

    @Test func anUnwritableDirectoryIsAReportError() {
        #expect(throws: ReportError.unwritable(path: "/proc/rollgate/x.csv")) {
            try CSVWriter(url: URL(fileURLWithPath: "/proc/rollgate/x.csv"), header: ["id"])
        }
    }
}
