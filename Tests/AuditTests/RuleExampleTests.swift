import Audit
import Catalog
import Findings
import Foundation
import Mongo
import TestSupport
import Testing

/// Every rule file carries examples: documents that must pass or fail one of its probes. This one test runs them all,
/// so a new step's examples are tested with no new Swift.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct RuleExampleTests {
    struct Example: CustomTestStringConvertible, Sendable {
        let step: StepRule
        let example: ProbeExample
        var testDescription: String { "\(example.source) \(example.probe) \(example.passes ? "pass" : "fail")" }
    }

    static let examples: [Example] = {
        guard let catalog = try? Catalog.load(directory: AuditTests.checks) else { return [] }
        return catalog.steps.flatMap { step in step.examples.map { Example(step: step, example: $0) } }
    }()

    @Test func thereAreExamples() {
        #expect(Self.examples.count >= 20)
    }

    @Test(arguments: examples)
    func exampleGetsItsVerdict(_ case_: Example) async throws {
        let example = case_.example
        var step = case_.step
        let probe = try #require(step.probe(example.probe))
        step.probes = [probe]
        step.dependsOn = []
        let collection: String = switch probe.kind {
        case .fields(let p): p.collection
        case .count(let p): p.collection
        case .link(let p): p.left.collection
        case .format(let p): p.fields.first { $0.fields.contains { example.document[$0] != nil } }?.collection ?? "users"
        default: "unused"
        }
        let pool = try TestServer.pool()
        let database = TestServer.freshDatabase("example")
        defer { pool.withClient { _ = try? $0.database(database).runCommand(["dropDatabase": 1], kind: .write) } }
        try await pool.run { client in
            let db = client.database(database)
            try db.collection(collection).insertMany([example.document])
            for (other, documents) in example.context { try db.collection(other).insertMany(documents) }
        }
        let results = try await Auditor(catalog: try Catalog(steps: [step]), pool: pool, database: database,
                                    options: AuditOptions()).run(steps: [step.step])
        let findings = results[0].findings.filter { $0.verdict != .skipped }
        #expect(!findings.isEmpty)
        let verdict = Verdict.combined(findings.map(\.verdict))
        #expect(verdict == (example.passes ? .passed : .failed),
                "\(case_.testDescription): \(findings.map { "\($0.check) \($0.verdict): \($0.measured) \($0.message)" })")
    }
}
