import ArgumentParser
import Foundation
import Reports
import Rollback

/// `rollgate reapply STEP`: restore what a rollback removed, from its backup.
struct ReapplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reapply",
        abstract: "Restore what a rollback of STEP removed, exactly, from its backup chain (or one backup with --backup).",
        discussion: """
            The chain is every backup of the step taken since its last completed re-apply (a rerun after a failure, \
            a crash or a lost lock adds one); the oldest pre-image of a document wins. A document changed since the \
            rollback is a conflict and is left alone unless --overwrite. A second re-apply changes nothing. Re-apply \
            steps in ascending order\(CatalogHelp.ascendingOrder) after rolling back several. Exit 0 when everything was restored (or \
            already had been), 1 when conflicts were left alone, 4 when there is no usable backup (missing, or its \
            checksum differs), another rollback or re-apply holds the lock, or this one lost it.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The step to re-apply.")
    var step: Int

    @Option(help: ArgumentHelp("Backup collection to restore from (\(BackupStore.prefix)<step>_<run>).", valueName: "name"))
    var backup: String?

    @Flag(help: "Restore documents changed since the rollback too.")
    var overwrite = false

    @Option(help: ArgumentHelp("Who re-applies, for the history.", valueName: "name"))
    var `operator`: String

    @Option(help: ArgumentHelp("Why, for the history.", valueName: "text"))
    var reason: String?

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where to write the list of every conflict.", valueName: "dir"))
    var reportDir: String = "reports"

    @OptionGroup var lock: LockOptions

    func validate() throws {
        guard (1...999).contains(step) else { throw ValidationError("step \(step) is not a step number") }
        if let backup, !backup.hasPrefix(BackupStore.prefix(step: step)) {
            throw ValidationError("--backup '\(backup)' is not a backup of step \(step) (\(BackupStore.prefix(step: step))…)")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let pool = try connection.makePool(defaultOperationTimeout: ConnectionOptions.changingDataTimeout)
            try await pool.run { try $0.ping() }
            let run = History.Run(operator_: `operator`, reason: reason, mode: .reapply)
            let outcome: ReapplyOutcome
            do {
                outcome = try await Reapplier(pool: pool, database: connection.databaseName)
                    .run(step: step, backup: backup, overwrite: overwrite, run: run,
                         lockTTL: lock.ttl, useTransactions: !lock.noTransactions)
            } catch let refusal as ReapplyRefusal {
                Terminal.error("rollgate: \(refusal)")
                throw ExitStatus.refused.exitCode
            } catch let lost as RollbackLock.Lost {
                Terminal.failure("\(lost); the re-apply of step \(step) stopped before its next write: run it again once the lock is free")
                throw ExitStatus.refused.exitCode
            }
            print(ReapplyText.render(outcome.summary))
            if outcome.alreadyReappliedBy == nil, outcome.conflicts > 0 {
                do {
                    let list = try outcome.writeConflicts(to: URL(fileURLWithPath: reportDir), runId: run.id)
                    print(ReapplyText.conflictList(outcome.conflicts, file: list.path))
                } catch {
                    Terminal.error("rollgate: --report-dir \(reportDir): cannot write the conflict list: \(error.localizedDescription)")
                }
                throw ExitStatus.findings.exitCode
            }
        }
    }
}
