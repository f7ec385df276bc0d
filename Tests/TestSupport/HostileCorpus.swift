import Foundation
import Testing

/// One file of the hostile corpus in `Tests/CatalogTests/Hostile/`: its first line says how it must be refused,
/// `# expect: LINE: TEXT` (`-` for an error that names the file only).
public struct HostileFile: CustomTestStringConvertible, Sendable {
    public let url: URL
    /// The line the error must name; nil for an error that names the file only.
    public let line: Int?
    public let text: String

    public var name: String { url.lastPathComponent }
    public var testDescription: String { name }

    /// Every file of `Tests/CatalogTests/Hostile/<folder>`, in name order.
    public static func corpus(_ folder: String) -> [HostileFile] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CatalogTests/Hostile").appendingPathComponent(folder)
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "yaml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { url in
                let data = (try? Data(contentsOf: url)) ?? Data()
                let header = String(decoding: data.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
                guard header.hasPrefix("# expect: "), let colon = header.dropFirst(10).firstIndex(of: ":") else {
                    return HostileFile(url: url, line: nil, text: "a '# expect: LINE: TEXT' first line")
                }
                let line = Int(header[header.index(header.startIndex, offsetBy: 10)..<colon])
                let text = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                return HostileFile(url: url, line: line, text: text)
            }
    }
}

/// Checks a refusal: one short line that starts with the file (and line) and says what is wrong.
public func expectRefusal(_ message: String?, file: String, line: Int?, text: String,
                   sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let message else { Issue.record("not refused", sourceLocation: sourceLocation); return }
    let prefix = line.map { "\(file):\($0)" } ?? "\(file):"
    #expect(message.hasPrefix(prefix), "\(message)", sourceLocation: sourceLocation)
    #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
    #expect(!message.contains("\n") && !message.contains("\r"), "one line: \(message)", sourceLocation: sourceLocation)
    #expect(message.count < 400, "short: \(message.count) characters", sourceLocation: sourceLocation)
}
