import ArgumentParser
import Catalog
import Findings
import Foundation
import Mongo
import Reports
import Rollback

/// How long the rollback lock lives without renewal: `rollback`, `emergency` and `reapply` take it.
struct LockOptions: ParsableArguments {
    /// The shortest lifetime accepted: every batch of writes (1,000 documents) renews the lock and must end well
    /// inside one lifetime, or the run loses the lock and stops.
    static let minimumSeconds = 5.0

    @Option(name: .customLong("lock-ttl"), help: ArgumentHelp(
        "Seconds the rollback lock lives without renewal (at least 5: a batch of writes must fit well inside it); a crashed run blocks others this long.",
        valueName: "seconds"))
    var seconds: Double = 300

    @Flag(name: .customLong("no-transactions"), help: ArgumentHelp(
        "Write batches without transactions even where the server has them; each is fenced by the lock's renewal before it."))
    var noTransactions = false

    var ttl: Duration { .milliseconds(Int64(seconds * 1000)) }

    func validate() throws {
        guard seconds >= Self.minimumSeconds, seconds <= 86_400 else {
            throw ValidationError("--lock-ttl must be between 5 and 86400 seconds: a batch of writes (1,000 documents) renews the lock and must fit well inside its lifetime")
        }
    }
}

/// Options of the commands that change data: who, why, with which approvals.
struct ExecutionOptions: ParsableArguments {
    @Option(name: .customLong("approval"), help: ArgumentHelp(
        "Approval file (YAML) for the steps that need one" + CatalogHelp.approvals + ".", valueName: "file"))
    var approvalFile: String?

    @Flag(help: ArgumentHelp("Allow steps the guide advises against" + CatalogHelp.notRecommended
        + "; they still need an approval."))
    var force = false

    @Flag(name: .customLong("confirm-manual"), help: "Record the manual checklists of code-only steps as done by the operator.")
    var confirmManual = false

    @OptionGroup var lock: LockOptions

    @Option(name: .customLong("transaction-limit"), help: ArgumentHelp(
        "Largest step (documents) run in one transaction; larger ones run in rerun-safe batches.", valueName: "n"))
    var transactionLimit: Int = 10_000

    func validate() throws {
        guard transactionLimit >= 0 else { throw ValidationError("--transaction-limit must not be negative") }
    }

    /// The approvals, and the SHA-256 of the file they were read from (for the compliance evidence).
    func approvals() throws -> (approvals: [Approval], sha256: String?) {
        guard let approvalFile else { return ([], nil) }
        let (approvals, text) = try ApprovalFile.read(URL(fileURLWithPath: approvalFile))
        return (approvals, SealedEvidence.digest(of: Data(text.utf8)))
    }
}

