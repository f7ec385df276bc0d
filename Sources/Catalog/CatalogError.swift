/// Where something is in a rule file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)" }
}

/// Every problem a rule file can have. Each message names the file and line, and fits on one line.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case noRuleFiles(directory: String)
    /// No `--checks`, no `$ROLLGATE_CHECKS`, and none of the default places holds a catalog.
    case noCatalog(looked: [String])
    case invalidYAML(SourceLocation, reason: String)
    case unknownKey(SourceLocation, key: String, in: String, allowed: [String])
    case missingKey(SourceLocation, key: String, in: String)
    case wrongType(SourceLocation, path: String, expected: String, found: String)
    case invalidValue(SourceLocation, path: String, reason: String)
    case badFilter(SourceLocation, path: String, reason: String)
    case duplicateStep(SourceLocation, step: Int, firstDefinedIn: String)
    case duplicateId(SourceLocation, id: String, in: String)
    case missingDependency(SourceLocation, step: Int, dependsOn: Int)
    case dependencyCycle(SourceLocation, steps: [Int])

    public var location: SourceLocation? {
        switch self {
        case .unreadable, .noRuleFiles, .noCatalog: nil
        case .invalidYAML(let l, _), .unknownKey(let l, _, _, _), .missingKey(let l, _, _), .wrongType(let l, _, _, _),
             .invalidValue(let l, _, _), .badFilter(let l, _, _), .duplicateStep(let l, _, _), .duplicateId(let l, _, _),
             .missingDependency(let l, _, _), .dependencyCycle(let l, _):
            l
        }
    }

    public var description: String { message.oneLine }

    private var message: String {
        switch self {
        case let .unreadable(file, reason):
            "\(file): cannot read: \(reason)"
        case let .noRuleFiles(directory):
            "\(directory): no rule files (*.yaml) found"
        case let .noCatalog(looked):
            "no rule files found (looked in \(looked.joined(separator: " and "))): pass --checks DIR or set $ROLLGATE_CHECKS"
        case let .invalidYAML(location, reason):
            "\(location): invalid YAML: \(reason)"
        case let .unknownKey(location, key, path, allowed):
            "\(location): unknown key \(key.quoted) in \(Self.named(path)) (expected one of: \(allowed.joined(separator: ", ")))"
        case let .missingKey(location, key, path):
            "\(location): missing required key '\(key)' in \(Self.named(path))"
        case let .wrongType(location, path, expected, found):
            "\(location): \(Self.named(path)) must be \(expected), found \(found)"
        case let .invalidValue(location, path, reason):
            "\(location): \(Self.named(path)): \(reason)"
        case let .badFilter(location, path, reason):
            "\(location): bad filter in \(Self.named(path)): \(reason)"
        case let .duplicateStep(location, step, first):
            "\(location): step \(step) is defined twice (first in \(first))"
        case let .duplicateId(location, id, path):
            "\(location): duplicate id \(id.quoted) in \(Self.named(path))"
        case let .missingDependency(location, step, dependency):
            "\(location): step \(step) depends on step \(dependency), which no rule file defines"
        case let .dependencyCycle(location, steps):
            "\(location): dependency cycle: \(steps.map(String.init).joined(separator: " → "))"
        }
    }

    /// A key path as messages name it: the file's top level has the empty path.
    private static func named(_ path: String) -> String { path.isEmpty ? "the file's top level" : path }
}

extension StringProtocol {
    /// The text on one line: control characters (newlines, tabs, NUL, …) escaped as `\n`, `\t`, `\0`, …, and so are
    /// the line and paragraph separators and invisible format characters (a right-to-left override could disguise
    /// the rest of the message).
    var oneLine: String {
        func hidden(_ scalar: Unicode.Scalar) -> Bool {
            [.control, .format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
        }
        guard unicodeScalars.contains(where: hidden) else { return String(self) }
        return unicodeScalars.map { hidden($0) ? $0.escaped(asASCII: true) : String($0) }.joined()
    }

    /// The text as a message shows a value from a file or an argument: on one line, and cut after 60 characters so
    /// that a huge value cannot flood the terminal.
    var excerpt: String {
        let limit = 60
        let head = String(String.UnicodeScalarView(unicodeScalars.prefix(limit)))
        return head.oneLine + (unicodeScalars.count > limit ? "…" : "")
    }

    /// The excerpt in single quotes.
    var quoted: String { "'\(excerpt)'" }
}
