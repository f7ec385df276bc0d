import ArgumentParser
import Findings
import Foundation
import Mongo
import Reports
import Rollback

/// `rollgate evidence`: the compliance evidence files a rollback writes (`evidence-STEP-RUN.json`).
struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Check the compliance evidence files rollbacks write.",
        subcommands: [EvidenceVerifyCommand.self])
}

/// `rollgate evidence verify FILE`: the file's seal, its history entry and its backup, checked against the database.
struct EvidenceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an evidence file against the database: its seal, its history entry, its backup's checksum.",
        discussion: """
            The database is the one the evidence names, on the server of --uri. Exit 0 when every check passes, \
            1 when one fails (the file was changed, the history does not record it, the backup is gone or altered), \
            2 when the file cannot be read, 3 when the server cannot be used.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("The evidence file (evidence-STEP-RUN.json).", valueName: "file"))
    var file: String

    func run() async throws {
        let sealed: SealedEvidence
        do {
            sealed = try SealedEvidence.open(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
        } catch let unreadable as SealedEvidence.Unreadable {
            Terminal.error("rollgate: error: \(unreadable)")
            throw ExitStatus.invalidInput.exitCode
        } catch {
            Terminal.error("rollgate: error: \(file): cannot read: \(error.localizedDescription)")
            throw ExitStatus.invalidInput.exitCode
        }
        try await reportingFailures {
            let pool = try connection.makePool()
            let database = sealed.evidence.database
            let verification = try await pool.run { try EvidenceVerifier.verification(sealed, in: $0.database(database)) }
            print(EvidenceText.render(verification))
            if !verification.verified {
                Terminal.error("rollgate: error: " + EvidenceText.failure(verification, file: file))
                throw ExitStatus.findings.exitCode
            }
        }
    }
}

/// `rollgate backups`: the rollback backups kept in the database.
struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups", abstract: "Manage rollback backups (they may hold personal data).",
        subcommands: [BackupsPurgeCommand.self])
}

/// `rollgate backups purge --older-than DAYS`: drops old backups, keeping those a rollback still needs.
struct BackupsPurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Drop rollback backups older than DAYS that a history entry names, under the rollback lock.",
        discussion: """
            A backup that a rollback not yet re-applied still needs (it is in its step's chain) is refused unless \
            --force: without it, that rollback cannot be undone. Each purge is recorded in the history. Exit 0 when \
            every old backup was purged (or there was none), 4 when one was refused or the lock is held.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Age in days (0: every backup).", valueName: "days"))
    var olderThan: Int

    @Flag(help: "Purge backups a rollback not yet re-applied still needs.")
    var force = false

    @Flag(name: .customLong("dry-run"), help: "Say what would be purged; change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Who purges, for the history.", valueName: "name"))
    var `operator`: String

    @Option(help: ArgumentHelp("Why, for the history.", valueName: "text"))
    var reason: String?

    func validate() throws {
        guard (0...36_500).contains(olderThan) else { throw ValidationError("--older-than must be between 0 and 36500 days") }
    }

    func run() async throws {
        try await reportingFailures {
            let pool = try connection.makePool(defaultOperationTimeout: ConnectionOptions.changingDataTimeout)
            let cutoff = Date().addingTimeInterval(-Double(olderThan) * 86_400)
            let decisions: [PurgeDecision]
            do {
                decisions = try await BackupPurge(pool: pool, database: connection.databaseName).run(
                    before: cutoff, force: force, dryRun: dryRun,
                    run: History.Run(operator_: `operator`, reason: reason, mode: .purge))
            } catch let held as RollbackLock.Held {
                Terminal.error("rollgate: refused: a rollback or re-apply holds the lock: \(held.holder)")
                throw ExitStatus.refused.exitCode
            }
            print(PurgeText.render(decisions, olderThanDays: olderThan))
            if decisions.contains(where: { if case .refused = $0.action { true } else { false } }) {
                throw ExitStatus.refused.exitCode
            }
        }
    }
}
