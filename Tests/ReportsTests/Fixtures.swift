import Testing
import Findings
import Foundation

/// Runs to render: fixed timestamps and durations, so that rendered reports can be compared with stored files.
enum Fixtures {
    /// 2026-02-01T10:00:00Z.
    static let startedAt = Date(timeIntervalSince1970: 1_769_940_000)

    static func run(_ steps: [StepResult], failOn: Severity = .error) -> RunResult {
        RunResult(command: "audit", toolVersion: "0.1.0", startedAt: startedAt, seconds: 12.3456,
                  server: "mongodb://rollgate:*****@127.0.0.1:27017", database: "earlybird",
                  expectation: "applied", failOn: failOn, steps: steps)
    }

    /// Everything in place.
    static let passing = run([
        StepResult(step: 19, title: "Subscription link on orders", kind: "data", severity: .error, approval: nil,
                   dependsOn: [], findings: [
                       Finding(code: "RG-SCHEMA-001", step: 19, check: "orders.subscription_id",
                               title: "Orders carry subscription_id", verdict: .passed, severity: .error,
                               measured: "10,000 of 10,000 orders", expected: "all 10,000",
                               figures: ["carrying": 10_000, "total": 10_000], seconds: 0.0421),
                   ], seconds: 0.05),
        StepResult(step: 30, title: "Query indexes", kind: "index", severity: .error, approval: nil,
                   dependsOn: [], findings: [
                       Finding(code: "RG-INDEX-001", step: 30, check: "orders.customer_id_1_delivery_date_-1",
                               title: "Index on orders by customer and date", verdict: .passed, severity: .error,
                               measured: "present", expected: "present", seconds: 0.002),
                   ], seconds: 0.01),
    ])

    /// Failed, error and skipped findings, approvals, dependencies, latency, compliance and finance figures.
    static let failing = run([
        StepResult(step: 23, title: "Billing of one-time orders", kind: "data", severity: .critical,
                   approval: "finance", dependsOn: [19, 20, 22], findings: [
                       Finding(code: "RG-SCHEMA-001", step: 23, check: "orders.billed",
                               title: "Delivered one-time orders carry billed", verdict: .failed, severity: .error,
                               measured: "9,996 of 10,000 orders", expected: "all 10,000",
                               message: "4 delivered one-time orders lack billed",
                               figures: ["carrying": 9_996, "total": 10_000],
                               details: ["sample id 0b6f3c1e-9d2a-4f7e-8a41-2c5d9e7f1a30"], seconds: 0.2346),
                       Finding(code: "RG-IMPACT-001", step: 23, check: "rollback.unbilled",
                               title: "Delivered one-time orders that would go unbilled", verdict: .passed,
                               severity: .info, measured: "₹6,00,000 in 1,200 orders",
                               figures: ["rupees": 600_000, "orders": 1_200], seconds: 0.5),
                   ], seconds: 0.75),
        StepResult(step: 24, title: "Delivery confirmation endpoint", kind: "code", severity: .warning,
                   approval: nil, dependsOn: [], findings: [
                       Finding(code: "RG-HTTP-001", step: 24, check: "http.confirm_requires_auth",
                               title: "Confirmation endpoint requires credentials", verdict: .skipped,
                               severity: .error, message: "no --api-url given"),
                       Finding(code: "RG-MANUAL-001", step: 24, check: "manual.review",
                               title: "Code-only step: review by hand", verdict: .skipped, severity: .warning,
                               message: "code-only step",
                               details: ["Shared confirmation links expire after 24 h",
                                         "Delivery boys see only their own route"]),
                   ], seconds: 0),
        StepResult(step: 25, title: "Delivery audit fields", kind: "data", severity: .critical,
                   approval: "compliance", dependsOn: [20], findings: [
                       Finding(code: "RG-SCHEMA-001", step: 25, check: "delivery_statuses.confirmed_at",
                               title: "Deliveries carry confirmed_at", verdict: .passed, severity: .critical,
                               measured: "14,000 of 14,000 deliveries", expected: "all 14,000",
                               figures: ["carrying": 14_000, "total": 14_000], seconds: 0.1),
                       Finding(code: "RG-SCHEMA-001", step: 25, check: "delivery_statuses.ip_address",
                               title: "Deliveries carry ip_address", verdict: .failed, severity: .critical,
                               measured: "13,990 of 14,000 deliveries", expected: "all 14,000",
                               message: "10 confirmed deliveries lack ip_address",
                               figures: ["carrying": 13_990, "total": 14_000], seconds: 0.1),
                   ], seconds: 0.2, compliance: "delivery audit fields"),
        StepResult(step: 30, title: "Query indexes", kind: "index", severity: .error, approval: nil,
                   dependsOn: [], findings: [
                       Finding(code: "RG-INDEX-001", step: 30, check: "orders.customer_id_1_delivery_date_-1",
                               title: "Index on orders by customer and date", verdict: .failed, severity: .error,
                               measured: "missing", expected: "{customer_id: 1, delivery_date: -1}",
                               message: "no index has this key pattern", seconds: 0.003),
                       Finding(code: "RG-LATENCY-001", step: 30, check: "orders.by_customer_date",
                               title: "Orders of a customer by date", verdict: .passed, severity: .error,
                               measured: "p95 8.75 ms", expected: "p95 ≤ 50 ms",
                               figures: ["p50Ms": 3.2, "p95Ms": 8.75, "budgetMs": 50,
                                         "docsExaminedPerReturned": 1],
                               details: ["plan: IXSCAN customer_id_1_delivery_date_-1"], seconds: 1.25),
                       Finding(code: "RG-EXPLAIN-001", step: 30, check: "delivery_statuses.by_order",
                               title: "Deliveries of an order", verdict: .failed, severity: .warning,
                               measured: "COLLSCAN, 14,000 documents examined for 1 returned",
                               expected: "an index scan", message: "the query reads the whole collection",
                               figures: ["p50Ms": 41.5, "p95Ms": 97.25, "budgetMs": 50,
                                         "docsExaminedPerReturned": 14_000], seconds: 2.5),
                       Finding(code: "RG-PROBE-001", step: 30, check: "billing_records.by_period",
                               title: "Billing records of a period", verdict: .error, severity: .error,
                               message: "timeout after 5 s", seconds: 5),
                   ], seconds: 8.9),
    ])

