import Foundation

/// One rollback history entry, for people (`rollgate history`, the recent rollbacks of `status`). Fields an entry
/// lacks stay nil and read as `?`.
public struct HistoryEntry: Sendable, Equatable {
    /// What the entry says was changed.
    public enum Affected: Sendable, Equatable {
        /// A rollback's operations: their documents, all together.
        case documents(Int64)
        /// A re-apply's named counts (`restored 297, unchanged 0, …`), in the order recorded.
        case counts([Count])
        case unknown
    }

    /// One named count of a re-apply.
    public struct Count: Sendable, Equatable {
        public var name: String
        public var value: Int64

        public init(name: String, value: Int64) {
            self.name = name
            self.value = value
        }
    }

    /// The backups an entry names.
    public enum Backups: Sendable, Equatable {
        /// A re-apply's chain, oldest first.
        case chain([String])
        /// A rollback's one backup.
        case single(String)
        case none
    }

    public var time: Date?
    public var step: Int64
    public var mode: String?
    public var status: String?
    public var operator_: String?
    public var affected: Affected
    public var backups: Backups

    public init(time: Date?, step: Int64, mode: String?, status: String?, operator_: String?, affected: Affected,
                backups: Backups) {
        self.time = time
        self.step = step
        self.mode = mode
        self.status = status
        self.operator_ = operator_
        self.affected = affected
        self.backups = backups
    }
}

/// A backup of a step as its manifest describes it.
public struct BackupSummary: Sendable, Equatable {
    public var name: String
    /// `complete`, or `partial (N batches saved)`.
    public var state: String
    /// The re-apply run that restored it, if one did.
    public var reappliedBy: String?
    /// Whether it holds pre-images a re-apply can use.
    public var usable: Bool

    public init(name: String, state: String, reappliedBy: String? = nil, usable: Bool = true) {
        self.name = name
        self.state = state
        self.reappliedBy = reappliedBy
        self.usable = usable
    }
}

/// The rollback records at a glance (`rollgate status`, as the guide's `get_status()`).
public struct StatusSummary: Sendable, Equatable {
    /// The holder of the rollback lock.
    public struct Lock: Sendable, Equatable {
        public var owner: String
        public var expires: Date

        public init(owner: String, expires: Date) {
            self.owner = owner
            self.expires = expires
        }
    }

    /// A step's backup chain: what a plain re-apply restores, oldest first.
    public struct Chain: Sendable, Equatable {
        public var step: Int
        public var backups: [BackupSummary]

        public init(step: Int, backups: [BackupSummary]) {
            self.step = step
            self.backups = backups
        }
    }

    /// A backup that holds personal-data fields.
    public struct PersonalData: Sendable, Equatable {
        public var backup: String
        public var fields: [String]

        public init(backup: String, fields: [String]) {
            self.backup = backup
            self.fields = fields
        }
    }

    /// Rollback operations in the catalog, all steps together.
    public var operations: Int
    /// The catalog's steps, ascending.
    public var steps: [Int]
    public var historyEntries: Int
    public var lock: Lock?
    /// Every backup collection's name.
    public var backups: [String]
    /// The steps with a chain, in step order.
    public var chains: [Chain]
    public var personalData: [PersonalData]
    /// The newest history entries first.
    public var recent: [HistoryEntry]

    public init(operations: Int, steps: [Int], historyEntries: Int, lock: Lock?, backups: [String], chains: [Chain],
                personalData: [PersonalData], recent: [HistoryEntry]) {
        self.operations = operations
        self.steps = steps
        self.historyEntries = historyEntries
        self.lock = lock
        self.backups = backups
        self.chains = chains
        self.personalData = personalData
        self.recent = recent
    }
}

/// A step's rollback as it stands in a database (`rollgate details STEP`).
public struct StepDetails: Sendable, Equatable {
    public var step: Int
    public var title: String
    public var kind: String
    public var approval: String?
    public var recommended: Bool
    /// The rollback's operations, each with the documents it would still change (0: done).
    public var operations: [PlannedOperation]
    /// Every backup of the step, oldest first.
    public var backups: [BackupSummary]
    public var manual: [String]
    public var dependsOn: [Int]

