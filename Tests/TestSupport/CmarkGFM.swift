import Foundation

/// GitHub-flavoured Markdown rendered by Debian's `cmark-gfm`, as GitHub renders a job summary: tests use it to prove
/// that every table of a report renders as a table.
public enum CmarkGFM {
    public static let executable = "/usr/bin/cmark-gfm"
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// The HTML of `markdown`, with the table extension on.
    public static func html(_ markdown: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--extension", "table", "--extension", "strikethrough", "--extension", "autolink"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // Write from another thread while reading here, so a large report cannot fill both pipes and stall.
        let data = Data(markdown.utf8)
        let writer = Thread {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let html = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: html, as: UTF8.self)
    }

    /// Problems with the tables of `markdown` as cmark-gfm renders them: a table header line (`| a | b |` followed by
    /// `| --- |`) that does not become a `<table>`, or a row of pipes left in a paragraph. Empty when all render.
    public static func tableProblems(_ markdown: String) throws -> [String] {
        let lines = markdown.components(separatedBy: "\n")
        let headers = zip(lines, lines.dropFirst()).filter { $0.0.hasPrefix("|") && $0.1.hasPrefix("| ---") }.count
        let html = try html(markdown)
        var problems: [String] = []
        let tables = html.components(separatedBy: "<table>").count - 1
        if tables != headers { problems.append("\(headers) table headers in the Markdown, \(tables) <table> in the HTML") }
        for paragraph in html.components(separatedBy: "<p>").dropFirst() where paragraph.hasPrefix("|") {
            problems.append("a paragraph of pipes: " + String(paragraph.prefix(120)))
        }
        return problems
    }
}
