import ArgumentParser
import Foundation
import Mongo
import Rollback

/// `rollgate reapply STEP`: restore what a rollback removed, from its backup.
struct ReapplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reapply",
        abstract: "Restore what a rollback of STEP removed, exactly, from its backup (the newest one unless --backup).",
        discussion: """
            A document changed since the rollback is a conflict and is left alone unless --overwrite. Re-apply steps \
            in ascending order (19, 20, …) after rolling back several. Exit 0 when everything was restored, 1 when \
            conflicts were left alone, 4 when there is no usable backup (missing, incomplete, or its checksum differs) \
            or another rollback or re-apply holds the lock.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The step to re-apply.")
    var step: Int

    @Option(help: ArgumentHelp("Backup collection to restore from (rollback_backup_<step>_<run>).", valueName: "name"))
    var backup: String?

    @Flag(help: "Restore documents changed since the rollback too.")
    var overwrite = false

    @Option(help: ArgumentHelp("Who re-applies, for the history.", valueName: "name"))
    var `operator`: String

    @Option(help: ArgumentHelp("Why, for the history.", valueName: "text"))
    var reason: String?

    @OptionGroup var lock: LockOptions

    func validate() throws {
        guard (1...999).contains(step) else { throw ValidationError("step \(step) is not a step number") }
        if let backup, !backup.hasPrefix("rollback_backup_\(step)_") {
            throw ValidationError("--backup '\(backup)' is not a backup of step \(step) (rollback_backup_\(step)_…)")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let pool = try connection.makePool(defaultOperationTimeout: ConnectionOptions.changingDataTimeout)
            try await pool.run { try $0.ping() }
            let run = History.Run(operator_: `operator`, reason: reason, mode: "reapply")
            let outcome: ReapplyOutcome
            do {
                outcome = try await Reapplier(pool: pool, database: connection.databaseName)
                    .run(step: step, backup: backup, overwrite: overwrite, run: run,
                         lockTTL: lock.ttl)
            } catch let refusal as ReapplyRefusal {
                Terminal.error("rollgate: \(refusal)")
                throw ExitStatus.refused.exitCode
            }
            print("Step \(step) re-applied from \(outcome.backup): \(grouped(outcome.restored)) documents restored, "
                + "\(grouped(outcome.unchanged)) already as they were, \(grouped(outcome.indexesRestored)) indexes, "
                + "\(grouped(outcome.conflicts)) conflicts" + String(format: " (%.1f s)", outcome.seconds))
            if outcome.conflicts > 0 {
                print("Conflicts (changed since the rollback, left alone; --overwrite restores them): "
                    + outcome.conflictSamples.joined(separator: ", ") + (outcome.conflicts > outcome.conflictSamples.count ? ", …" : ""))
                throw ExitStatus.findings.exitCode
            }
        }
    }
}
