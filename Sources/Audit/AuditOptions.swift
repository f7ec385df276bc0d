import Catalog
import Findings
import Foundation

/// Which state the audit expects the steps to be in.
public enum ExpectedState: String, Sendable, CaseIterable, Codable {
    case applied
    case rolledBack = "rolled-back"
}

/// How an audit runs.
public struct AuditOptions: Sendable {
    public var expectation: ExpectedState
    /// Base URL of the running EarlyBird API, for the HTTP checks of code-only steps.
    public var apiURL: URL?
    /// Collections probed at the same time (latency is always measured alone, after the rest).
    public var concurrency: Int
    /// Longest a single probe query may run on the server.
    public var probeTimeout: Duration
    /// The time "now" for `{{today}}`-style placeholders.
    public var now: Date

    public init(expectation: ExpectedState = .applied, apiURL: URL? = nil, concurrency: Int = 4,
                probeTimeout: Duration = .seconds(120), now: Date = Date()) {
        self.expectation = expectation
        self.apiURL = apiURL
        self.concurrency = concurrency
        self.probeTimeout = probeTimeout
        self.now = now
    }

    /// Whether a probe runs under this expectation.
    func runs(_ probe: ProbeRule) -> Bool {
        switch probe.when {
        case .always, .both: true
        case .applied: expectation == .applied
        case .rolledBack: expectation == .rolledBack
        }
    }
}
