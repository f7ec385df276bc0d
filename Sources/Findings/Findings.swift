import Foundation

/// How bad a failed check is. `--fail-on` gates on findings at or above a level.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, warning, error, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The outcome of one check. Decided in a fixed order (as InSpec does): an error in the probe, then skipped, then
/// failed, then passed.
public enum Verdict: String, Codable, Sendable, CaseIterable {
    /// The probe could not gather its facts (timeout, server error): nothing is known about the check.
    case error
    /// The check does not apply here (no `--api-url` for an HTTP check, a code-only step without data).
    case skipped
    /// The facts contradict the expectation.
    case failed
    case passed

    /// The verdict of a group of checks: error over failed over passed; skipped only when everything was skipped.
    public static func combined(_ verdicts: [Verdict]) -> Verdict {
        if verdicts.contains(.error) { return .error }
        if verdicts.contains(.failed) { return .failed }
        if !verdicts.isEmpty, verdicts.allSatisfy({ $0 == .skipped }) { return .skipped }
        return .passed
    }
}

/// One check of one step: what was measured, what was expected, and the verdict.
public struct Finding: Codable, Sendable, Equatable {
    /// Stable diagnostic code, documented in Docs/finding-codes.md (`RG-SCHEMA-001`).
    public var code: String
    public var step: Int
    /// The check's id, unique within its step (`orders.subscription_id`).
    public var check: String
    public var title: String
    public var verdict: Verdict
    /// How bad it is when the check fails.
    public var severity: Severity
    /// What was measured, for people ("9,996 of 10,000 orders carry subscription_id").
    public var measured: String
    /// What the rule expects, for people ("all 10,000").
    public var expected: String
    /// Why the verdict is what it is; for errors and skips, the reason.
    public var message: String
    /// The measured numbers, for machines and report sections (`{"carrying": 9996, "total": 10000}`).
    public var figures: [String: Double]
    /// Extra lines: a manual checklist, sample ids. Never personal data.
    public var details: [String]
    public var seconds: Double

    public init(code: String, step: Int, check: String, title: String, verdict: Verdict, severity: Severity,
                measured: String = "", expected: String = "", message: String = "",
                figures: [String: Double] = [:], details: [String] = [], seconds: Double = 0) {
        self.code = code
        self.step = step
        self.check = check
        self.title = title
        self.verdict = verdict
        self.severity = severity
        self.measured = measured
        self.expected = expected
        self.message = message
        self.figures = figures
        self.details = details
        self.seconds = seconds
    }

    /// Whether this finding stops the gate at the given threshold: a failure or a probe error at or above it.
    public func gates(at threshold: Severity) -> Bool {
        (verdict == .failed || verdict == .error) && severity >= threshold
    }
}

/// All findings of one step, with the step's catalog facts as report metadata.
public struct StepResult: Codable, Sendable, Equatable {
    public var step: Int
    public var title: String
    /// `data`, `index`, `code` or `format`.
    public var kind: String
    public var severity: Severity
    /// The role whose approval a rollback needs (`finance`), if any.
    public var approval: String?
    public var dependsOn: [Int]
    public var findings: [Finding]
    public var seconds: Double
    /// What the step's compliance evidence covers (its compliance impact's title), when it removes audit data: its
    /// fields are listed in the Compliance section, and its rollback record is compliance evidence.
    public var compliance: String?
    /// Why the step matters and where that is written down (the rule file's `rationale` and `references`).
    public var rationale: String?
    public var references: [String]?

    public init(step: Int, title: String, kind: String, severity: Severity, approval: String?, dependsOn: [Int],
                findings: [Finding], seconds: Double, compliance: String? = nil, rationale: String? = nil,
                references: [String]? = nil) {
        self.compliance = compliance
        self.rationale = rationale
        self.references = references?.isEmpty == true ? nil : references
        self.step = step
        self.title = title
        self.kind = kind
        self.severity = severity
        self.approval = approval
        self.dependsOn = dependsOn
        self.findings = findings
        self.seconds = seconds
    }

    public var verdict: Verdict { Verdict.combined(findings.map(\.verdict)) }
}

/// The result of one RollGate run: the versioned model every report is a view of.
public struct RunResult: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning or disappears; adding fields keeps it.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// `audit`, `plan` or `rollback`.
    public var command: String
    public var toolVersion: String
    public var startedAt: Date
    public var seconds: Double
    /// The connection string, password masked.
    public var server: String
    public var database: String
    /// `applied` or `rolled-back` (audit).
    public var expectation: String
    public var failOn: Severity
    public var steps: [StepResult]
    /// What each step's rollback would do and cost, in execution order (`plan` and `rollback`).
    public var plan: [StepPlan]?
    /// The files `plan --export` wrote, with what each holds.
    public var exports: [ExportSummary]?
    /// The rule files the run applied.
    public var rules: RuleSet?

    public init(command: String, toolVersion: String, startedAt: Date, seconds: Double, server: String,
                database: String, expectation: String, failOn: Severity, steps: [StepResult], plan: [StepPlan]? = nil,
                exports: [ExportSummary]? = nil, rules: RuleSet? = nil) {
        self.schemaVersion = Self.currentSchemaVersion
        self.command = command
        self.toolVersion = toolVersion
        self.startedAt = startedAt
        self.seconds = seconds
        self.server = server
        self.database = database
        self.expectation = expectation
        self.failOn = failOn
        self.steps = steps
        self.plan = plan
        self.exports = exports
        self.rules = rules
    }

    public var findings: [Finding] { steps.flatMap(\.findings) }

    /// True when no finding gates at `failOn`.
    public var passes: Bool { !findings.contains { $0.gates(at: failOn) } }

    /// How many findings have each verdict.
    public var totals: [Verdict: Int] {
        Dictionary(grouping: findings, by: \.verdict).mapValues(\.count)
    }
}

/// The rule files a run applied: their directory, how it was found, and a SHA-256 over them (`Catalog.fingerprint`).
public struct RuleSet: Codable, Sendable, Equatable {
    public var directory: String
    /// `--checks`, `$ROLLGATE_CHECKS`, `./checks` or `installed with rollgate`.
    public var origin: String
    public var sha256: String

    public init(directory: String, origin: String, sha256: String) {
        self.directory = directory
        self.origin = origin
        self.sha256 = sha256
    }
}

/// `1234567` → `1,234,567`: how every count RollGate prints is grouped (terminal, findings, evidence).
public func grouped(_ n: Int) -> String {
    n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
}
