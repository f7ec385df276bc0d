import Catalog
import Findings
import Foundation
import Mongo

/// A counting question about one collection, answered by one sub-pipeline of a shared `$facet`.
struct FacetQuestion {
    let key: String
    let collection: String
    let pipeline: [BSON]
}

/// A probe whose facts are counts: field presence, identifier format, forbidden documents. Its questions about one
/// collection are asked together with every other probe's, in a single aggregation pass over that collection.
struct CountingProbe {
    let maker: FindingMaker
    let questions: [FacetQuestion]
    /// Questions that need a pipeline of their own (`$lookup` across collections).
    let standalone: [FacetQuestion]
    /// Turns the answers (by question key) into findings.
    let evaluate: (_ answers: [String: [BSONDocument]]) -> [Finding]
}

extension CountingProbe {
    /// `fields`: applied means every document matching `where` carries every field; rolled back means none does.
    static func fields(_ probe: FieldsProbe, maker: FindingMaker, expectation: ExpectedState) -> CountingProbe {
        let key = "\(maker.step.step).\(maker.probe.id)"
        func present(_ field: String) -> BSON { ["$ne": [["$type": .string("$" + field)], "missing"]] }
        var group: BSONDocument = ["_id": .null, "total": ["$sum": 1]]
        for (index, field) in probe.fields.enumerated() {
            group["f\(index)"] = ["$sum": ["$cond": [present(field), 1, 0]]]
        }
        group["all"] = ["$sum": ["$cond": [["$and": .array(probe.fields.map(present))], 1, 0]]]
        let scope = expectation == .applied ? probe.where_ : [:]
        let pipeline: [BSON] = (scope.isEmpty ? [] : [["$match": .document(scope)]]) + [["$group": .document(group)]]

        return CountingProbe(maker: maker, questions: [FacetQuestion(key: key, collection: probe.collection, pipeline: pipeline)],
                             standalone: []) { answers in
            let row = answers[key]?.first
            let total = row?["total"]?.int64Value.map(Int.init) ?? 0
            let carrying = probe.fields.indices.map { row?["f\($0)"]?.int64Value.map(Int.init) ?? 0 }
            let carryingAll = row?["all"]?.int64Value.map(Int.init) ?? 0
            var figures: [String: Double] = ["total": Double(total), "carrying": Double(carryingAll)]
            for (field, count) in zip(probe.fields, carrying) { figures["carrying.\(field)"] = Double(count) }
            let fieldList = probe.fields.joined(separator: ", ")
            let scopeText = scope.isEmpty ? probe.collection : "\(probe.collection) matching \(scope.displayText)"

            switch expectation {
            case .applied:
                let short = zip(probe.fields, carrying).filter { $0.1 < total }
                figures["missing"] = Double(total - carryingAll)
                if total == 0 {
                    return [maker.make(FindingCode.schema, verdict: .failed, measured: "no documents in \(scopeText)",
                                       expected: "documents in \(scopeText) carrying \(fieldList)",
                                       message: "nothing carries the fields the step adds", figures: figures)]
                }
                let measured = short.isEmpty
                    ? "all \(grouped(total)) documents in \(scopeText) carry \(fieldList)"
                    : short.map { "\(grouped(total - $0.1)) of \(grouped(total)) lack \($0.0)" }.joined(separator: "; ")
                return [maker.make(FindingCode.schema, verdict: short.isEmpty ? .passed : .failed, measured: measured,
                                   expected: "all \(grouped(total)) carry \(fieldList)", figures: figures)]
            case .rolledBack:
                let still = zip(probe.fields, carrying).filter { $0.1 > 0 }
                let measured = still.isEmpty
                    ? "no document in \(probe.collection) carries \(fieldList)"
                    : still.map { "\(grouped($0.1)) of \(grouped(total)) still carry \($0.0)" }.joined(separator: "; ")
                return [maker.make(FindingCode.schema, verdict: still.isEmpty ? .passed : .failed, measured: measured,
                                   expected: "no document carries \(fieldList)", figures: figures)]
            }
        }
    }

