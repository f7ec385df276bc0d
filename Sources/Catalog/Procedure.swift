import BSONCore
import Findings
import Foundation

/// What the operations guide asks around the steps, read from `procedure.yaml` beside the rule files: the product's
/// name, the collections it expects, the steps of the emergency procedure, the approval a rollback the guide advises
/// against needs, and the database checks after an emergency rollback. Nothing of this is spelled in Swift, so a
/// changed guide is a changed file.
public struct Procedure: Sendable {
    public static let fileName = "procedure.yaml"

    /// One database check after an emergency rollback: `count(filter)` on `collection` must be at least `atLeast`.
    public struct HealthCheckRule: Sendable {
        /// What the check is called in its line; without it, the line names the collection and counts documents.
        public var title: String?
        public var collection: String
        public var filter: BSONDocument
        public var atLeast: Int
    }

    /// The product the rule files describe (`EarlyBird`), for help texts and reports.
    public var product: String
    /// The collections the product expects: `doctor` lists them, and every rule must name one of them.
    public var collections: [String]
    /// The steps of the emergency procedure, ascending; it runs them highest first. A step the guide advises against
    /// (`rollback.recommended: false`) is kept unless the operator includes it.
    public var emergencySteps: [Int]
    /// The approval a step needs when its rollback is not recommended and its rule names no approval of its own.
    public var notRecommendedApproval: ApprovalRole
    public var healthChecks: [HealthCheckRule]
    /// Where the procedure was read from; nil for `Procedure.none`.
    public var source: SourceLocation?

    /// A catalog without a procedure file: no emergency procedure, no health checks, and `ops` approves a rollback
    /// the guide advises against.
    public static let none = Procedure(product: "the product", collections: [], emergencySteps: [],
                                       notRecommendedApproval: .ops, healthChecks: [], source: nil)
}

/// Reads `procedure.yaml`, as strictly as a rule file: unknown keys, wrong types and bad filters are errors with file
/// and line.
struct ProcedureParser {
    let file: String

    func parse(_ text: String) throws(CatalogError) -> Procedure {
        let top = try YAMLValue.root(of: text, file: file).mapping()
        try top.finish(allowed: ["product", "collections", "not_recommended_approval", "emergency", "health_checks"])
        let rules = RuleFileParser(file: file)
        var emergency: [Int] = []
        if let value = top["emergency"] {
            let map = try value.mapping()
            try map.finish(allowed: ["steps"])
            let steps = try map.required("steps")
            // `23-30`, `23,25`, or one step as a number.
            let text: String
            if let number = try? steps.int() { text = String(number) } else { text = try steps.string() }
            do {
                emergency = try StepSelection.parse(text, available: Array(1...999))
            } catch {
                throw steps.invalid("emergency.steps: \(error)")
            }
        }
        let checks = try top["health_checks"]?.list().map { (item) throws(CatalogError) -> Procedure.HealthCheckRule in
            let map = try item.mapping()
            try map.finish(allowed: ["title", "collection", "filter", "at_least"])
            let atLeast = try map["at_least"]?.int() ?? 1
            guard atLeast >= 0 else { throw try map.required("at_least").invalid("at_least must be 0 or more") }
            return Procedure.HealthCheckRule(title: try map["title"]?.nonEmptyString(), collection: try rules.collection(map),
                                             filter: try rules.filter(map["filter"]) ?? [:], atLeast: atLeast)
        } ?? []
        return Procedure(
            product: try top.required("product").nonEmptyString(),
            collections: try top["collections"]?.strings() ?? [],
            emergencySteps: emergency,
            notRecommendedApproval: try top["not_recommended_approval"]?.oneOf(ApprovalRole.self) ?? .ops,
            healthChecks: checks,
            source: top.value.location)
    }
}

extension Procedure {
    /// The procedure checked against the steps it goes with: every emergency step exists, and every collection a rule
    /// or a health check names is one the product expects (when the procedure lists them).
    func check(against steps: [StepRule]) throws(CatalogError) {
        guard let source else { return }
        for step in emergencySteps where !steps.contains(where: { $0.step == step }) {
            throw CatalogError.invalidValue(source, path: "emergency.steps", reason: "there is no rule file for step \(step)")
        }
        guard !collections.isEmpty else { return }
        let named = healthChecks.map { ($0.collection, "health_checks") }
            + steps.flatMap { step in step.collections.map { ($0, "step \(step.step) (\(step.source.file))") } }
        for (collection, user) in named where !collections.contains(collection) {
            throw CatalogError.invalidValue(source, path: "collections",
                                            reason: "\(collection.quoted), named by \(user), is not listed")
        }
    }
}

extension StepRule {
    /// Every collection the rule names: its probes, its rollback and its impacts.
    var collections: [String] {
        let probes = probes.flatMap { probe -> [String] in
            switch probe.kind {
            case .fields(let p): [p.collection]
            case .index(let p): [p.collection]
            case .query(let p): [p.collection]
            case .link(let p): [p.left.collection, p.right.collection]
            case .count(let p): [p.collection]
            case .format(let p): p.fields.map(\.collection)
            case .http: []
            }
        }
        let rollback = rollback.backups.map(\.collection) + rollback.operations.map(\.collection)
            + rollback.verify.map(\.collection)
        let impacts = impact.flatMap { impact -> [String] in
            switch impact {
            case .count(_, let collection, _), .sum(_, let collection, _, _): [collection]
            case .revenue(let revenue): [revenue.collection]
            case .compliance(let compliance): [compliance.collection]
            case .security, .performance: []
            }
        }
        return probes + rollback + impacts
    }
}

extension StepRule {
    /// The step's compliance impacts: the audit data its rollback removes.
    public var complianceImpacts: [ComplianceImpact] {
        impact.compactMap { impact in
            if case .compliance(let compliance) = impact { return compliance }
            return nil
        }
    }

    /// What the step's compliance evidence covers (its first compliance impact's title), when it has any.
    public var complianceTitle: String? { complianceImpacts.first?.title }
}
