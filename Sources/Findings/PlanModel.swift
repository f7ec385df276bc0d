import Foundation

/// What a rollback of one step would do and cost, measured without changing anything (`rollgate plan`).
public struct StepPlan: Codable, Sendable, Equatable {
    public var step: Int
    public var title: String
    public var kind: String
    /// Operations in the order they would run, each with the exact number of documents its filter matches now.
    public var operations: [PlannedOperation]
    /// The backup the rollback would take first.
    public var backup: BackupEstimate
    /// Seconds the rollback would take, from throughput measured on this server.
    public var estimateSeconds: Double
    public var approval: String?
    public var recommended: Bool
    /// Why the step should not be rolled back, when the guide says so.
    public var notRecommendedReason: String?
    /// The manual checklist of a code-only step.
    public var manual: [String]
    /// Why the rollback would not go ahead as planned: approval needed, not recommended, a dependency broken.
    public var blockers: [String]
    /// What the rollback would cost, priced from the data.
    public var impacts: [Impact]

    public init(step: Int, title: String, kind: String, operations: [PlannedOperation], backup: BackupEstimate,
                estimateSeconds: Double, approval: String?, recommended: Bool, notRecommendedReason: String?,
                manual: [String], blockers: [String], impacts: [Impact]) {
        self.step = step
        self.title = title
        self.kind = kind
        self.operations = operations
        self.backup = backup
        self.estimateSeconds = estimateSeconds
        self.approval = approval
        self.recommended = recommended
        self.notRecommendedReason = notRecommendedReason
        self.manual = manual
        self.blockers = blockers
        self.impacts = impacts
    }

    /// Documents the operations would change, all together.
    public var documents: Int { operations.reduce(0) { $0 + $1.documents } }
}

/// One operation of a planned rollback.
public struct PlannedOperation: Codable, Sendable, Equatable {
    /// `unset`, `update` or `drop_index`.
    public var type: String
    public var collection: String
    /// What it does, for people (`$unset subscription_id where {subscription_id: {$exists: true}}`).
    public var description: String
    /// Documents the filter matches now (indexes: 1 when the index exists, 0 when already dropped).
    public var documents: Int

    public init(type: String, collection: String, description: String, documents: Int) {
        self.type = type
        self.collection = collection
        self.description = description
        self.documents = documents
    }
}

/// The size of the backup a rollback would take.
public struct BackupEstimate: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        /// The collection backed up, or the guide's name for the backup (`delivery_audit_backup`).
        public var name: String
        public var documents: Int
        public var bytes: Int

        public init(name: String, documents: Int, bytes: Int) {
            self.name = name
            self.documents = documents
            self.bytes = bytes
        }
    }

    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    public var documents: Int { parts.reduce(0) { $0 + $1.documents } }
    public var bytes: Int { parts.reduce(0) { $0 + $1.bytes } }
}
