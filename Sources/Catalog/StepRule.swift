import BSONCore
import Findings
import Foundation

/// What a step changed.
public enum StepKind: String, Sendable, CaseIterable, Codable {
    /// Fields and links in documents.
    case data
    /// Indexes.
    case index
    /// Application code only: checked through the API or data probes, rolled back by a manual checklist.
    case code
    /// The format of identifiers.
    case format
}

/// Whose approval a rollback of the step needs.
public enum ApprovalRole: String, Sendable, CaseIterable, Codable {
    case ops, finance, security, compliance
}

/// One step of the rollout (19–30), as its rule file in `checks/` describes it.
public struct StepRule: Sendable {
    public var step: Int
    public var title: String
    /// What the step added, one line each, for people.
    public var added: [String]
    public var kind: StepKind
    /// How bad a failed check of this step is, unless a probe says otherwise.
    public var severity: Severity
    public var approval: ApprovalRole?
    public var dependsOn: [Int]
    public var probes: [ProbeRule]
    public var rollback: RollbackRule
    public var impact: [ImpactRule]
    /// Documents that must pass or fail a probe: the rule file's own tests.
    public var examples: [ProbeExample]
    public var source: SourceLocation
    /// Why the step matters, for the people reading a failure (as InSpec's `desc`, SwiftLint's rationale).
    public var rationale: String? = nil
    /// Where it is written down: the guide's section, a ticket.
    public var references: [String] = []

    public func probe(_ id: String) -> ProbeRule? { probes.first { $0.id == id } }
}

/// One check of a step: what the applied state looks like, and how to see it.
public struct ProbeRule: Sendable {
    public var id: String
    public var title: String
    /// Overrides the step's severity for this check.
    public var severity: Severity?
    /// Under which expectation the probe runs (`--expect applied` or `rolled-back`).
    public var when: ProbeWhen
    public var kind: ProbeKind
    public var source: SourceLocation
}

/// Under which `--expect` a probe runs. Field and index probes check both states (present vs absent); queries, links,
/// formats and HTTP checks describe the applied state only; data-integrity counts hold always.
public enum ProbeWhen: String, Sendable, CaseIterable {
    case applied
    case rolledBack = "rolled-back"
    case always
    /// Both states, with opposite expectations.
    case both

    static func defaultValue(for kind: ProbeKind) -> ProbeWhen {
        switch kind {
        case .fields, .index, .http: .both
        case .count: .always
        case .query, .link, .format: .applied
        }
    }
}

/// The kinds of probe, each gathered by its own code in the Audit module.
public enum ProbeKind: Sendable {
    case fields(FieldsProbe)
    case index(IndexProbe)
    case query(QueryProbe)
    case link(LinkProbe)
    case count(CountProbe)
    case format(FormatProbe)
    case http(HTTPProbe)

    /// The name used for `type:` in rule files.
    public var typeName: String {
        switch self {
        case .fields: "fields"
        case .index: "index"
        case .query: "query"
        case .link: "link"
        case .count: "count"
        case .format: "format"
        case .http: "http"
        }
    }
}

/// Fields a step added: applied means every document matching `where` carries them all; rolled back means no
/// document in the collection carries any of them.
public struct FieldsProbe: Sendable {
    public var collection: String
    public var fields: [String]
    public var where_: BSONDocument
}

/// An index a step created, by key pattern (the identity that matters) and name (the guide's).
public struct IndexProbe: Sendable {
    public var collection: String
    public var keys: BSONDocument
    public var name: String
    /// Options the index must have (`unique`, `partialFilterExpression`, …).
    public var options: BSONDocument
}

/// A representative query: latency against a budget, and a plan that uses the expected index.
public struct QueryProbe: Sendable {
    public var collection: String
    public var filter: BSONDocument
    public var sort: BSONDocument?
    public var limit: Int?
    /// The index name the plan should use.
    public var index: String
    /// p95 latency budget in milliseconds.
    public var budgetMs: Double
    /// Parameters sampled from a random document: parameter name → field of `collection`.
    public var sample: [String: String]
    /// Timed runs when the rule names none, and untimed runs before them.
    public static let defaultRuns = 20, defaultWarmup = 3
    public var runs: Int
    public var warmup: Int
    /// Most documents the plan may examine per document returned.
    public var maxExaminedPerReturned: Double
}

/// A two-way link between two collections (step 21): every `left.link` names a `right` document whose `link` names
/// it back, and the other way round.
public struct LinkProbe: Sendable {
    public struct Side: Sendable {
        public var collection: String
        /// The field holding the document's own id.
        public var id: String
        /// The field pointing at the other side.
        public var link: String
        /// Which documents are expected to be linked.
        public var where_: BSONDocument
    }

    public var left: Side
    public var right: Side
}

/// Documents that must not exist (data integrity): a filter, or a read-only pipeline whose results are counted.
public struct CountProbe: Sendable {
    public var collection: String
    public var filter: BSONDocument?
    public var pipeline: [BSON]?
    /// Most documents allowed to match (usually 0).
    public var max: Int

    public init(collection: String, filter: BSONDocument?, pipeline: [BSON]?, max: Int) {
        self.collection = collection
        self.filter = filter
        self.pipeline = pipeline
        self.max = max
    }
}

/// Identifier format (step 29): every listed field, where present and not null, matches `pattern`.
public struct FormatProbe: Sendable {
    public var pattern: String
    /// Collection → fields that hold identifiers.
    public var fields: [(collection: String, fields: [String])]
}

/// Checks of the running API (code-only steps), when `--api-url` is given.
public struct HTTPProbe: Sendable {
    public struct Endpoint: Sendable {
        public var method: String
        public var path: String
    }

