import Findings
import Foundation

/// A CSV file (RFC 4180: comma-separated, CRLF line ends, quotes doubled) written row by row through a small buffer,
/// so that memory stays flat however many rows there are. Written under a temporary name and renamed by `finish`,
/// so that an export cut short never looks complete.
public final class CSVWriter: ExportRowWriter {
    public let url: URL
    private let partial: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private static let flushAt = 1 << 16

    /// Creates `url`'s directory when needed and starts the file with `header`. An `ownerOnly` file (one that holds
    /// personal data) is readable and writable by its owner alone.
    public init(url: URL, header: [String], ownerOnly: Bool = false) throws {
        self.url = url
        partial = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let attributes: [FileAttributeKey: Any]? = ownerOnly ? [.posixPermissions: 0o600] : nil
            guard FileManager.default.createFile(atPath: partial.path, contents: nil, attributes: attributes) else {
                throw ReportError.unwritable(path: url.path)
            }
            handle = try FileHandle(forWritingTo: partial)
        } catch {
            throw ReportError.unwritable(path: url.path)
        }
        buffer.reserveCapacity(Self.flushAt * 2)
        try write(header.map(ExportCell.text))
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: partial)
    }

    public func write(_ row: [ExportCell]) throws {
        buffer.append(contentsOf: Self.line(row).utf8)
        if buffer.count >= Self.flushAt { try flush() }
    }

    /// Writes what is buffered and gives the file its name.
    public func finish() throws {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: partial, to: url)
        } catch {
            throw ReportError.unwritable(path: url.path)
        }
    }

    private func flush() throws {
        do { try handle.write(contentsOf: buffer) } catch { throw ReportError.unwritable(path: url.path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// One CSV line, CRLF included. Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
    /// `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises for CSV files opened in Excel.
    public static func line(_ row: [ExportCell]) -> String {
        row.map { cell in
            switch cell {
            case .number(let text): return text
            case .text(let text):
                let guarded = text.first.map { "=+-@\t\r".contains($0) } == true ? "'" + text : text
                guard guarded.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return guarded }
                return "\"" + guarded.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
        }.joined(separator: ",") + "\r\n"
    }
}
