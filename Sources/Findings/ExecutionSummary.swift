/// A rollback or emergency run in brief, for the terminal: one line per step, then the health checks. Rollback builds
/// it from the steps' outcomes; Reports renders it (`ExecutionText`).
public struct ExecutionSummary: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public enum Result: Sendable, Equatable {
            /// Rolled back, already rolled back, or a manual checklist confirmed.
            case done
            /// A manual checklist still to do.
            case pending
            /// Failed, or documents were written during the rollback: the run did not finish what it promised.
            case unfinished
        }

        public var step: Int
        public var status: String
        public var result: Result
        /// Documents changed, per collection.
        public var changes: [CollectionCount]
        public var backup: String?
        public var message: String

        public init(step: Int, status: String, result: Result, changes: [CollectionCount], backup: String?, message: String) {
            self.step = step
            self.status = status
            self.result = result
            self.changes = changes
            self.backup = backup
            self.message = message
        }
    }

    public var steps: [Step]
    /// The emergency procedure's health check lines (nil for a plain rollback), and whether all of them passed.
    public var healthLines: [String]?
    public var healthy: Bool

    public init(steps: [Step], healthLines: [String]?, healthy: Bool) {
        self.steps = steps
        self.healthLines = healthLines
        self.healthy = healthy
    }

    /// The steps that did not finish, for one error line each.
    public var unfinished: [Step] { steps.filter { $0.result == .unfinished } }

    /// Whether the run ends with exit 1: a step did not finish, or a health check failed.
    public var failed: Bool { !unfinished.isEmpty || !healthy }
}
