import Catalog
import Findings
import Foundation
import Mongo

/// Runs the probes of the selected steps against one database and returns their findings, step by step.
///
/// Counting probes of all steps that look at the same collection share one `$facet` pass over it; those passes,
/// index listings, link checks and HTTP checks run concurrently (up to `concurrency` at once). Latency is measured
/// afterwards, one query at a time with nothing else running, so that concurrency never inflates it. Output order
/// is the catalog's, whatever order the work finished in. A probe that fails becomes an `error` finding and the run
/// goes on, unless the server no longer answers a `ping`: then the audit ends with that error.
public struct Auditor: Sendable {
    public let catalog: Catalog
    public let pool: MongoPool
    public let database: String
    public let options: AuditOptions

    public init(catalog: Catalog, pool: MongoPool, database: String, options: AuditOptions) {
        self.catalog = catalog
        self.pool = pool
        self.database = database
        self.options = options
    }

    public func run(steps selected: [Int]) async throws(MongoError) -> [StepResult] {
        let steps = catalog.steps.filter { selected.contains($0.step) }
        var plan = AuditPlan()
        for (stepIndex, step) in steps.enumerated() {
            for (probeIndex, probe) in step.probes.enumerated() {
                plan.add(step: step, probe: probe, slot: Slot(step: stepIndex, probe: probeIndex), options: options)
            }
        }

        var findings: [Slot: [Finding]] = plan.immediate
        var answers: [String: Result<[BSONDocument], MongoError>] = [:]
        var indexes: [String: Result<[BSONDocument], MongoError>] = [:]
        var durations: [String: Double] = [:]

        // Phase 1: everything but latency, concurrently.
        let lost: MongoError? = await withTaskGroup(of: WorkResult.self) { group in
            var pending = plan.concurrentWork(database: database, options: options)[...]
            for _ in 0..<max(1, options.concurrency) {
                guard let work = pending.popFirst() else { break }
                group.addTask { await work(pool) }
            }
            for await result in group {
                if result.hasError, let lost = await serverLost() {
                    group.cancelAll()
                    return lost
                }
                switch result {
                case let .answers(collection, results, elapsed):
                    answers.merge(results) { $1 }
                    durations[collection] = elapsed
                case let .indexes(collection, result):
                    indexes[collection] = result
                case let .findings(slot, produced, _):
                    findings[slot, default: []] += produced
                }
                if let work = pending.popFirst() { group.addTask { await work(pool) } }
            }
            return nil
        }
        if let lost { throw lost }

        for entry in plan.counting {
            let keys = (entry.probe.questions + entry.probe.standalone).map(\.key)
            if let failure = keys.lazy.compactMap({ answers[$0]?.failure }).first {
                findings[entry.slot, default: []].append(entry.probe.maker.error(failure))
                continue
            }
            let perProbe = (durations[entry.collection] ?? 0) / Double(max(plan.probesPerCollection[entry.collection] ?? 1, 1))
            let values = answers.compactMapValues { try? $0.get() }
            findings[entry.slot, default: []] += entry.probe.evaluate(values).map { finding in
                var timed = finding
                timed.seconds = perProbe
                return timed
            }
        }
        for entry in plan.indexChecks {
            switch indexes[entry.probe.collection] {
            case .success(let list)?:
                findings[entry.slot, default: []].append(
                    IndexCheck.evaluate(entry.probe, indexes: list, maker: entry.maker, expectation: options.expectation))
            case .failure(let error)?:
                findings[entry.slot, default: []].append(entry.maker.error(error))
            case nil:
                break
            }
        }

        // Phase 2: latency and plans, one query at a time.
        for entry in plan.queries {
            let (probe, maker, database, now, timeout) = (entry.probe, entry.maker, database, options.now, options.probeTimeout)
            let produced = (try? await pool.run { client in
                QueryCheck.run(probe, maker: maker, database: client.database(database), now: now, timeout: timeout)
            }) ?? []
            findings[entry.slot, default: []] += produced
            if produced.contains(where: { $0.verdict == .error }), let lost = await serverLost() { throw lost }
        }

        return steps.enumerated().map { stepIndex, step in
            let stepFindings = step.probes.indices.flatMap { findings[Slot(step: stepIndex, probe: $0)] ?? [] }
            return StepResult(step: step.step, title: step.title, kind: step.kind.rawValue, severity: step.severity,
                              approval: step.approval?.rawValue, dependsOn: step.dependsOn, findings: stepFindings,
                              seconds: stepFindings.reduce(0) { $0 + $1.seconds }, compliance: step.complianceTitle,
                              rationale: step.rationale, references: step.references)
        }
    }
}

