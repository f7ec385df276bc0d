import Catalog
import Findings
import Foundation
import Mongo

/// One file that `plan --export` writes: its rows, its progress and its end.
public protocol ExportFile: ExportRowWriter {
    /// `done` rows of about `total` are written.
    func progress(done: Int, total: Int)
    /// Completes the file; called only once every row is written.
    func finish() throws
}

/// Where `plan --export` writes, and how.
public struct ExportRequest: Sendable {
    public var directory: String
    public var includePersonalData: Bool
    /// Opens one file: its URL, its header, and whether only its owner may read it (it holds personal data).
    public var open: @Sendable (URL, [String], Bool) throws -> any ExportFile

    public init(directory: String, includePersonalData: Bool,
                open: @escaping @Sendable (URL, [String], Bool) throws -> any ExportFile) {
        self.directory = directory
        self.includePersonalData = includePersonalData
        self.open = open
    }
}

/// A dry run from request to results, in the library: the plan, the reconciliation exports, the dry-run history
/// entry and the findings as a `RunResult`.
public struct PlanRun: Sendable {
    public let plan: [StepPlan]
    public let exports: [ExportSummary]?
    public let result: RunResult

    /// `history` is the dry-run entry to record (nil: none). The exports are written before it, so an export that
    /// cannot be written leaves no record of a plan nobody got.
    public static func perform(steps: [Int], catalog: Catalog, pool: MongoPool, database: String, command: String,
                               toolVersion: String, server: String, history: History.Run?,
                               export: ExportRequest?) async throws -> PlanRun {
        let started = history?.startedAt ?? Date()
        let clock = ContinuousClock.now
        let plan = try await Planner(catalog: catalog, pool: pool, database: database, options: PlanOptions(now: started))
            .plan(steps: steps)
        let elapsed = clock.secondsElapsed
        var exports: [ExportSummary]?
        if let export {
            exports = try await Self.export(plan, catalog: catalog, pool: pool, database: database, now: started, request: export)
        }
        if let history {
            try await pool.run { try History.recordPlan(plan, run: history, seconds: elapsed, in: $0.database(database)) }
        }
        let result = RunResult(command: command, toolVersion: toolVersion, startedAt: started, seconds: elapsed,
                               server: server, database: database, expectation: "applied", failOn: .error,
                               steps: plan.map { PlanFindings.stepResult($0, catalog: catalog) }, plan: plan,
                               exports: exports, rules: catalog.rules)
        return PlanRun(plan: plan, exports: exports, result: result)
    }

    /// Writes the export files of every planned step that has them, one streaming pass each.
    private static func export(_ plan: [StepPlan], catalog: Catalog, pool: MongoPool, database: String, now: Date,
                               request: ExportRequest) async throws -> [ExportSummary] {
        var summaries: [ExportSummary] = []
        for step in plan {
            guard let rule = catalog.step(step.step) else { continue }
            for table in ImpactExporter.tables(for: rule, plan: step) {
                let url = URL(fileURLWithPath: request.directory).appendingPathComponent(table.file)
                var summary = try await pool.run { client in
                    let exporter = ImpactExporter(database: client.database(database), now: now,
                                                  includePersonalData: request.includePersonalData)
                    let file = try request.open(url, table.header, request.includePersonalData && table.hasPersonalData)
                    let summary = try exporter.export(table, step: step.step, to: file) {
                        file.progress(done: $0, total: max(table.expectedRows ?? 0, $0))
                    }
                    try file.finish()
                    return summary
                }
                summary.file = url.relativePath
                summaries.append(summary)
            }
        }
        return summaries
    }
}
