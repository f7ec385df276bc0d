import BSONCore
import Foundation

/// Checks filters and pipelines written in rule files: every `$` operator must be one MongoDB knows, and nothing in a
/// probe may write or run code (`$out`, `$merge`, `$where`, `$function`, `$accumulator`).
enum FilterValidator {
    /// Operators that write data or execute JavaScript: refused in every rule-file query.
    static let forbidden: Set<String> = ["$out", "$merge", "$where", "$function", "$accumulator"]

    static let queryOperators: Set<String> = [
        "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$type", "$regex", "$options", "$not",
        "$and", "$or", "$nor", "$all", "$elemMatch", "$size", "$mod", "$expr", "$comment", "$jsonSchema",
    ]

    static let pipelineStages: Set<String> = [
        "$match", "$lookup", "$unwind", "$project", "$addFields", "$set", "$unset", "$group", "$count", "$limit",
        "$skip", "$sort", "$sample", "$replaceRoot", "$replaceWith", "$facet", "$bucket", "$sortByCount",
    ]

    static let expressionOperators: Set<String> = [
        "$abs", "$add", "$subtract", "$multiply", "$divide", "$cond", "$ifNull", "$eq", "$ne", "$gt", "$gte", "$lt",
        "$lte", "$and", "$or", "$not", "$in", "$size", "$arrayElemAt", "$first", "$last", "$sum", "$avg", "$min",
        "$max", "$push", "$addToSet", "$filter", "$map", "$type", "$toString", "$toDate", "$dateTrunc",
        "$dateToString", "$year", "$month", "$dayOfMonth", "$concat", "$literal", "$let", "$switch", "$regexMatch",
        "$isArray", "$setUnion", "$mergeObjects", "$round", "$trunc", "$floor", "$ceil", "$bsonSize", "$strLenCP",
        "$substrCP", "$toLower", "$toUpper", "$objectToArray", "$arrayToObject", "$reduce", "$dateDiff", "$dateAdd",
        "$dateSubtract", "$count",
    ]

    /// Names of stage or expression arguments that look like operators but are plain option keys.
    static let optionKeys: Set<String> = ["$natural"]

    static var known: Set<String> { queryOperators.union(pipelineStages).union(expressionOperators).union(optionKeys) }

    static func validate(filter: BSONDocument, at value: YAMLValue) throws(CatalogError) {
        try walk(.document(filter), value: value)
    }

    /// A document the server reads as it is (a sort, a projection, index options, an update): no operator that writes
    /// or runs code at any depth. A find projection takes aggregation expressions, `$function` among them.
    static func refuseForbidden(in document: BSONDocument, at value: YAMLValue) throws(CatalogError) {
        func check(_ bson: BSON) throws(CatalogError) {
            switch bson {
            case .document(let document):
                for (key, child) in document {
                    if forbidden.contains(key) {
                        throw CatalogError.badFilter(value.location, path: value.path,
                                                     reason: "\(key) is not allowed: rule files only read data")
                    }
                    try check(child)
                }
            case .array(let items):
                for item in items { try check(item) }
            default:
                break
            }
        }
        try check(.document(document))
    }

    /// Each stage is checked at its own line.
    static func validate(pipeline stages: [(stage: BSON, value: YAMLValue)]) throws(CatalogError) {
        for (stage, value) in stages {
            guard case .document(let document) = stage, document.count == 1, let name = document.keys.first else {
                throw CatalogError.badFilter(value.location, path: value.path,
                                             reason: "each pipeline stage is a mapping with exactly one $stage key")
            }
            if forbidden.contains(name) {
                throw CatalogError.badFilter(value.location, path: value.path,
                                             reason: "\(name) writes data; probes and plans only read")
            }
            guard pipelineStages.contains(name) else {
                throw CatalogError.badFilter(value.location, path: value.path, reason: "unknown or unsupported stage \(name)")
            }
            try walk(stage, value: value)
        }
    }

