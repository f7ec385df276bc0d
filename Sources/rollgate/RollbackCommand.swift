import ArgumentParser

/// `rollgate rollback`: for now the dry run only (`--dry-run`, the same as `rollgate plan`).
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll back steps. With --dry-run: the same as rollgate plan.",
        discussion: "Executing a rollback (lock, approvals, backups, verification) is not available in this version; "
            + "without --dry-run the command refuses with exit code 2 and changes nothing."
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var plan: PlanOptionsGroup

    @Flag(name: .customLong("dry-run"), help: "Plan only: count, price and report, change nothing.")
    var dryRun = false

    func validate() throws {
        guard dryRun else {
            throw ValidationError("executing a rollback is not available yet: add --dry-run (or use rollgate plan)")
        }
    }

    func run() async throws {
        try await runPlan(connection: connection, options: plan, command: "rollback --dry-run")
    }
}
