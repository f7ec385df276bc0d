import Catalog
import Findings
import Foundation
import Mongo

/// What an `explain` with `executionStats` says about a query, read the same way from a single server and from a
/// sharded cluster (whose plans nest under `shards`). Rejected plans are ignored.
public struct ExplainSummary: Sendable, Equatable {
    /// Every stage of the winning plan(s): `IXSCAN`, `FETCH`, `COLLSCAN`, `SORT`, `SHARD_MERGE`, …
    public var stages: [String]
    public var indexNames: [String]
    public var docsExamined: Int
    public var keysExamined: Int
    public var returned: Int

    public var usesIndex: Bool { stages.contains("IXSCAN") && !stages.contains("COLLSCAN") }

    public init(_ explain: BSONDocument) {
        var stages: [String] = [], indexNames: [String] = []
        var totals: [String: Int] = [:]
        func walk(_ value: BSON) {
            switch value {
            case .document(let doc):
                if let stage = doc["stage"]?.stringValue { stages.append(stage) }
                if let name = doc["indexName"]?.stringValue, !indexNames.contains(name) { indexNames.append(name) }
                for key in ["totalDocsExamined", "totalKeysExamined", "nReturned"] {
                    if let n = doc[key]?.int64Value, doc["executionStages"] != nil || doc["executionSuccess"] != nil {
                        totals[key, default: 0] += Int(n)
                    }
                }
                for (key, child) in doc where !["rejectedPlans", "allPlansExecution"].contains(key) { walk(child) }
            case .array(let items):
                items.forEach(walk)
            default:
                break
            }
        }
        // A mongos reports cluster totals at the top of executionStats; shards report their own below it.
        if let top = explain["executionStats"]?.documentValue, top["totalDocsExamined"] != nil {
            walk(.document(explain["queryPlanner"]?.documentValue ?? [:]))
            totals = ["totalDocsExamined": Int(top["totalDocsExamined"]?.int64Value ?? 0),
                      "totalKeysExamined": Int(top["totalKeysExamined"]?.int64Value ?? 0),
                      "nReturned": Int(top["nReturned"]?.int64Value ?? 0)]
        } else {
            walk(.document(explain))
        }
        self.stages = stages
        self.indexNames = indexNames
        docsExamined = totals["totalDocsExamined"] ?? 0
        keysExamined = totals["totalKeysExamined"] ?? 0
        returned = totals["nReturned"] ?? 0
    }

    /// Documents examined for each one returned (examined itself when nothing is returned).
    public var examinedPerReturned: Double { Double(docsExamined) / Double(max(returned, 1)) }

    public var planText: String {
        let scan = usesIndex ? "IXSCAN on \(indexNames.joined(separator: ", "))" : stages.contains("COLLSCAN") ? "COLLSCAN" : stages.joined(separator: " ")
        return "\(scan), \(grouped(docsExamined)) documents examined for \(grouped(returned)) returned"
    }
}

/// `query`: a representative query run several times after a warm-up (p50 and p95 against the budget), and its plan.
public enum QueryCheck {
    static func run(_ probe: QueryProbe, maker: FindingMaker, database: MongoDatabase, now: Date,
                    timeout: Duration) -> [Finding] {
        let start = ContinuousClock.now
        let collection = database.collection(probe.collection)
        do {
            guard let filter = try sampledFilter(probe, collection: collection, now: now, timeout: timeout) else {
                let reason = "no document in \(probe.collection) has \(probe.sample.values.sorted().joined(separator: ", ")) "
                    + "to build the query from"
                return [maker.skipped(reason, check: "\(maker.probe.id).latency"),
                        maker.skipped(reason, check: "\(maker.probe.id).plan")]
            }
            let options = FindOptions(sort: probe.sort, limit: probe.limit, maxTime: timeout)

            let explain = ExplainSummary(try collection.explainFind(filter, options: options))
            let timings = try timed(collection, filter: filter, options: options, warmup: probe.warmup, runs: probe.runs)
            let p50 = percentile(timings, 0.50), p95 = percentile(timings, 0.95)
            let elapsed = start.secondsElapsed
            let latency = maker.make(
                FindingCode.latency, check: "\(maker.probe.id).latency", title: "\(maker.probe.title): latency",
                verdict: p95 <= probe.budgetMs ? .passed : .failed,
                measured: String(format: "p50 %.1f ms, p95 %.1f ms over %d runs", p50, p95, probe.runs),
                expected: String(format: "p95 ≤ %.0f ms", probe.budgetMs),
                figures: ["p50Ms": p50, "p95Ms": p95, "budgetMs": probe.budgetMs, "runs": Double(probe.runs),
                          "docsExaminedPerReturned": explain.examinedPerReturned],
                details: ["plan: \(explain.planText)"], seconds: elapsed)
            let expectedPlan = String(format: "IXSCAN on %@, at most %.0f documents examined per document returned",
                                      probe.index, probe.maxExaminedPerReturned)
            let planPasses = explain.usesIndex && explain.examinedPerReturned <= probe.maxExaminedPerReturned
            var message = ""
            if explain.usesIndex, !explain.indexNames.contains(probe.index) {
                message = "the plan uses \(explain.indexNames.joined(separator: ", ")), not \(probe.index)"
            }
            let plan = maker.make(
                FindingCode.plan, check: "\(maker.probe.id).plan", title: "\(maker.probe.title): plan",
                verdict: planPasses ? .passed : .failed, measured: explain.planText, expected: expectedPlan,
                message: message,
                figures: ["docsExamined": Double(explain.docsExamined), "returned": Double(explain.returned),
                          "docsExaminedPerReturned": explain.examinedPerReturned, "ixscan": explain.usesIndex ? 1 : 0],
                details: ["stages: " + explain.stages.joined(separator: " ← ")])
            return [latency, plan]
        } catch {
            return [maker.error(error, check: "\(maker.probe.id).latency", seconds: start.secondsElapsed),
                    maker.error(error, check: "\(maker.probe.id).plan")]
        }
    }

    /// The probe's filter with its placeholders filled in, `{{name}}` values sampled from a random document; nil when
    /// the collection has nothing to sample.
    public static func sampledFilter(_ probe: QueryProbe, collection: MongoCollection, now: Date,
                                     timeout: Duration) throws -> BSONDocument? {
        var samples: [String: BSON] = [:]
        for (parameter, field) in probe.sample.sorted(by: { $0.key < $1.key }) {
            let picked = try collection.aggregate([
                ["$match": [field: ["$exists": true, "$ne": .null]]], ["$sample": ["size": 1]],
                ["$project": ["_id": 0, "v": .string("$" + field)]],
            ], options: AggregateOptions(maxTime: timeout)).toArray().first?["v"]
            guard let picked else { return nil }
            samples[parameter] = picked
        }
        return Placeholder.resolve(probe.filter, now: now, samples: samples)
    }

    /// Milliseconds of `runs` executions of a find, drained to the end, after `warmup` untimed ones; sorted.
    public static func timed(_ collection: MongoCollection, filter: BSONDocument, options: FindOptions, warmup: Int,
                             runs: Int) throws -> [Double] {
        for _ in 0..<warmup { _ = try collection.find(filter, options: options).toArray() }
        var timings: [Double] = []
        for _ in 0..<runs {
            let run = ContinuousClock.now
            _ = try collection.find(filter, options: options).toArray()
            timings.append(run.secondsElapsed * 1000)
        }
        return timings.sorted()
    }

    /// Nearest-rank percentile of sorted values.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