    static let piiText = "confirmed by ravi.kumar@example.com from 49.36.12.7 on "
        + "Mozilla/5.0 (Linux; Android 13; SM-A145F) Chrome/119.0, call +91 98765 43210"

    static let veryLong = String(repeating: "0123456789", count: 10_000)

    /// Strings that break naive renderers: markup, control characters, personal data, duplicates, huge values.
    static let hostile = run([
        StepResult(step: 25, title: "# Audit <fields> & \"quotes\" | 'pipes' `ticks` 🥛", kind: "data\u{1}",
                   severity: .critical, approval: "compliance|legal", dependsOn: [20, 21], findings: [
                       Finding(code: "RG-SCHEMA-001", step: 25, check: "a|b <c> & `d`",
                               title: "*bold* _it_ [link](x) \u{1}\u{FFFF} 🚚", verdict: .failed, severity: .error,
                               measured: "1 | 2\n3", expected: "<all> & \"every\"",
                               message: piiText, figures: ["carrying": 1, "total": 3],
                               details: ["- not a list", "1. not ordered", "#not a heading", "back\\slash|",
                                         "\u{0}\u{8}\u{B}\u{C}\u{1F}\u{FFFE} gone", piiText]),
                       Finding(code: "RG-SCHEMA-001", step: 25, check: "a|b <c> & `d`",
                               title: "Same check again", verdict: .error, severity: .error,
                               message: veryLong, details: [veryLong]),
                       Finding(code: "RG-SCHEMA-001", step: 25, check: "a|b <c> & `d` #2",
                               title: "A name that collides with the de-duplicated one", verdict: .skipped,
                               severity: .warning, message: "why | not \u{1}"),
                   ], seconds: 1, compliance: "delivery audit fields"),
        StepResult(step: 30, title: "Latency", kind: "index", severity: .error, approval: nil, dependsOn: [],
                   findings: [
                       Finding(code: "RG-LATENCY-001", step: 30, check: "x", title: "x", verdict: .failed,
                               severity: .error, measured: "p95 over budget",
                               figures: ["p50Ms": 1_234.5, "p95Ms": .infinity, "budgetMs": 50,
                                         "rupees": -1_500.5],
                               details: ["plan: COLLSCAN | <b>"], seconds: 0.5),
                   ], seconds: 0.5),
    ])

    /// `count` failed findings in one step, each with a message and details.
    static func many(_ count: Int) -> RunResult {
        let findings = (0..<count).map { index in
            Finding(code: "RG-INTEGRITY-001", step: 27, check: "rule.\(index)",
                    title: "Data-integrity rule \(index)", verdict: .failed, severity: .error,
                    measured: "\(index) violations", expected: "none",
                    message: "rule \(index) is violated by records of the deliveries collection",
                    details: ["sample id 0b6f3c1e-9d2a-4f7e-8a41-\(String(format: "%012d", index))"],
                    seconds: 0.001)
        }
        return run([StepResult(step: 27, title: "Data integrity", kind: "data", severity: .error, approval: nil,
                               dependsOn: [], findings: findings, seconds: 20)])
    }

    static let all: [NamedRun] = [
        NamedRun(name: "passing", run: passing), NamedRun(name: "failing", run: failing),
        NamedRun(name: "hostile", run: hostile), NamedRun(name: "empty", run: run([])),
    ]
}

/// A fixture with a short name, so that test logs show the name rather than the whole run.
struct NamedRun: Sendable, CustomTestStringConvertible {
    let name: String
    let run: RunResult
    var testDescription: String { name }
}
