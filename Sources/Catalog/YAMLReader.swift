import BSONCore
import CYaml  // the libyaml Yams builds: its scanner finds aliases before Yams expands them
import Foundation
import Yams

/// One YAML node with its path (`probes[2].collection`) and file, read strictly: every accessor either returns the
/// typed value or throws a `CatalogError` naming the file, line and path.
struct YAMLValue {
    let node: Node
    let path: String
    let file: String

    /// The top node of a YAML text; syntax errors carry the file, line and column libyaml reports.
    static func root(of text: String, file: String) throws(CatalogError) -> YAMLValue {
        if let alias = firstAlias(in: text) {
            throw .invalidYAML(SourceLocation(file: file, line: alias.line, column: alias.column),
                               reason: "aliases (*name) are not supported: write the value out")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw CatalogError.invalidYAML(SourceLocation(file: file, line: 1), reason: "the file is empty")
            }
            return YAMLValue(node: node, path: "", file: file)
        } catch let error as CatalogError {
            throw error
        } catch let error as YamlError {
            switch error {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                // libyaml's own wording names its C function.
                let reason = problem.hasPrefix("Maximum nesting level") ? "nested more than 1000 levels deep" : problem
                throw .invalidYAML(SourceLocation(file: file, line: mark.line, column: mark.column), reason: reason)
            case let .duplicatedKeysInMapping(duplicates, context):
                throw .invalidYAML(SourceLocation(file: file, line: context.mark.line),
                                   reason: "duplicate key \(duplicates.map(\.quoted).joined(separator: ", "))")
            case let .reader(problem, offset, _, _):
                // libyaml counts the offset in bytes of the UTF-8 text.
                let line = offset.map { text.utf8.prefix($0).count { $0 == UInt8(ascii: "\n") } + 1 } ?? 0
                throw .invalidYAML(SourceLocation(file: file, line: line), reason: problem)
            default:
                throw .invalidYAML(SourceLocation(file: file, line: 0), reason: "\(error)")
            }
        } catch {
            throw .invalidYAML(SourceLocation(file: file, line: 0), reason: "\(error)")
        }
    }

    /// The position of the first alias (`*name`) in `text`, found by libyaml's scanner before anything is composed.
    /// Yams resolves an alias by copying the node it names, so a few lines of aliases of aliases ("billion laughs")
    /// expand to billions of nodes, and an alias used as a key is hashed whole while duplicates are looked for.
    /// Nil when there is none, or when the text has a syntax error (Yams reports that with its position).
    private static func firstAlias(in text: String) -> (line: Int, column: Int)? {
        guard text.utf8.contains(UInt8(ascii: "*")) else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var token = yaml_token_t()
            while yaml_parser_scan(&parser, &token) == 1 {
                defer { yaml_token_delete(&token) }
                switch token.type {
                case YAML_ALIAS_TOKEN: return (Int(token.start_mark.line) + 1, Int(token.start_mark.column) + 1)
                case YAML_STREAM_END_TOKEN: return nil
                default: continue
                }
            }
            return nil
        }
    }

    /// The resolved tag (`str`, `int`, `float`, `bool`, `null`, …).
    var tagName: Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    /// What kind of value the node holds, as an error message says it.
    var kindDescription: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch tagName {
            case .int: return "an integer (\((node.string ?? "").excerpt))"
            case .float: return "a number (\((node.string ?? "").excerpt))"
            case .bool: return "a boolean (\((node.string ?? "").excerpt))"
            case .null: return "null"
            default: return "a string (\((node.string ?? "").quoted))"
            }
        }
    }

    func wrongType(_ expected: String) -> CatalogError {
        .wrongType(location, path: path, expected: expected, found: kindDescription)
    }

    func invalid(_ reason: String) -> CatalogError {
        .invalidValue(location, path: path, reason: reason)
    }

    func mapping() throws(CatalogError) -> YAMLMapping {
        guard case .mapping(let mapping) = node else { throw wrongType("a mapping") }
        return try YAMLMapping(mapping, value: self)
    }

    func list() throws(CatalogError) -> [YAMLValue] {
        guard case .sequence(let sequence) = node else { throw wrongType("a list") }
        return sequence.enumerated().map { YAMLValue(node: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func string() throws(CatalogError) -> String {
        guard case .scalar = node, tagName == .str, let text = node.string else { throw wrongType("a string") }
        return text
    }

    func nonEmptyString() throws(CatalogError) -> String {
        let text = try string()
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw invalid("must not be empty") }
        return text
    }

    func int() throws(CatalogError) -> Int {
        guard case .scalar = node, tagName == .int else { throw wrongType("an integer") }
        guard let value = node.int else { throw invalid("integer out of range") }
        return value
    }

    func number() throws(CatalogError) -> Double {
        guard case .scalar = node, tagName == .int || tagName == .float, let value = node.float else {
            throw wrongType("a number")
        }
        return value
    }

    func bool() throws(CatalogError) -> Bool {
        guard case .scalar = node, tagName == .bool, let value = node.bool else { throw wrongType("true or false") }
        return value
    }

    func strings() throws(CatalogError) -> [String] {
        try list().map { (item) throws(CatalogError) in try item.nonEmptyString() }
    }

    func ints() throws(CatalogError) -> [Int] {
        try list().map { (item) throws(CatalogError) in try item.int() }
    }

    /// One of a closed set of words, e.g. a `Severity`.
    func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(CatalogError) -> E where E.RawValue == String {
        let text = try string()
        guard let value = E(rawValue: text) else {
            throw invalid("\(text.quoted) is not one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// Any YAML value as BSON: mappings keep their key order; integers become int32 when they fit.
    func bson() throws(CatalogError) -> BSON {
        switch node {
        case .mapping:
            return .document(try document())
        case .sequence:
            return .array(try list().map { (item) throws(CatalogError) in try item.bson() })
        case .alias:
            throw invalid("aliases are not supported in rule files")
        case .scalar:
            switch tagName {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int:
                guard let value = node.int else { throw invalid("integer out of range") }
                return Int32(exactly: value).map(BSON.int32) ?? .int64(Int64(value))
            case .float:
                return .double(node.float ?? .nan)
            case .timestamp:
                guard let date = node.timestamp else { throw invalid("not a valid timestamp") }
                return .date(date)
            default:
                return .string(node.string ?? "")
            }
        }
    }

    /// A mapping as an ordered BSON document.
    func document() throws(CatalogError) -> BSONDocument {
        guard case .mapping(let mapping) = node else { throw wrongType("a mapping") }
        var document = BSONDocument()
        for (key, value) in mapping {
            guard let name = key.string, YAMLValue(node: key, path: path, file: file).tagName == .str || YAMLValue(node: key, path: path, file: file).tagName == .int else {
                throw YAMLValue(node: key, path: path, file: file).wrongType("a string key")
            }
            // libbson ends a key at its first NUL: "$where\0" would reach the server as "$where".
            guard !name.contains("\0") else {
                throw YAMLValue(node: key, path: path, file: file).invalid("a field name must not contain a NUL character")
            }
            document.append(name, try YAMLValue(node: value, path: "\(path).\(name)", file: file).bson())
        }
        return document
    }
}

/// A YAML mapping read key by key; `finish(allowed:)` reports any key that was not expected.
struct YAMLMapping {
    let value: YAMLValue
    private let entries: [(key: String, keyNode: Node, value: YAMLValue)]

    init(_ mapping: Node.Mapping, value: YAMLValue) throws(CatalogError) {
        self.value = value
        var entries: [(key: String, keyNode: Node, value: YAMLValue)] = []
        for (key, child) in mapping {
            guard case .scalar = key, let name = key.string else {
                throw YAMLValue(node: key, path: value.path, file: value.file).wrongType("a string key")
            }
            let childPath = value.path.isEmpty ? name : "\(value.path).\(name)"
            entries.append((name, key, YAMLValue(node: child, path: childPath, file: value.file)))
        }
        self.entries = entries
    }

    var keys: [String] { entries.map(\.key) }

    subscript(key: String) -> YAMLValue? {
        entries.first { $0.key == key }?.value
    }

    func required(_ key: String) throws(CatalogError) -> YAMLValue {
        guard let found = self[key] else {
            throw CatalogError.missingKey(value.location, key: key, in: value.path.isEmpty ? "the rule file" : value.path)
        }
        return found
    }

    /// Throws for the first key not in `allowed`, at that key's line.
    func finish(allowed: [String]) throws(CatalogError) {
        for entry in entries where !allowed.contains(entry.key) {
            let location = YAMLValue(node: entry.keyNode, path: value.path, file: value.file).location
            throw CatalogError.unknownKey(location, key: entry.key,
                                          in: value.path.isEmpty ? "the rule file" : value.path, allowed: allowed)
        }
    }
}