    /// Endpoints that must refuse a request without credentials (401 or 403), and one with a wrong role's (403).
    public var protectedEndpoints: [Endpoint]
    /// The environment variable that holds a token of a role the endpoints must refuse (never printed).
    public var wrongRoleTokenVariable: String?
    /// Path of the OpenAPI document, the tags it must list, and the tags it must no longer list (compared
    /// case-insensitively).
    public var openAPIPath: String?
    public var openAPITags: [String]
    public var openAPIAbsentTags: [String]
}

/// How the step is rolled back (used by the planner and executor).
public struct RollbackRule: Sendable {
    /// False where the guide advises against rolling back (step 29, step 30's indexes).
    public var recommended: Bool
    public var reason: String?
    /// Steps to do by hand (code-only steps).
    public var manual: [String]
    public var backups: [BackupRule]
    public var operations: [OperationRule]
    public var verify: [VerifyRule]
}

/// What to save before the operations run.
public struct BackupRule: Sendable {
    public var collection: String
    public var filter: BSONDocument
    public var projection: BSONDocument?
    /// The backup's name in the guide (`delivery_audit_backup`), if it names one.
    public var name: String?
    /// For index steps: save the full index specifications of the collection.
    public var indexes: Bool
}

/// One change a rollback makes.
public enum OperationRule: Sendable {
    case unset(collection: String, filter: BSONDocument, fields: [String])
    case update(collection: String, filter: BSONDocument, update: BSONDocument)
    case dropIndex(collection: String, name: String)

    public var collection: String {
        switch self {
        case .unset(let c, _, _), .update(let c, _, _), .dropIndex(let c, _): c
        }
    }

    /// The documents it changes (nil for an index).
    public var filter: BSONDocument? {
        switch self {
        case .unset(_, let f, _), .update(_, let f, _): f
        case .dropIndex: nil
        }
    }

    /// Whether it changes documents (rather than an index).
    public var changesDocuments: Bool {
        if case .dropIndex = self { return false }
        return true
    }
}

extension RollbackRule {
    /// The rule with every `{{placeholder}}` of its filters filled in for `now`: the one place where a rollback's
    /// filters are resolved, so that the plan's counts, the backup, the operations and the verification read the same
    /// documents.
    public func resolved(now: Date) -> RollbackRule {
        var rule = self
        rule.backups = backups.map { backup in
            var resolved = backup
            resolved.filter = Placeholder.resolve(backup.filter, now: now)
            return resolved
        }
        rule.operations = operations.map { operation in
            switch operation {
            case let .unset(c, f, fields): .unset(collection: c, filter: Placeholder.resolve(f, now: now), fields: fields)
            case let .update(c, f, u): .update(collection: c, filter: Placeholder.resolve(f, now: now), update: u)
            case .dropIndex: operation
            }
        }
        rule.verify = verify.map { check in
            var resolved = check
            resolved.filter = Placeholder.resolve(check.filter, now: now)
            return resolved
        }
        return rule
    }
}

/// A post-condition of the rollback: `count(filter) == expect`.
public struct VerifyRule: Sendable {
    public var collection: String
    public var filter: BSONDocument
    public var expect: Int
}

/// What rolling the step back costs, to be priced from the data by the planner.
public enum ImpactRule: Sendable {
    /// Documents affected in some way worth saying (`deliveries orphaned from their orders`).
    case count(title: String, collection: String, filter: BSONDocument)
    /// A total computed by a read-only pipeline whose single result has `value` (and optionally `count`).
    case sum(title: String, collection: String, pipeline: [BSON], unit: SumUnit)
    /// Revenue no longer billed (step 23).
    case revenue(RevenueImpact)
    /// Audit data removed (step 25).
    case compliance(ComplianceImpact)
    /// Endpoints left unprotected (step 24).
    case security(endpoints: [HTTPProbe.Endpoint])
    /// Queries that slow down (step 30): probe ids of `query` probes.
    case performance(queries: [String])
}

/// Revenue no longer billed: the orders `filter` matches, priced by `amount_field`, over the last `window_days` days
/// (projected per year) and month by month.
public struct RevenueImpact: Sendable {
    /// The headline figure's title in the reports; it should name the window.
    public var title: String
    /// The days back from now of the headline figure (`window_days`).
    public var windowDays: Int
    public var collection: String
    /// The orders that would go unbilled (one-time and delivered: `subscription_id` missing or null).
    public var filter: BSONDocument
    /// The guide's own query, shown beside RollGate's count with the reason they differ.
    public var guideFilter: BSONDocument
    public var amountField: String
    /// Rupees assumed for an order without an amount (the guide's ₹130 average).
    public var defaultAmount: Double
    public var dateField: String
    /// The order's own id and its customer's, for the reconciliation export (`plan --export`).
    public var idField: String
    public var customerField: String
    public var note: String

    /// The windows a rule may declare: a day to a year.
    public static let windowRange = 1...Impact.Revenue.daysPerYear
}

public struct ComplianceImpact: Sendable {
    public struct Field: Sendable {
        public var name: String
        public var personalData: Bool
    }

    /// What the evidence covers (`delivery audit fields`), for the reports' Compliance section.
    public var title: String
    /// The plan's headline for the records that would lose their audit data (`impact_title`).
    public var impactTitle: String
    public var collection: String
    public var filter: BSONDocument
    public var groupBy: String
    public var fields: [Field]
    /// The record's own id, for the export (`plan --export`).
    public var idField: String
}

/// A document that must pass (or fail) a probe, with documents of other collections it needs.
public struct ProbeExample: Sendable {
    public var probe: String
    public var passes: Bool
    public var document: BSONDocument
    /// Collection → documents to insert beside it (for probes that look across collections).
    public var context: [(collection: String, documents: [BSONDocument])]
    public var source: SourceLocation
}
