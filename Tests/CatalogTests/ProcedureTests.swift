import Catalog
import Foundation
import Mongo
import Testing

/// `procedure.yaml`: the guide's procedure around the steps, read as data and checked against the steps.
@Suite struct ProcedureTests {
    /// A copy of checks/ with `procedure.yaml` replaced by `text` (or removed when nil); removed afterwards.
    static func withCatalog(procedure text: String?, _ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-procedure-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in try FileManager.default.contentsOfDirectory(atPath: CatalogTests.checks.path) where file.hasPrefix("step-") {
            try FileManager.default.copyItem(at: CatalogTests.checks.appendingPathComponent(file),
                                             to: directory.appendingPathComponent(file))
        }
        if let text { try text.write(to: directory.appendingPathComponent(Procedure.fileName), atomically: true, encoding: .utf8) }
        try body(directory)
    }

    @Test func theGuidesProcedureIsRead() throws {
        let catalog = try Catalog.load(directory: CatalogTests.checks)
        let procedure = catalog.procedure
        #expect(procedure.product == "EarlyBird" && procedure.emergencySteps == Array(23...30))
        #expect(procedure.notRecommendedApproval == .ops)
        #expect(procedure.collections.contains("delivery_statuses") && procedure.collections.count == 6)
        #expect(procedure.healthChecks.map(\.collection) == ["users", "orders", "subscriptions_v2", "orders"])
        #expect(procedure.healthChecks.last?.filter.value(at: "created_at.$gte") == "{{hours_ago:24}}")
        // The emergency procedure keeps the steps the guide advises against unless they are included.
        #expect(try EmergencySelection(catalog: catalog, include: nil).steps == [23, 24, 25, 26, 27, 28])
        let all = try EmergencySelection(catalog: catalog, include: "29,30")
        #expect(all.steps == Array(23...30) && all.included == [29, 30])
        #expect(throws: StepSelection.Invalid.self) { try EmergencySelection(catalog: catalog, include: "22") }
        #expect(throws: StepSelection.Invalid.self) { try EmergencySelection(catalog: catalog, include: "24") }
        // Only step 25 produces compliance evidence, from its rule file.
        #expect(catalog.steps.filter { $0.complianceTitle != nil }.map(\.step) == [25])
    }

    @Test func aChangedProcedureChangesWhatRollGateDoes() throws {
        try Self.withCatalog(procedure: """
            product: Milkman
            emergency: {steps: 25-30}
            not_recommended_approval: compliance
            health_checks:
              - {title: recent deliveries, collection: delivery_statuses, filter: {delivery_date: {$gte: "{{days_ago:7}}"}}, at_least: 10}
            """) { directory in
            let catalog = try Catalog.load(directory: directory)
            #expect(catalog.procedure.product == "Milkman" && catalog.procedure.notRecommendedApproval == .compliance)
            #expect(try EmergencySelection(catalog: catalog, include: nil).steps == [25, 26, 27, 28])
            #expect(catalog.procedure.healthChecks.first?.atLeast == 10)
        }
    }

    @Test func withoutAProcedureThereIsNoEmergencySet() throws {
        try Self.withCatalog(procedure: nil) { directory in
            let catalog = try Catalog.load(directory: directory)
            #expect(catalog.stepNumbers == Array(19...30) && catalog.procedure.healthChecks.isEmpty)
            #expect(throws: StepSelection.Invalid.self) { try EmergencySelection(catalog: catalog, include: nil) }
        }
    }

    @Test(arguments: [
        ("product: X\nemergency: {steps: 23-31}\n", "procedure.yaml:1:1: emergency.steps: there is no rule file for step 31"),
        ("product: X\ncollections: [orders]\n", "is not listed"),
        ("product: X\nhealth_check: []\n", "procedure.yaml:2:1: unknown key 'health_check'"),
        ("product: X\nhealth_checks:\n  - {collection: orders, filter: {a: \"{{soon}}\"}}\n", "unknown placeholder {{soon}}"),
        ("product: X\nnot_recommended_approval: boss\n", "not_recommended_approval"),
        ("product: X\nemergency: {steps: 30-23}\n", "backwards"),
        ("emergency: {steps: 23}\n", "product"),
    ])
    func aBadProcedureIsOneLineNamingFileAndPlace(text: String, expected: String) throws {
        try Self.withCatalog(procedure: text) { directory in
            do {
                _ = try Catalog.load(directory: directory)
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)".contains(expected) && "\(error)".contains(Procedure.fileName), "\(error)")
                #expect(!"\(error)".contains("\n"), "one line: \(error)")
            }
        }
    }
}