extension Auditor {
    /// After a probe error: why the server no longer answers a `ping`, or nil when it does. A server that is gone ends
    /// the audit at once, rather than turning every remaining probe into an error after its own wait.
    func serverLost() async -> MongoError? {
        do {
            try await pool.run { try $0.ping() }
            return nil
        } catch let error as MongoError {
            return error
        } catch {
            return .cannotConnect("\(error)")
        }
    }
}

/// Where a probe's findings go: its step and its place in the step's file.
struct Slot: Hashable {
    let step: Int
    let probe: Int
}

private enum WorkResult: Sendable {
    case answers(collection: String, [String: Result<[BSONDocument], MongoError>], seconds: Double)
    case indexes(collection: String, Result<[BSONDocument], MongoError>)
    /// Findings made directly; `fromDatabase` false for the HTTP checks, whose errors say nothing about the server.
    case findings(Slot, [Finding], fromDatabase: Bool)

    /// Whether a database probe of this work failed to run.
    var hasError: Bool {
        switch self {
        case .answers(_, let results, _): results.values.contains { $0.failure != nil }
        case .indexes(_, let result): result.failure != nil
        case let .findings(_, produced, fromDatabase): fromDatabase && produced.contains { $0.verdict == .error }
        }
    }
}

/// The audit sorted into the kinds of work it takes.
private struct AuditPlan {
    var immediate: [Slot: [Finding]] = [:]
    var counting: [(slot: Slot, collection: String, probe: CountingProbe)] = []
    var indexChecks: [(slot: Slot, probe: IndexProbe, maker: FindingMaker)] = []
    var queries: [(slot: Slot, probe: QueryProbe, maker: FindingMaker)] = []
    var links: [(slot: Slot, probe: LinkProbe, maker: FindingMaker)] = []
    var http: [(slot: Slot, probe: HTTPProbe, maker: FindingMaker)] = []

    var probesPerCollection: [String: Int] {
        Dictionary(grouping: counting, by: \.collection).mapValues(\.count)
    }

    mutating func add(step: StepRule, probe: ProbeRule, slot: Slot, options: AuditOptions) {
        let maker = FindingMaker(step: step, probe: probe)
        guard options.runs(probe) else {
            immediate[slot] = [maker.skipped("applies when the step is expected \(probe.when.rawValue), "
                + "not \(options.expectation.rawValue)")]
            return
        }
        switch probe.kind {
        case .fields(let fields):
            counting.append((slot, fields.collection, .fields(fields, maker: maker, expectation: options.expectation)))
        case .format(let format):
            for counted in CountingProbe.format(format, maker: maker) {
                counting.append((slot, counted.questions.first?.collection ?? "", counted))
            }
        case .count(let count):
            counting.append((slot, count.collection, .count(count, maker: maker, now: options.now)))
        case .index(let index):
            indexChecks.append((slot, index, maker))
        case .query(let query):
            queries.append((slot, query, maker))
        case .link(let link):
            links.append((slot, link, maker))
        case .http(let http):
            self.http.append((slot, http, maker))
        }
    }

