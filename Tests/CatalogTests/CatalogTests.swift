import Catalog
import Foundation
import Mongo
import Testing

/// The rule files in checks/ and the loader's strictness.
@Suite struct CatalogTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let checks = repositoryRoot.appendingPathComponent("checks")

    static func broken(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("BrokenRules").appendingPathComponent(name)
    }

    @Test func everyRuleFileInChecksLoads() throws {
        let catalog = try Catalog.load(directory: Self.checks)
        let summary = catalog.summary(directory: "checks")
        #expect(summary.steps == catalog.stepNumbers && summary.probes == catalog.steps.reduce(0) { $0 + $1.probes.count })
        #expect(summary.procedure.emergencySteps == catalog.procedure.emergencySteps.count && summary.procedure.healthChecks != nil)
        #expect(catalog.stepNumbers == Array(19...30))
        #expect(catalog.steps.allSatisfy { !$0.probes.isEmpty })
    }

    @Test func theGuidesFiguresAndNamesAreEncoded() throws {
        let catalog = try Catalog.load(directory: Self.checks)
        // Step 23: ₹130 average, the null-versus-missing trap, finance approval, dependencies.
        let billing = try #require(catalog.step(23))
        #expect(billing.approval == .finance && billing.dependsOn == [19, 20, 22] && billing.severity == .critical)
        guard case .revenue(let revenue)? = billing.impact.first else { Issue.record("no revenue impact"); return }
        #expect(revenue.defaultAmount == 130)
        #expect(revenue.windowDays == 30 && revenue.title.hasSuffix("(last 30 days)"), "the window and its title are data")
        #expect(revenue.filter["subscription_id"] == .null, "null matches missing and null")
        #expect(revenue.guideFilter["subscription_id"] == ["$exists": false])
        // Step 30: the eight index names and the 50/45/60 ms budgets.
        let indexes = try #require(catalog.step(30))
        let names = indexes.probes.compactMap { probe -> String? in
            if case .index(let index) = probe.kind { return "\(index.collection).\(index.name)" } else { return nil }
        }
        #expect(Set(names) == ["orders.user_id_1", "orders.customer_id_1", "orders.delivery_date_-1",
                               "subscriptions_v2.customer_id_1", "subscriptions_v2.status_1",
                               "delivery_statuses.customer_id_1_delivery_date_-1", "billing_records.customer_id_1",
                               "billing_records.period_date_-1"])
        let budgets = indexes.probes.compactMap { probe -> Double? in
            if case .query(let query) = probe.kind { return query.budgetMs } else { return nil }
        }
        #expect(Set(budgets) == [50, 45, 60])
        #expect(indexes.rollback.recommended == false && catalog.step(29)?.rollback.recommended == false)
        #expect(catalog.step(21)?.approval == .ops && catalog.step(24)?.approval == .security)
        #expect(catalog.step(25)?.rollback.backups.first?.name == "delivery_audit_backup")
        #expect(catalog.step(25)?.complianceImpacts.first?.impactTitle == "delivery records that would lose their audit data")
        #expect(catalog.step(21)?.rollback.backups.first?.name == "user_customer_mapping_backup")
    }

    @Test(arguments: [
        ("unknown-key.yaml", 9, "unknown key 'colection' in probes[0]"),
        ("wrong-type.yaml", 1, "step must be an integer, found a string ('nineteen')"),
        ("bad-filter.yaml", 10, "unknown operator $exist (did you mean $exists?)"),
        ("writing-pipeline.yaml", 12, "$out writes data"),
        ("where-operator.yaml", 10, "$where is not allowed"),
        ("invalid-yaml.yaml", 3, "invalid YAML"),
        ("missing-key.yaml", 1, "missing required key 'title'"),
        ("bad-severity.yaml", 4, "'catastrophic' is not one of: info, warning, error, critical"),
        ("unknown-placeholder.yaml", 10, "unknown placeholder {{next_week}}"),
        ("revenue-window-zero.yaml", 10, "window_days must be between 1 and 365"),
        ("revenue-without-window.yaml", 12, "missing required key 'window_days'"),
    ])
    func brokenRuleFileIsRefusedWithFileAndLine(file: String, line: Int, message: String) {
        let error = #expect(throws: CatalogError.self) {
            try Catalog.loadFile(Self.broken(file), displayName: "checks/\(file)")
        }
        #expect(error?.location?.file == "checks/\(file)")
        #expect(error?.location?.line == line, "\(String(describing: error))")
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("checks/\(file):\(line)") == true)
        #expect(error?.description.contains("\n") == false, "one line")
    }

    @Test(arguments: [
        ("duplicate-step", "step 19 is defined twice"),
        ("dependency-cycle", "dependency cycle: 22 → 23 → 22"),
        ("missing-dependency", "step 23 depends on step 20, which no rule file defines"),
    ])
    func brokenCatalogIsRefused(directory: String, message: String) {
        let error = #expect(throws: CatalogError.self) { try Catalog.load(directory: Self.broken(directory)) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.location != nil)
    }

    @Test func emptyOrMissingDirectoryIsAnError() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-empty-\(UUID())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: CatalogError.noRuleFiles(directory: empty.path)) { try Catalog.load(directory: empty) }
        #expect(throws: CatalogError.self) { try Catalog.load(directory: empty.appendingPathComponent("nope")) }
    }

    @Test(arguments: [
        ("23", [23]), ("20-23", [20, 21, 22, 23]), ("19,21,23", [19, 21, 23]), ("all", Array(19...30)),
        (" 19, 22-24 ", [19, 22, 23, 24]), ("23,23", [23]),
    ])
    func stepSelectionParses(text: String, steps: [Int]) throws {
        #expect(try StepSelection.parse(text, available: Array(19...30)) == steps)
    }

    @Test(arguments: ["18", "31", "23-20", "23-20x", "", "  ", "19,,20", "abc", "19-", "-5", "20-23-25"])
    func badStepSelectionIsRefused(text: String) {
        #expect(throws: StepSelection.Invalid.self) { try StepSelection.parse(text, available: Array(19...30)) }
    }

    /// Examples of selections are made of the available steps, so help and errors never name a step there is not.
    @Test func selectionExamplesComeFromTheAvailableSteps() throws {
        let rollout = StepSelection.Examples(available: Array(19...30))
        #expect(rollout.text == "23, 20-23, 19,21,23 or all")
        #expect(rollout.textWithRollbackOrder == "23, 20-23 (run in reverse: 23, 22, 21, 20), 19,21,23 or all")
        let sparse = StepSelection.Examples(available: [40, 3, 7, 8])
        #expect(sparse.text == "8, 7-8, 3,8 or all" && sparse.rangeText == "7-8")
        for text in [sparse.text, rollout.text] {
            for example in text.replacingOccurrences(of: " or all", with: "").components(separatedBy: ", ") {
                #expect(throws: Never.self) { try StepSelection.parse(example, available: [3, 7, 8, 40] + Array(19...30)) }
            }
        }
        let lone = StepSelection.Examples(available: [5])
        #expect(lone.text == "5 or all" && lone.range == nil && lone.rangeText == "LOW-HIGH")
        #expect(StepSelection.Examples(available: []).text == "N or all")
        let error = #expect(throws: StepSelection.Invalid.self) { try StepSelection.parse("", available: [3, 7, 8, 40]) }
        #expect(error?.description == "no steps given (use e.g. 8, 7-8, 3,8 or all)")
    }

    @Test func placeholdersResolveToUTCDays() {
        let now = ISO8601DateFormatter().date(from: "2026-11-29T15:30:00Z")!
        let input: BSONDocument = ["a": "{{tomorrow}}", "b": ["$gte": "{{days_ago:2}}"], "c": "{{x}}", "d": "plain"]
        let resolved = Placeholder.resolve(input,
                                           now: now, samples: ["x": "sampled"])
        #expect(resolved["a"] == .date(ISO8601DateFormatter().date(from: "2026-11-30T00:00:00Z")!))
        #expect(resolved.value(at: "b.$gte") == .date(ISO8601DateFormatter().date(from: "2026-11-27T00:00:00Z")!))
        #expect(resolved["c"] == "sampled" && resolved["d"] == "plain")
    }
}
