import Catalog
import Findings
import Foundation
import Mongo

/// A rollback or emergency run from request to results, in the library: the executor, the procedure's health checks
/// after an emergency, the findings as a `RunResult`, and the summary for the terminal.
public struct RollbackRun: Sendable {
    public let outcomes: [StepOutcome]
    public let result: RunResult
    public let summary: ExecutionSummary

    /// Throws what `Executor.run` throws (a refusal, an interruption, a lost lock); otherwise every step's outcome.
    public static func perform(_ request: RollbackRequest, catalog: Catalog, pool: MongoPool, database: String,
                               command: String, toolVersion: String, server: String,
                               progress: @escaping @Sendable (String) -> Void) async throws -> RollbackRun {
        let started = Date()
        let clock = ContinuousClock.now
        let outcomes = try await Executor(catalog: catalog, pool: pool, database: database)
            .run(request, now: started, progress: progress)
        var health: HealthCheck.Result?
        if request.mode == .emergency {
            let checks = catalog.procedure.healthChecks
            health = try await pool.run { try HealthCheck.run(checks, in: $0.database(database)) }
        }
        let result = RunResult(command: command, toolVersion: toolVersion, startedAt: started, seconds: clock.secondsElapsed,
                               server: server, database: database, expectation: "rolled-back", failOn: .error,
                               steps: outcomes.map { ExecutionFindings.stepResult($0, request: request, catalog: catalog, at: started) },
                               rules: catalog.rules)
        let summary = ExecutionSummary(steps: outcomes.map(\.summary), healthLines: health?.lines, healthy: health?.healthy ?? true)
        return RollbackRun(outcomes: outcomes, result: result, summary: summary)
    }

    /// Writes one sealed evidence file per step that changed data into `directory` (`rollgate evidence verify FILE`
    /// checks it); returns the files.
    public func writeEvidence(to directory: URL) throws -> [URL] {
        try outcomes.compactMap(\.evidence).map { evidence in
            let url = directory.appendingPathComponent(evidence.fileName)
            try evidence.encoded().write(to: url, options: .atomic)
            return url
        }
    }
}

extension StepOutcome {
    /// The outcome in brief, for the terminal; its `result` is also the verdict of the step's finding.
    var summary: ExecutionSummary.Step {
        let result: ExecutionSummary.Step.Result = switch status {
        case .rolledBack, .alreadyRolledBack, .manualDone: .done
        case .manualPending: .pending
        case .failed, .writtenDuring: .unfinished
        }
        return ExecutionSummary.Step(step: step, status: status.rawValue, result: result,
                                     changes: operations.map { .init(collection: $0.collection, documents: $0.documents) },
                                     backup: backup, message: message)
    }
}