    /// Units of phase-1 work, each run on its own task.
    func concurrentWork(database: String, options: AuditOptions) -> [@Sendable (MongoPool) async -> WorkResult] {
        let timeout = options.probeTimeout
        var work: [@Sendable (MongoPool) async -> WorkResult] = []

        let questions = counting.flatMap(\.probe.questions)
        for (collection, asked) in Dictionary(grouping: questions, by: \.collection).sorted(by: { $0.key < $1.key }) {
            work.append { pool in
                let start = ContinuousClock.now
                let results = await Self.facetPass(asked, collection: collection, database: database, timeout: timeout, pool: pool)
                return .answers(collection: collection, results, seconds: start.secondsElapsed)
            }
        }
        for question in counting.flatMap(\.probe.standalone) {
            work.append { pool in
                let start = ContinuousClock.now
                let result = await Self.aggregate(question.pipeline, collection: question.collection, database: database,
                                                  timeout: timeout, pool: pool)
                return .answers(collection: "\(question.collection)#\(question.key)", [question.key: result],
                                seconds: start.secondsElapsed)
            }
        }
        for collection in Set(indexChecks.map(\.probe.collection)).sorted() {
            work.append { pool in
                let result = await Self.capture {
                    try await pool.run { try $0.database(database).collection(collection).listIndexes() }
                }
                return .indexes(collection: collection, result)
            }
        }
        for entry in links {
            work.append { pool in
                let finding = (try? await pool.run { client in
                    LinkCheck.run(entry.probe, maker: entry.maker, database: client.database(database), timeout: timeout)
                }) ?? entry.maker.error(MongoError.cannotConnect("no client"))
                return .findings(entry.slot, [finding], fromDatabase: true)
            }
        }
        for entry in http {
            let apiURL = options.apiURL, expectation = options.expectation
            work.append { _ in
                .findings(entry.slot, await HTTPCheck.run(entry.probe, maker: entry.maker, apiURL: apiURL, timeout: timeout,
                                                          expectation: expectation),
                          fromDatabase: false)
            }
        }
        return work
    }

    /// One `$facet` aggregation answering every question about a collection. If the server rejects it, each question
    /// is asked alone, so that only the probe whose query is at fault gets the error; a timeout or a lost connection
    /// is every question's error (asking again, one by one, would only multiply the wait).
    static func facetPass(_ questions: [FacetQuestion], collection: String, database: String, timeout: Duration,
                          pool: MongoPool) async -> [String: Result<[BSONDocument], MongoError>] {
        var facets = BSONDocument()
        for (index, question) in questions.enumerated() { facets["q\(index)"] = .array(question.pipeline) }
        let combined = await aggregate([["$facet": .document(facets)]], collection: collection, database: database,
                                       timeout: timeout, pool: pool)
        if case .success(let rows) = combined, let row = rows.first {
            return Dictionary(uniqueKeysWithValues: questions.enumerated().map { index, question in
                (question.key, .success(row["q\(index)"]?.arrayValue?.compactMap(\.documentValue) ?? []))
            })
        }
        if let failure = combined.failure, failure.serverCode == nil {
            return Dictionary(uniqueKeysWithValues: questions.map { ($0.key, .failure(failure)) })
        }
        var results: [String: Result<[BSONDocument], MongoError>] = [:]
        for question in questions {
            results[question.key] = await aggregate(question.pipeline, collection: collection, database: database,
                                                    timeout: timeout, pool: pool)
        }
        return results
    }

    static func aggregate(_ pipeline: [BSON], collection: String, database: String, timeout: Duration,
                          pool: MongoPool) async -> Result<[BSONDocument], MongoError> {
        await capture {
            try await pool.run { client in
                try client.database(database).collection(collection)
                    .aggregate(pipeline, options: AggregateOptions(allowDiskUse: true, maxTime: timeout)).toArray()
            }
        }
    }

    static func capture<T>(_ body: () async throws -> T) async -> Result<T, MongoError> {
        do {
            return .success(try await body())
        } catch let error as MongoError {
            return .failure(error)
        } catch {
            return .failure(.invalidDocument("\(error)"))
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
