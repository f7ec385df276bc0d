import ArgumentParser
import Catalog
import Foundation
import Reports
import Rollback

/// `rollgate status`: the rollback records at a glance, as the guide's `get_status()` shows them.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Total operations, history entries, recent rollbacks, available steps, the lock and the backups.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: checksHelp)
    var checks: String?

    func run() async throws {
        try await reportingFailures {
            let catalog = try loadCatalog(checks)
            let status = try await Inspection.status(catalog: catalog, pool: try connection.makePool(),
                                                     database: connection.databaseName)
            print(StatusText.render(status))
        }
    }
}

/// `rollgate history`: the newest history entries.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "The newest rollback history entries (dry runs, rollbacks, re-applies).")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "How many entries.")
    var limit: Int = 10

    @Option(help: "Only this step.")
    var step: Int?

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() async throws {
        try await reportingFailures {
            print(HistoryText.render(try await Inspection.history(pool: try connection.makePool(),
                                                                  database: connection.databaseName, limit: limit, step: step)))
        }
    }
}

/// `rollgate details STEP`: the step's operations and whether each still has work to do.
struct DetailsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "details", abstract: "A step's rollback operations with their status, backups and checklist.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The step.")
    var step: Int

    @Option(help: checksHelp)
    var checks: String?

    func run() async throws {
        try await reportingFailures {
            let catalog = try loadCatalog(checks)
            guard let rule = catalog.step(step) else {
                _ = try StepSelection.parse(String(step), available: catalog.stepNumbers)
                return
            }
            let details = try await Inspection.details(rule, pool: try connection.makePool(),
                                                       database: connection.databaseName, now: Date())
            print(DetailsText.render(details))
        }
    }
}
