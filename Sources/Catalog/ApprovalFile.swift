import Foundation
import Yams

/// One sign-off for rolling back one step.
public struct Approval: Sendable, Equatable, Codable {
    public var step: Int
    public var role: ApprovalRole
    public var approver: String
    public var ticket: String
    public var reason: String
    public var expires: Date
    public var source: String

    public init(step: Int, role: ApprovalRole, approver: String, ticket: String, reason: String, expires: Date,
                source: String) {
        self.step = step
        self.role = role
        self.approver = approver
        self.ticket = ticket
        self.reason = reason
        self.expires = expires
        self.source = source
    }
}

/// The approval file given with `--approval`:
///
/// ```yaml
/// approvals:
///   - step: 23
///     role: finance
///     approver: Priya Raman (CFO)
///     ticket: FIN-2291
///     reason: Billing bug in one-time orders; finance accepts the revenue pause
///     expires: 2026-12-01T18:00:00+05:30
/// ```
///
/// `expires` is a full ISO 8601 timestamp with a time; without an offset it is UTC. A date alone is refused: which
/// midnight it means would be a guess.
public enum ApprovalFile {
    public static func load(_ url: URL) throws(CatalogError) -> [Approval] {
        try read(url).approvals
    }

    /// The approvals and the file's text as read (for its digest in the compliance evidence).
    public static func read(_ url: URL) throws(CatalogError) -> (approvals: [Approval], text: String) {
        let name = url.relativePath
        let text = try Catalog.readText(url, name: name, tooLarge: "larger than 1 MiB; an approval file is a few lines")
        return (try parse(text, file: name), text)
    }

    public static func parse(_ text: String, file: String) throws(CatalogError) -> [Approval] {
        let top = try YAMLValue.root(of: text, file: file).mapping()
        try top.finish(allowed: ["approvals"])
        var approvals: [Approval] = []
        for item in try top.required("approvals").list() {
            let map = try item.mapping()
            try map.finish(allowed: ["step", "role", "approver", "ticket", "reason", "expires"])
            let expiresValue = try map.required("expires")
            approvals.append(Approval(
                step: try map.required("step").int(), role: try map.required("role").oneOf(ApprovalRole.self),
                approver: try map.required("approver").nonEmptyString(), ticket: try map.required("ticket").nonEmptyString(),
                reason: try map.required("reason").nonEmptyString(), expires: try timestamp(expiresValue),
                source: "\(file):\(item.location.line)"))
        }
        return approvals
    }

    /// A full timestamp: `2026-12-01T18:00:00Z`, `2026-12-01T18:00:00+05:30`, `2026-12-01T18:00:00` (UTC),
    /// fractions of a second allowed.
    static func timestamp(_ value: YAMLValue) throws(CatalogError) -> Date {
        // YAML resolves unquoted timestamps itself; read the text as written either way.
        guard case .scalar(let scalar) = value.node else { throw value.wrongType("a timestamp") }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        let pattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/
        guard let match = text.wholeMatch(of: pattern) else {
            throw value.invalid("\(text.quoted) is not a full ISO 8601 timestamp (e.g. 2026-12-01T18:00:00Z or "
                + "2026-12-01T18:00:00+05:30; without an offset the time is UTC)")
        }
        var offsetSeconds = 0
        if let zone = match.8, zone != "Z" {
            let digits = zone.dropFirst().replacingOccurrences(of: ":", with: "")
            let hours = Int(digits.prefix(2)) ?? 0, minutes = Int(digits.suffix(2)) ?? 0
            guard hours <= 14, minutes < 60 else { throw value.invalid("\(zone.quoted) is not a valid UTC offset") }
            offsetSeconds = (hours * 3600 + minutes * 60) * (zone.hasPrefix("-") ? -1 : 1)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offsetSeconds)!
        let components = DateComponents(year: Int(match.1), month: Int(match.2), day: Int(match.3), hour: Int(match.4),
                                        minute: Int(match.5), second: match.6.flatMap { Int($0) } ?? 0)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else {
            throw value.invalid("\(text.quoted) is not a real date and time")
        }
        let fraction = match.7.flatMap { Double("0" + $0) } ?? 0
        return date.addingTimeInterval(fraction)
    }
}

/// Why approvals do not cover a rollback: each is a refusal (exit code 4).
public enum ApprovalProblem: Error, Equatable, CustomStringConvertible {
    case missing(step: Int, role: ApprovalRole)
    case expired(step: Int, approver: String, expired: Date, source: String)
    case wrongRole(step: Int, needed: ApprovalRole, given: ApprovalRole, source: String)

    public var description: String {
        switch self {
        case let .missing(step, role):
            "step \(step) needs the approval of \(role.rawValue): give an approval file with --approval"
        case let .expired(step, approver, expired, source):
            "the approval of step \(step) by \(approver) expired at \(expired.formatted(.iso8601)) (\(source))"
        case let .wrongRole(step, needed, given, source):
            "step \(step) needs the approval of \(needed.rawValue), not \(given.rawValue) (\(source))"
        }
    }

    /// The approval covering `step`, or why there is none. A valid approval wins over expired or wrong ones.
    public static func check(step: Int, needs role: ApprovalRole, in approvals: [Approval], now: Date) -> Result<Approval, ApprovalProblem> {
        let forStep = approvals.filter { $0.step == step }
        if let valid = forStep.first(where: { $0.role == role && $0.expires > now }) { return .success(valid) }
        if let expired = forStep.first(where: { $0.role == role }) {
            return .failure(.expired(step: step, approver: expired.approver, expired: expired.expires, source: expired.source))
        }
        if let other = forStep.first {
            return .failure(.wrongRole(step: step, needed: role, given: other.role, source: other.source))
        }
        return .failure(.missing(step: step, role: role))
    }
}
