import Findings
import Foundation

/// Writing to the terminal: errors and progress go to stderr, results to stdout.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// `rollgate: error: message` on one line: a newline or other control character in the message (a server's
    /// text, a host name from the connection string) is escaped.
    static func failure(_ message: String) {
        let line = message.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true)
                                                                                            : String($0) }.joined()
        error("rollgate: error: \(line)")
    }

    /// Whether stderr is a terminal: progress is drawn only then.
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// `1234567` → `1,234,567`.
    static func count(_ n: Int) -> String { grouped(n) }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second; silent when stderr is not a terminal.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var drawn = false

    init(label: String, enabled: Bool = Terminal.stderrIsTerminal) {
        self.label = label
        self.enabled = enabled
    }

    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        let now = ContinuousClock.now
        guard done >= total || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r\(label) [\(bar)] \(done * 100 / total)% \(Terminal.count(done))/\(Terminal.count(total))"
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
