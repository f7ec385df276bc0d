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
            + "and every record that would lose its audit data\(CatalogHelp.exportingSteps).", valueName: "dir"))
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
