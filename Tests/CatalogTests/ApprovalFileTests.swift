import Catalog
import Foundation
import Testing

/// Approval files: full timestamps, UTC unless an offset is given, and each refusal.
@Suite struct ApprovalFileTests {
    static func file(expires: String, role: String = "finance", step: Int = 23, extra: String = "") -> String {
        """
        approvals:
          - step: \(step)
            role: \(role)
            approver: Priya Raman (CFO)
            ticket: FIN-2291
            reason: Billing bug in one-time orders
            expires: \(expires)\(extra)
        """
    }

    static var iso: ISO8601DateFormatter { ISO8601DateFormatter() }

    @Test(arguments: [
        ("2026-12-01T18:00:00Z", "2026-12-01T18:00:00Z"),
        ("2026-12-01T18:00:00+05:30", "2026-12-01T12:30:00Z"),
        ("2026-12-01T18:00:00-0800", "2026-12-02T02:00:00Z"),
        ("2026-12-01T18:00:00", "2026-12-01T18:00:00Z"),
        ("\"2026-12-01T18:00:00.5Z\"", "2026-12-01T18:00:00Z"),
        ("2026-12-01 18:00", "2026-12-01T18:00:00Z"),
    ])
    func timestampsReadAsWritten(text: String, utc: String) throws {
        let approvals = try ApprovalFile.parse(Self.file(expires: text), file: "approve.yaml")
        let expected = Self.iso.date(from: utc)!
        #expect(abs(approvals[0].expires.timeIntervalSince(expected)) < 1, "\(approvals[0].expires)")
        #expect(approvals[0].source == "approve.yaml:2")
    }

    @Test(arguments: ["2026-12-01", "tomorrow", "2026-02-30T10:00:00Z", "2026-12-01T25:00:00Z", "2026-12-01T10:00:00+15:00", "12/01/2026 10:00"])
    func vagueOrImpossibleTimestampsAreRefused(text: String) {
        let error = #expect(throws: CatalogError.self) { try ApprovalFile.parse(Self.file(expires: text), file: "approve.yaml") }
        #expect(error?.description.hasPrefix("approve.yaml:7") == true, "\(String(describing: error))")
    }

    @Test func unknownKeysAndMissingFieldsAreRefused() {
        #expect(throws: CatalogError.self) {
            try ApprovalFile.parse(Self.file(expires: "2026-12-01T18:00:00Z", extra: "\n    approvd: yes"), file: "a.yaml")
        }
        #expect(throws: CatalogError.self) { try ApprovalFile.parse("approvals:\n  - step: 23\n", file: "a.yaml") }
        #expect(throws: CatalogError.self) { try ApprovalFile.parse("approvals: [", file: "a.yaml") }
        #expect(throws: CatalogError.self) { try ApprovalFile.parse(Self.file(expires: "2026-12-01T18:00:00Z", role: "cfo"), file: "a.yaml") }
    }

    @Test func checkFindsTheValidApprovalOrSaysWhy() throws {
        let now = Self.iso.date(from: "2026-11-29T12:00:00Z")!
        let valid = try ApprovalFile.parse(Self.file(expires: "2026-11-30T00:00:00Z"), file: "a.yaml")
        let expired = try ApprovalFile.parse(Self.file(expires: "2026-11-29T11:59:59Z"), file: "a.yaml")
        let wrongRole = try ApprovalFile.parse(Self.file(expires: "2026-11-30T00:00:00Z", role: "ops"), file: "a.yaml")

        #expect(try ApprovalProblem.check(step: 23, needs: .finance, in: valid, now: now).get().ticket == "FIN-2291")
        #expect(throws: ApprovalProblem.self) { try ApprovalProblem.check(step: 23, needs: .finance, in: expired, now: now).get() }
        guard case .failure(.wrongRole)? = Optional(ApprovalProblem.check(step: 23, needs: .finance, in: wrongRole, now: now)) else {
            Issue.record("expected wrongRole"); return
        }
        #expect(ApprovalProblem.check(step: 21, needs: .ops, in: valid, now: now) == .failure(.missing(step: 21, role: .ops)))
        #expect(try ApprovalProblem.check(step: 23, needs: .finance, in: expired + valid, now: now).get().expires > now,
                "a valid approval wins over an expired one")
        // Exactly at expiry, the approval no longer excuses.
        let atExpiry = Self.iso.date(from: "2026-11-30T00:00:00Z")!
        #expect(throws: ApprovalProblem.self) { try ApprovalProblem.check(step: 23, needs: .finance, in: valid, now: atExpiry).get() }
    }
}