    private static func walk(_ bson: BSON, value: YAMLValue) throws(CatalogError) {
        switch bson {
        case .document(let document):
            for (key, child) in document {
                if key.hasPrefix("$") {
                    if forbidden.contains(key) {
                        throw CatalogError.badFilter(value.location, path: value.path,
                                                     reason: "\(key) is not allowed: rule files only read data")
                    }
                    if !known.contains(key) {
                        // No hint for a long key: the distance costs its length times every operator's.
                        let hint = key.count > 40 ? "" : known.min { distance(key, $0) < distance(key, $1) }
                            .map { " (did you mean \($0)?)" } ?? ""
                        throw CatalogError.badFilter(value.location, path: value.path,
                                                     reason: "unknown operator \(key.excerpt)\(hint)")
                    }
                }
                try walk(child, value: value)
            }
        case .array(let items):
            for item in items { try walk(item, value: value) }
        default:
            break
        }
    }

    /// Levenshtein distance, for "did you mean" hints.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// `{{name}}` placeholders in rule-file queries, filled in when a probe runs: dates relative to now, and values
/// sampled from the data.
public enum Placeholder {
    /// Built-in names: `now`, `today` (UTC midnight), `tomorrow`, `days_ago:N`, `days_ahead:N` (midnights, N up to
    /// 36,500: a larger N would put the date beyond what a BSON date holds) and `hours_ago:N` (N hours before now, N up
    /// to 876,000).
    static func isBuiltIn(_ name: String) -> Bool {
        if ["now", "today", "tomorrow"].contains(name) { return true }
        for (prefix, most) in [("days_ago:", 36_500), ("days_ahead:", 36_500), ("hours_ago:", 876_000)] where name.hasPrefix(prefix) {
            return Int(name.dropFirst(prefix.count)).map { (0...most).contains($0) } ?? false
        }
        return false
    }

    /// The placeholder name if `value` is exactly `{{name}}`.
    public static func name(in value: String) -> String? {
        guard value.hasPrefix("{{"), value.hasSuffix("}}"), value.count > 4 else { return nil }
        return String(value.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces)
    }

    /// Every placeholder name used anywhere in `bson`.
    static func names(in bson: BSON) -> [String] {
        switch bson {
        case .string(let text): name(in: text).map { [$0] } ?? []
        case .document(let document): document.elements.flatMap { names(in: $0.value) }
        case .array(let items): items.flatMap(names(in:))
        default: []
        }
    }

    static func validate(_ bson: BSON, sampled: Set<String>, at value: YAMLValue) throws(CatalogError) {
        for name in names(in: bson) where !isBuiltIn(name) && !sampled.contains(name) {
            throw value.invalid("unknown placeholder {{\(name.excerpt)}} (built in: now, today, tomorrow, days_ago:N, "
                + "days_ahead:N with N from 0 to 36500, hours_ago:N with N from 0 to 876000; others must be declared under 'sample')")
        }
    }
}

extension Placeholder {
    /// `bson` with every `{{name}}` replaced: built-in dates relative to `now` (UTC days), others from `samples`.
    /// A placeholder with no value is left as it is (the loader has already refused unknown names).
    public static func resolve(_ bson: BSON, now: Date, samples: [String: BSON] = [:]) -> BSON {
        switch bson {
        case .string(let text):
            guard let name = name(in: text) else { return bson }
            return value(of: name, now: now) ?? samples[name] ?? bson
        case .document(let document):
            return .document(BSONDocument(document.elements.map { ($0.key, resolve($0.value, now: now, samples: samples)) }))
        case .array(let items):
            return .array(items.map { resolve($0, now: now, samples: samples) })
        default:
            return bson
        }
    }

    public static func resolve(_ document: BSONDocument, now: Date, samples: [String: BSON] = [:]) -> BSONDocument {
        resolve(.document(document), now: now, samples: samples).documentValue ?? document
    }

    private static func value(of name: String, now: Date) -> BSON? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let today = calendar.startOfDay(for: now)
        func days(_ n: Int) -> BSON { .date(today.addingTimeInterval(Double(n) * 86_400)) }
        switch name {
        case "now": return .date(now)
        case "today": return days(0)
        case "tomorrow": return days(1)
        default:
            if name.hasPrefix("days_ago:"), let n = Int(name.dropFirst(9)) { return days(-n) }
            if name.hasPrefix("days_ahead:"), let n = Int(name.dropFirst(11)) { return days(n) }
            if name.hasPrefix("hours_ago:"), let n = Int(name.dropFirst(10)) { return .date(now.addingTimeInterval(Double(-n) * 3_600)) }
            return nil
        }
    }
}
