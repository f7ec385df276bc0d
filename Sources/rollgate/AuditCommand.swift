import ArgumentParser
import Audit
import Catalog
import Findings
import Foundation
import Mongo
import Reports

extension ExpectedState: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}

/// `rollgate audit`: the pre-deployment gate.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Probe the database against the step catalog and write JUnit, Markdown and JSON reports.",
        discussion: """
            Exit 0 when no finding is at or above --fail-on, 1 when one is, 2 for invalid input (arguments, \
            rule files), 3 when the server cannot be used.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: checksHelp)
    var checks: String?

    @Option(help: ArgumentHelp("Steps to audit: \(CatalogHelp.selection).", valueName: "steps"))
    var steps: String = "all"

    @Option(help: "State the steps should be in.")
    var expect: ExpectedState = .applied

    @Option(name: .customLong("api-url"), help: ArgumentHelp(
        "Base URL of the running API, for the HTTP checks\(CatalogHelp.steps { $0.probes.contains { $0.kind.typeName == "http" } }); "
            + "skipped without it.",
        valueName: "url"))
    var apiURL: String?

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where to write the reports.", valueName: "dir"))
    var reportDir: String = "reports"

    @Option(name: .customLong("fail-on"), help: "Lowest severity of a failed check that fails the gate.")
    var failOn: Severity = .error

    @Option(help: "Probes run at the same time (latency is always measured alone).")
    var concurrency: Int = 4

    @Option(name: .customLong("probe-timeout"), help: ArgumentHelp(
        "Seconds one probe query may run on the server before it becomes an error finding.", valueName: "seconds"))
    var probeTimeout: Double = 120

    func validate() throws {
        guard (1...64).contains(concurrency) else {
            throw ValidationError("--concurrency must be between 1 and 64, got \(concurrency)")
        }
        guard probeTimeout > 0, probeTimeout <= 3600 else {
            throw ValidationError("--probe-timeout must be between 0 and 3600 seconds, got \(probeTimeout)")
        }
        if let apiURL {
            guard let url = URL(string: apiURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--api-url '\(apiURL)' is not an http(s) URL")
            }
        }
        guard failOn != .info else { throw ValidationError("--fail-on must be warning, error or critical") }
    }

    func run() async throws {
        try await reportingFailures {
            let started = Date()
            let clock = ContinuousClock.now
            let catalog = try loadCatalog(checks)
            let selected = try StepSelection.parse(steps, available: catalog.stepNumbers)
            // The server is asked to stop a probe after --probe-timeout (maxTimeMS); the client waits --timeout longer,
            // so a server that ignores maxTimeMS, or stops answering, still cannot hold the audit.
            let pool = try connection.makePool(defaultOperationTimeout: (probeTimeout + connection.timeout,
                                                                        "--probe-timeout + --timeout"))
            try await pool.run { try $0.ping() }

            let options = AuditOptions(expectation: expect, apiURL: apiURL.flatMap(URL.init(string:)),
                                       concurrency: concurrency, probeTimeout: .milliseconds(Int64(probeTimeout * 1000)),
                                       now: started)
            let results = try await Auditor(catalog: catalog, pool: pool, database: connection.databaseName,
                                        options: options).run(steps: selected)
            let run = RunResult(command: "audit", toolVersion: RollGate.version, startedAt: started,
                                seconds: clock.secondsElapsed, server: pool.settings.displayURI,
                                database: connection.databaseName, expectation: expect.rawValue, failOn: failOn,
                                steps: results, rules: catalog.rules)
            let written = try ReportWriter.write(run, to: URL(fileURLWithPath: reportDir))
            print(StepLines.render(run))
            print("Reports: " + written.map(\.relativePath).joined(separator: ", "))
            if !run.passes { throw ExitStatus.findings.exitCode }
        }
    }
}
