import ArgumentParser
import Catalog
import Findings
import Foundation
import Mongo
import Reports
import Rollback

/// Options shared by `plan` and `rollback --dry-run`.
struct PlanOptionsGroup: ParsableArguments {
    @Argument(help: ArgumentHelp("Steps: 23, 20-23 (run in reverse: 23, 22, 21, 20), 19,21,23 or all.",
                                 valueName: "steps"))
    var steps: String

    @Option(help: checksHelp)
    var checks: String?

    @Option(help: ArgumentHelp("Who is planning, for the history entry. Default: $USER.", valueName: "name"))
    var `operator`: String?

    @Option(help: ArgumentHelp("Why, for the history entry.", valueName: "text"))
    var reason: String?

    @Flag(name: .customLong("no-history"), help: "Do not record the dry run in the admin collection's history.")
    var noHistory = false

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where to write the reports.", valueName: "dir"))
    var reportDir: String = "reports"

    @Option(help: ArgumentHelp(
        "Also write, for reconciliation, a CSV of the records behind the figures: every order that would go unbilled "
            + "(step 23), every delivery that would lose its audit data (step 25).", valueName: "dir"))
    var export: String?

    @Flag(name: .customLong("include-personal-data"),
          help: "Write personal data (names, IP addresses, devices) into the --export files instead of [masked].")
    var includePersonalData = false

    func validate() throws {
        if let name = `operator`, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--operator must not be empty")
        }
        if export?.trimmingCharacters(in: .whitespaces).isEmpty == true { throw ValidationError("--export must not be empty") }
        if includePersonalData && export == nil { throw ValidationError("--include-personal-data needs --export DIR") }
    }

    var operatorName: String {
        `operator` ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}