/// `rollgate rollback`: roll steps back, safely; `--dry-run` plans only.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll back steps: approvals, lock, backup, operations, verification, history. --dry-run plans only.",
        discussion: """
            Steps run highest first\(CatalogHelp.rollbackOrder). Exit 0 when every step is rolled back (or already was), \
            1 when a step failed (the data is restorable from its backup: rollgate reapply STEP), 2 for invalid \
            input (steps, approval file, missing --operator), 3 when the server cannot be used, 4 when refused \
            (approval missing, expired or of the wrong role; lock held; a step not recommended\(CatalogHelp.notRecommended) without --force). A refusal \
            changes nothing.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var plan: PlanOptionsGroup
    @OptionGroup var execution: ExecutionOptions

    @Flag(name: .customLong("dry-run"), help: "Plan only: count, price and report, change nothing.")
    var dryRun = false

    func validate() throws {
        if !dryRun, plan.operator == nil { throw ValidationError("--operator is required for a rollback") }
    }

    func run() async throws {
        if dryRun { return try await runPlan(connection: connection, options: plan, command: "rollback --dry-run") }
        try await reportingFailures {
            let catalog = try loadCatalog(plan.checks)
            let steps = try StepSelection.parse(plan.steps, available: catalog.stepNumbers)
            let approvals = try execution.approvals()
            let request = RollbackRequest(
                steps: steps, operator_: plan.operatorName, reason: plan.reason, approvals: approvals.approvals,
                force: execution.force, confirmManual: execution.confirmManual,
                lockTTL: execution.lock.ttl, transactionLimit: execution.transactionLimit,
                useTransactions: !execution.lock.noTransactions, approvalFileSHA256: approvals.sha256)
            try await execute(request, catalog: catalog, connection: connection, reportDir: plan.reportDir, command: "rollback")
        }
    }
}

/// `rollgate emergency`: the guide's emergency procedure, the procedure file's emergency steps highest first,
/// continuing past failures.
struct EmergencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emergency",
        abstract: "Emergency rollback: the procedure file's emergency steps, highest first, continuing past failed steps, then health checks.",
        discussion: """
            The steps are those of emergency.steps in procedure.yaml. As the guide recommends, a step whose rollback \
            is not recommended is kept unless --include names it (which forces it; it then needs an approval). Code-only \
            steps are listed as manual tasks. Ends with a per-step summary and the procedure's health checks. Exit 0 \
            when every step and check passed, 1 otherwise.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var execution: ExecutionOptions

    @Option(help: ArgumentHelp("Who runs the emergency rollback.", valueName: "name"))
    var `operator`: String

    @Option(help: ArgumentHelp("Why, for the history.", valueName: "text"))
    var reason: String?

    @Option(help: checksHelp)
    var checks: String?

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where to write the reports.", valueName: "dir"))
    var reportDir: String = "reports"

    @Option(help: CatalogHelp.emergencyInclude)
    var include: String?

    func run() async throws {
        try await reportingFailures {
            let catalog = try loadCatalog(checks)
            let plan = try EmergencySelection(catalog: catalog, include: include)
            let approvals = try execution.approvals()
            let request = RollbackRequest(
                steps: plan.steps, operator_: `operator`, reason: reason ?? "emergency rollback", approvals: approvals.approvals,
                force: execution.force || !plan.included.isEmpty, confirmManual: execution.confirmManual,
                lockTTL: execution.lock.ttl, transactionLimit: execution.transactionLimit,
                mode: .emergency, useTransactions: !execution.lock.noTransactions, approvalFileSHA256: approvals.sha256)
            try await execute(request, catalog: catalog, connection: connection, reportDir: reportDir, command: "emergency")
        }
    }
}

/// Runs a rollback request, prints its summary, writes its reports, and ends with the right exit code.
func execute(_ request: RollbackRequest, catalog: Catalog, connection: ConnectionOptions, reportDir: String,
             command: String) async throws {
    let pool = try connection.makePool(defaultOperationTimeout: ConnectionOptions.changingDataTimeout)
    try await pool.run { try $0.ping() }
    let showProgress = Terminal.stderrIsTerminal
    let progress: @Sendable (String) -> Void = { line in if showProgress { Terminal.error(line) } }
    let run: RollbackRun
    do {
        run = try await RollbackRun.perform(request, catalog: catalog, pool: pool, database: connection.databaseName,
                                            command: command, toolVersion: RollGate.version,
                                            server: pool.settings.displayURI, progress: progress)
    } catch let refusal as RollbackRefusal {
        Terminal.error("rollgate: \(refusal)")
        throw ExitStatus.refused.exitCode
    } catch let interrupted as RollbackInterrupted {
        Terminal.failure("\(interrupted)")
        throw ExitStatus.environment.exitCode
    } catch let lost as LockLostDuringStep {
        Terminal.failure("\(lost)")
        throw ExitStatus.refused.exitCode
    }
    let directory = URL(fileURLWithPath: reportDir)
    let written = try ReportWriter.write(run.result, to: directory) + run.writeEvidence(to: directory)
    print(ExecutionText.render(run.summary))
    print("Reports: " + written.map(\.relativePath).joined(separator: ", "))
    if run.summary.failed {
        // One line per step that did not finish: the cause, and for a step that changed data, the reapply that
        // restores it.
        for step in run.summary.unfinished {
            Terminal.error("rollgate: error: step \(step.step) failed: \(step.message)")
        }
        throw ExitStatus.findings.exitCode
    }
}
