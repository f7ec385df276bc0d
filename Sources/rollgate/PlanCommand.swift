import ArgumentParser
import Catalog
import Findings
import Foundation
import Mongo
import Reports
import Rollback

/// Options shared by `plan` and `rollback --dry-run`.
struct PlanOptionsGroup: ParsableArguments {
    @Argument(help: ArgumentHelp("Steps: \(CatalogHelp.selectionInRollbackOrder).",
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
        let catalog = try loadCatalog(options.checks)
        let selected = try StepSelection.parse(options.steps, available: catalog.stepNumbers)
        let pool = try connection.makePool()
        try await pool.run { try $0.ping() }
        let history = options.noHistory ? nil
            : History.Run(operator_: options.operatorName, reason: options.reason, mode: .dryRun, startedAt: Date())
        let export = options.export.map { directory in
            ExportRequest(directory: directory, includePersonalData: options.includePersonalData) { url, header, ownerOnly in
                try ExportFileOnTerminal(url: url, header: header, ownerOnly: ownerOnly)
            }
        }
        let run = try await PlanRun.perform(steps: selected, catalog: catalog, pool: pool, database: connection.databaseName,
                                            command: command, toolVersion: RollGate.version,
                                            server: pool.settings.displayURI, history: history, export: export)
        let written = try ReportWriter.write(run.result, to: URL(fileURLWithPath: options.reportDir))
        print(PlanText.render(run.plan))
        if let exports = run.exports { print(PlanText.render(exports: exports)) }
        print("Reports: " + written.map(\.relativePath).joined(separator: ", "))
    }
}

/// An export file written through Reports' CSV writer, with a progress bar on stderr when it is a terminal.
final class ExportFileOnTerminal: ExportFile {
    private let csv: CSVWriter
    private let bar: ProgressBar

    init(url: URL, header: [String], ownerOnly: Bool) throws {
        csv = try CSVWriter(url: url, header: header, ownerOnly: ownerOnly)
        bar = ProgressBar(label: "exporting \(url.lastPathComponent)")
    }

    func write(_ row: [ExportCell]) throws { try csv.write(row) }
    func progress(done: Int, total: Int) { bar.update(done: done, total: total) }
    func finish() throws { try csv.finish() }

    deinit { bar.finish() }
}