/// `rollgate plan`: the dry run.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry run: what a rollback would change and what it would cost, without changing any data.",
        discussion: """
            For each step, in the order a rollback would take them: every operation with the exact number of \
            documents its filter matches, the backup it would take, an estimate of the time, approvals, steps that \
            would lose what they rely on, and the impact priced from the data (₹ unbilled, audit records lost, query \
            slowdown). Records one dry-run entry per step in the admin collection unless --no-history. Exit 0 when \
            planned (blocked steps are reported, not refused), 2 for invalid steps, 3 when the server cannot be used.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var plan: PlanOptionsGroup

    func run() async throws {
        try await runPlan(connection: connection, options: plan, command: "plan")
    }
}

/// Runs a dry run and writes its reports; shared by `plan` and `rollback --dry-run`.
func runPlan(connection: ConnectionOptions, options: PlanOptionsGroup, command: String) async throws {
    try await reportingFailures {
        let started = Date()
        let clock = ContinuousClock.now
        let catalog = try loadCatalog(options.checks)
        let selected = try StepSelection.parse(options.steps, available: catalog.stepNumbers)
        let pool = try connection.makePool()
        try await pool.run { try $0.ping() }

        let plan = try await Planner(catalog: catalog, pool: pool, database: connection.databaseName,
                                     options: PlanOptions(now: started)).plan(steps: selected)
        let elapsed = clock.secondsElapsed
        // Before the history entry: an export that cannot be written leaves no record of a plan nobody got.
        var exports: [ExportSummary]?
        if let directory = options.export {
            exports = try await exportImpacts(plan, catalog: catalog, pool: pool, database: connection.databaseName,
                                              now: started, directory: directory,
                                              includePersonalData: options.includePersonalData)
        }
        if !options.noHistory {
            let run = History.Run(operator_: options.operatorName, reason: options.reason, mode: .dryRun, startedAt: started)
            let database = connection.databaseName
            try await pool.run { try History.recordPlan(plan, run: run, seconds: elapsed, in: $0.database(database)) }
        }
        let result = RunResult(command: command, toolVersion: RollGate.version, startedAt: started,
                               seconds: elapsed, server: pool.settings.displayURI, database: connection.databaseName,
                               expectation: "applied", failOn: .error,
                               steps: plan.map { PlanFindings.stepResult($0, catalog: catalog) }, plan: plan, exports: exports,
                               rules: catalog.rules)
        let written = try ReportWriter.write(result, to: URL(fileURLWithPath: options.reportDir))
        print(PlanText.render(plan))
        if let exports { print(PlanText.render(exports: exports)) }
        print("Reports: " + written.map(\.relativePath).joined(separator: ", "))
    }
}

/// Writes the export files of every planned step that has them into `directory`, one streaming pass each.
func exportImpacts(_ plan: [StepPlan], catalog: Catalog, pool: MongoPool, database: String, now: Date,
                   directory: String, includePersonalData: Bool) async throws -> [ExportSummary] {
    var summaries: [ExportSummary] = []
    for step in plan {
        guard let rule = catalog.step(step.step) else { continue }
        for table in ImpactExporter.tables(for: rule, plan: step) {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(table.file)
            var summary = try await pool.run { client in
                let exporter = ImpactExporter(database: client.database(database), now: now,
                                              includePersonalData: includePersonalData)
                let writer = try CSVWriter(url: url, header: table.header,
                                           ownerOnly: includePersonalData && table.hasPersonalData)
                let bar = ProgressBar(label: "exporting \(table.file)")
                defer { bar.finish() }
                let summary = try exporter.export(table, step: step.step, to: writer) {
                    bar.update(done: $0, total: max(table.expectedRows ?? 0, $0))
                }
                try writer.finish()
                return summary
            }
            summary.file = url.relativePath
            summaries.append(summary)
        }
    }
    return summaries
}

/// A plan as findings: one per step, failed when something blocks the rollback (approval, not recommended, a
/// dependency), so that JUnit shows why.
enum PlanFindings {
    static func stepResult(_ plan: StepPlan, catalog: Catalog) -> StepResult {
        let rule = catalog.step(plan.step)
        var figures: [String: Double] = [
            "documents": Double(plan.documents), "backupDocuments": Double(plan.backup.documents),
            "backupBytes": Double(plan.backup.bytes), "estimateSeconds": plan.estimateSeconds,
        ]
        if let revenue = plan.impacts.first(where: { $0.kind == "revenue" }) {
            figures["rupees"] = revenue.value
            figures["orders"] = revenue.figures["ordersLast30Days"]
        }
        let finding = Finding(
            code: "RG-IMPACT-001", step: plan.step, check: "rollback-plan", title: "Rollback of step \(plan.step): \(plan.title)",
            verdict: plan.blockers.isEmpty ? .passed : .failed, severity: rule?.severity ?? .error,
            measured: "\(grouped(plan.documents)) documents would change in \(plan.operations.count) operations; "
                + "backup \(grouped(plan.backup.documents)) documents; about \(String(format: "%.1f", plan.estimateSeconds)) s",
            expected: "nothing blocks the rollback", message: plan.blockers.joined(separator: "; "), figures: figures,
            details: PlanText.lines(plan), seconds: 0)
        return StepResult(step: plan.step, title: plan.title, kind: plan.kind, severity: rule?.severity ?? .error,
                          approval: plan.approval, dependsOn: rule?.dependsOn ?? [], findings: [finding], seconds: 0)
    }
}

/// The plan for people, on the terminal.
enum PlanText {
    static func render(_ plan: [StepPlan]) -> String {
        var text: [String] = ["Rollback plan (dry run: nothing was changed), in execution order:", ""]
        for step in plan {
            var heading = "Step \(step.step) · \(step.title)"
            if let approval = step.approval { heading += "  [approval: \(approval)]" }
            if !step.recommended { heading += "  [not recommended]" }
            text.append(heading)
            text += lines(step).map { "  " + $0 }
            text.append("")
        }
        let total = plan.reduce(0) { $0 + $1.documents }
        let seconds = plan.reduce(0) { $0 + $1.estimateSeconds }
        let blocked = plan.filter { !$0.blockers.isEmpty }.map { String($0.step) }
        text.append("\(grouped(total)) documents would change; about \(String(format: "%.1f", seconds)) s in all."
            + (blocked.isEmpty ? "" : " Blocked: step \(blocked.joined(separator: ", ")) (see above)."))
        return text.joined(separator: "\n")
    }

    static func lines(_ step: StepPlan) -> [String] {
        var lines: [String] = []
        for operation in step.operations {
            lines.append("\(operation.collection): \(operation.description) → \(grouped(operation.documents)) "
                + (operation.type == "drop_index" ? (operation.documents == 1 ? "(index present)" : "(already gone)") : "documents"))
        }
        if !step.backup.parts.isEmpty {
            lines.append("backup: " + step.backup.parts.map {
                "\($0.name) \(grouped($0.documents)) (\(bytes($0.bytes)))"
            }.joined(separator: "; "))
        }
        if !step.operations.isEmpty { lines.append(String(format: "estimate: about %.1f s", step.estimateSeconds)) }
        for impact in step.impacts { lines += describe(impact) }
        if !step.manual.isEmpty { lines.append("manual checklist:") ; lines += step.manual.map { "  - " + $0 } }
        lines += step.blockers.map { "BLOCKED: " + $0 }
        return lines
    }

    static func describe(_ impact: Impact) -> [String] {
        switch impact.kind {
        case "revenue":
            let f = impact.figures
            var lines = ["₹ unbilled, last 30 days: \(IndianNumberFormat.rupees(impact.value)) "
                + "(\(grouped(Int(f["ordersLast30Days"] ?? 0))) orders, \(grouped(Int(f["withoutAmountLast30Days"] ?? 0))) "
                + "priced at \(IndianNumberFormat.rupees(f["defaultAmount"] ?? 0)) for want of an amount); per year "
                + "\(IndianNumberFormat.rupees(f["perYear"] ?? 0)) (\(IndianNumberFormat.rupeesInWords(f["perYear"] ?? 0))), "
                + "projected from the last 30 days × 365 ÷ 30"]
            lines += impact.rows.map { "  \($0.monthLabel): \(IndianNumberFormat.rupees($0.figures["rupees"] ?? 0)) from "
                + "\(grouped(Int($0.figures["orders"] ?? 0))) orders" }
            lines.append("  total: \(IndianNumberFormat.rupees(impact.rows.reduce(0) { $0 + ($1.figures["rupees"] ?? 0) })) from "
                + "\(grouped(Int(f["orders"] ?? 0))) orders")
            lines.append("the guide's query counts \(grouped(Int(f["guideCount"] ?? 0))) orders; RollGate counts "
                + "\(grouped(Int(f["orders"] ?? 0)))")
            return lines
        case "compliance":
            return ["\(impact.title): \(grouped(Int(impact.value))), \(grouped(Int(impact.figures["personalData"] ?? 0))) "
                + "with personal data"] + impact.rows.map { "  \($0.label): \(grouped(Int($0.figures["records"] ?? 0)))" }
        case "performance":
            return [impact.title + ":"] + impact.rows.map { row in
                String(format: "  %@: %.1f ms with the index, %.1f ms scanning (%.0f× slower)", row.label,
                       row.figures["withIndexMs"] ?? 0, row.figures["collectionScanMs"] ?? 0, row.figures["slowdown"] ?? 0)
            }
        case "security":
            return ["\(impact.title): " + impact.rows.map(\.label).joined(separator: ", ")]
        default:
            let value = impact.unit == "rupees" ? IndianNumberFormat.rupees(impact.value)
                : Int(exactly: impact.value.rounded()).map(grouped) ?? "\(impact.value)"
            return ["\(impact.title): \(value)"]
        }
    }

    static func render(exports: [ExportSummary]) -> String {
        guard !exports.isEmpty else { return "Exported: nothing (no step selected has orders or records to export)." }
        return (["Exported for reconciliation:"] + exports.map { export in
            var line = "  \(export.file): \(grouped(export.rows)) \(export.what)"
            if let rupees = export.rupees {
                line += ", \(IndianNumberFormat.rupees(rupees))"
                if let atDefault = export.pricedAtDefault { line += " (\(grouped(atDefault)) priced at the default)" }
            }
            if !export.maskedFields.isEmpty { line += "; personal data masked (--include-personal-data writes it)" }
            if !export.includedPersonalFields.isEmpty {
                line += "; HOLDS PERSONAL DATA (\(export.includedPersonalFields.joined(separator: ", "))): protect it and delete it when done"
            }
            return line
        }).joined(separator: "\n")
    }

    static func bytes(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.1f MB", Double(count) / 1e6)
            : count >= 1_000 ? String(format: "%.1f KB", Double(count) / 1e3) : "\(count) B"
    }
}