    public init(step: Int, title: String, kind: String, approval: String?, recommended: Bool,
                operations: [PlannedOperation], backups: [BackupSummary], manual: [String], dependsOn: [Int]) {
        self.step = step
        self.title = title
        self.kind = kind
        self.approval = approval
        self.recommended = recommended
        self.operations = operations
        self.backups = backups
        self.manual = manual
        self.dependsOn = dependsOn
    }
}

/// What a re-apply restored (`rollgate reapply`).
public struct ReapplySummary: Sendable, Equatable {
    public var step: Int
    /// The backups restored from, oldest first.
    public var backups: [String]
    public var restored: Int
    public var unchanged: Int
    public var indexesRestored: Int
    public var conflicts: Int
    /// The first conflicting `_id`s.
    public var conflictSamples: [String]
    public var seconds: Double
    /// Set when there was nothing left to re-apply: the earlier re-apply run that restored every backup.
    public var alreadyReappliedBy: String?

    public init(step: Int, backups: [String], restored: Int, unchanged: Int, indexesRestored: Int, conflicts: Int,
                conflictSamples: [String], seconds: Double, alreadyReappliedBy: String?) {
        self.step = step
        self.backups = backups
        self.restored = restored
        self.unchanged = unchanged
        self.indexesRestored = indexesRestored
        self.conflicts = conflicts
        self.conflictSamples = conflictSamples
        self.seconds = seconds
        self.alreadyReappliedBy = alreadyReappliedBy
    }
}

/// What `rollgate seed` did, told without knowing the product's schema (Seed fills it in).
public struct SeedReport: Sendable, Equatable {
    public var database: String
    public var state: String
    public var seed: UInt64
    public var asOf: Date
    public var seconds: Double
    /// Documents inserted, per collection in the order the seeder filled them.
    public var collections: [CollectionCount]
    /// Index names created, as `collection.name`.
    public var indexes: [String]
    /// One line per planted defect, when defects were planted.
    public var defects: [String]?

    public init(database: String, state: String, seed: UInt64, asOf: Date, seconds: Double, collections: [CollectionCount],
                indexes: [String], defects: [String]?) {
        self.database = database
        self.state = state
        self.seed = seed
        self.asOf = asOf
        self.seconds = seconds
        self.collections = collections
        self.indexes = indexes
        self.defects = defects
    }
}

/// What happened to one backup in `rollgate backups purge`.
public struct PurgeDecision: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case purged
        /// Would be purged (`--dry-run`).
        case wouldPurge
        /// Kept, with the reason.
        case refused(String)
    }

    public var backup: String
    public var step: Int
    public var createdAt: Date
    public var checksum: String
    public var action: Action

    public init(backup: String, step: Int, createdAt: Date, checksum: String, action: Action) {
        self.backup = backup
        self.step = step
        self.createdAt = createdAt
        self.checksum = checksum
        self.action = action
    }
}

/// An evidence file checked against the database it describes (`rollgate evidence verify`).
public struct EvidenceVerification: Sendable, Equatable {
    /// One thing checked, passed or not, in one line.
    public struct Check: Sendable, Equatable {
        public var passed: Bool
        public var line: String

        public init(passed: Bool, line: String) {
            self.passed = passed
            self.line = line
        }
    }

    public var step: Int
    public var runId: String
    public var database: String
    public var checks: [Check]

    public init(step: Int, runId: String, database: String, checks: [Check]) {
        self.step = step
        self.runId = runId
        self.database = database
        self.checks = checks
    }

    /// Every check passed.
    public var verified: Bool { checks.allSatisfy(\.passed) }
}

/// The rule files read (`rollgate checks lint`).
public struct CatalogSummary: Sendable, Equatable {
    /// The procedure file's name (`procedure.yaml`), and its emergency steps and health checks when it was read.
    public struct ProcedureFile: Sendable, Equatable {
        public var name: String
        public var emergencySteps: Int?
        public var healthChecks: Int?

        public init(name: String, emergencySteps: Int?, healthChecks: Int?) {
            self.name = name
            self.emergencySteps = emergencySteps
            self.healthChecks = healthChecks
        }
    }

    public var directory: String
    public var steps: [Int]
    public var probes: Int
    public var examples: Int
    public var procedure: ProcedureFile

    public init(directory: String, steps: [Int], probes: Int, examples: Int, procedure: ProcedureFile) {
        self.directory = directory
        self.steps = steps
        self.probes = probes
        self.examples = examples
        self.procedure = procedure
    }
}