    /// `format`: one finding per collection, counting the values of each listed field that do not match.
    static func format(_ probe: FormatProbe, maker: FindingMaker) -> [CountingProbe] {
        probe.fields.map { collection, fields in
            let check = "\(maker.probe.id).\(collection)"
            let questions = fields.flatMap { field -> [FacetQuestion] in
                let filter = badValueFilter(field: field, pattern: probe.pattern)
                let base = "\(maker.step.step).\(check).\(field)"
                return [
                    FacetQuestion(key: base, collection: collection, pipeline: [["$match": .document(filter)], ["$count": "n"]]),
                    FacetQuestion(key: base + ".examples", collection: collection, pipeline: [
                        ["$match": .document(filter)], ["$limit": 3], ["$project": ["_id": 0, "v": .string("$" + field)]],
                    ]),
                ]
            }
            return CountingProbe(maker: maker, questions: questions, standalone: []) { answers in
                var figures: [String: Double] = [:]
                var parts: [String] = []
                var examples: [String] = []
                for field in fields {
                    let base = "\(maker.step.step).\(check).\(field)"
                    let bad = answers[base]?.first?["n"]?.int64Value.map(Int.init) ?? 0
                    figures["bad.\(field)"] = Double(bad)
                    if bad > 0 { parts.append("\(field): \(grouped(bad))") }
                    examples += (answers[base + ".examples"] ?? []).compactMap { describeValue($0["v"]) }
                        .map { "\(field) = \($0)" }
                }
                let total = figures.values.reduce(0, +)
                figures["bad"] = total
                return [maker.make(
                    FindingCode.format, check: check, title: "\(maker.probe.title) in \(collection)",
                    verdict: total == 0 ? .passed : .failed,
                    measured: total == 0 ? "every id in \(collection) matches" :
                        "\(grouped(Int(total))) values in \(collection) do not match (\(parts.joined(separator: ", ")))",
                    expected: "every \(fields.joined(separator: ", ")) matches \(probe.pattern)",
                    figures: figures, details: examples.isEmpty ? [] : ["examples: " + examples.prefix(5).joined(separator: "; ")])]
            }
        }
    }

    /// `count`: documents matching the filter (or coming out of the pipeline) must be at most `max`.
    static func count(_ probe: CountProbe, maker: FindingMaker, now: Date) -> CountingProbe {
        let key = "\(maker.step.step).\(maker.probe.id)"
        let examples: [BSON] = [["$limit": 3], ["$project": ["_id": 0, "id": 1]]]
        var questions: [FacetQuestion] = []
        var standalone: [FacetQuestion] = []
        if let filter = probe.filter {
            let match: BSON = ["$match": .document(Placeholder.resolve(filter, now: now))]
            questions = [FacetQuestion(key: key, collection: probe.collection, pipeline: [match, ["$count": "n"]]),
                         FacetQuestion(key: key + ".examples", collection: probe.collection, pipeline: [match] + examples)]
        } else if let pipeline = probe.pipeline {
            let stages = pipeline.map { Placeholder.resolve($0, now: now) }
            standalone = [FacetQuestion(key: key, collection: probe.collection, pipeline: stages + [
                ["$facet": ["count": [["$count": "n"]], "examples": .array(examples)]],
            ])]
        }
        return CountingProbe(maker: maker, questions: questions, standalone: standalone) { answers in
            let count: Int
            let sample: [BSONDocument]
            if probe.filter != nil {
                count = answers[key]?.first?["n"]?.int64Value.map(Int.init) ?? 0
                sample = answers[key + ".examples"] ?? []
            } else {
                let row = answers[key]?.first
                count = row?.value(at: "count.0.n")?.int64Value.map(Int.init) ?? 0
                sample = row?["examples"]?.arrayValue?.compactMap(\.documentValue) ?? []
            }
            let ids = sample.compactMap { describeValue($0["id"]) }
            return [maker.make(FindingCode.integrity, verdict: count <= probe.max ? .passed : .failed,
                               measured: "\(grouped(count)) matching documents in \(probe.collection)",
                               expected: probe.max == 0 ? "none" : "at most \(grouped(probe.max))",
                               figures: ["count": Double(count)],
                               details: ids.isEmpty ? [] : ["examples (id): " + ids.joined(separator: ", ")])]
        }
    }

    /// A filter for documents whose `field` holds something (not missing, not null) that does not match `pattern`.
    /// A dotted field (`items.product_id`) names a field inside an array of documents.
    static func badValueFilter(field: String, pattern: String) -> BSONDocument {
        let condition: BSON = ["$exists": true, "$ne": .null, "$not": .regex(pattern: pattern, options: "")]
        guard let dot = field.firstIndex(of: ".") else { return [field: condition] }
        let array = String(field[..<dot]), inner = String(field[field.index(after: dot)...])
        return [array: ["$elemMatch": [inner: condition]]]
    }
}


/// Identifier values for details: strings as they are, others by type.
func describeValue(_ value: BSON?) -> String? {
    switch value {
    case .string(let s)?: s.count > 60 ? String(s.prefix(60)) + "…" : s
    case .null?, nil: nil
    case .array(let items)?: items.compactMap(describeValue).joined(separator: ", ")
    case let other?: "\(other)"
    }
}
