import ArgumentParser
import Catalog
import Foundation
import Mongo
import Findings
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
            let pool = try connection.makePool()
            let database = connection.databaseName
            let (entries, recent, lock, backups) = try await pool.run { client in
                let db = client.database(database)
                return (try History.count(in: db), try History.entries(in: db, limit: 5), try RollbackLock.current(in: db),
                        try BackupStore.names(in: db))
            }
            let operations = catalog.steps.reduce(0) { $0 + $1.rollback.operations.count }
            print("total operations:         \(operations) (in \(catalog.steps.count) steps)")
            print("rollback history entries: \(entries)")
            print("available steps:          \(catalog.stepNumbers.map(String.init).joined(separator: ", "))")
            print("lock:                     " + (lock.map { "held by \($0.owner) until \($0.expires.formatted(.iso8601))" } ?? "free"))
            print("backups:                  \(backups.count)" + (backups.isEmpty ? "" : " (newest: \(backups.sorted().last!))"))
            let (chains, personal) = try await pool.run { client in
                let db = client.database(database)
                let chains = try catalog.steps.map { rule in
                    (rule.step, try BackupStore.chain(step: rule.step, in: db).map { "\($0.store.name) (\($0.manifest.state))" })
                }
                let personal = try catalog.steps.flatMap { rule in
                    try BackupStore.all(step: rule.step, in: db).compactMap { store, manifest -> String? in
                        let fields = manifest.personalDataFields(rule)
                        return fields.isEmpty ? nil : "\(store.name): \(fields.joined(separator: ", "))"
                    }
                }
                return (chains.filter { !$0.1.isEmpty }, personal)
            }
            print("backup chains (re-apply restores each whole):")
            if chains.isEmpty { print("  none") }
            for (step, chain) in chains {
                print("  step \(step): " + chain.joined(separator: " + "))
            }
            if !personal.isEmpty {
                print("backups holding personal data (protect them; rollgate backups purge --older-than DAYS removes them):")
                personal.forEach { print("  " + $0) }
            }
            print("recent rollbacks:")
            if recent.isEmpty { print("  none") }
            recent.forEach { print("  " + HistoryCommand.line($0)) }
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
            let pool = try connection.makePool()
            let (database, limit, step) = (connection.databaseName, limit, step)
            let entries = try await pool.run { try History.entries(in: $0.database(database), limit: limit, step: step) }
            if entries.isEmpty { print("no rollback history") }
            entries.forEach { print(Self.line($0)) }
        }
    }

    static func line(_ entry: BSONDocument) -> String {
        let time = entry["timestamp"]?.dateValue?.formatted(.iso8601) ?? "?"
        let affected: String = switch entry["records_affected"] {
        case .array(let operations)?:
            "\(operations.reduce(Int64(0)) { $0 + ($1.documentValue?["documents"]?.int64Value ?? 0) }) documents"
        case .document(let counts)?:
            counts.elements.map { "\($0.key) \($0.value.int64Value ?? 0)" }.joined(separator: ", ")
        default: ""
        }
        return "\(time)  step \(entry["step"]?.int64Value ?? 0)  \(entry["mode"]?.stringValue ?? "?")  "
            + "\(entry["status"]?.stringValue ?? "?")  by \(entry["operator"]?.stringValue ?? "?")  \(affected)"
            + (entry["backups"]?.arrayValue.map { "  backups " + $0.compactMap(\.stringValue).joined(separator: " + ") }
                ?? entry.value(at: "backup.collection")?.stringValue.map { "  backup \($0)" } ?? "")
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
            let pool = try connection.makePool()
            let database = connection.databaseName
            let rollback = rule.rollback.resolved(now: Date())
            let (counts, backups) = try await pool.run { client in
                (try rollback.operations.map { try PlannedOperation.counting($0, in: client.database(database)) },
                 try BackupStore.all(step: rule.step, in: client.database(database)).map { store, manifest in
                     let role = manifest.reappliedBy.map { "re-applied by run \($0)" } ?? (manifest.usable ? "in the chain" : "unused: nothing saved")
                     return "\(store.name)  \(manifest.state), \(role)"
                 })
            }
            print("Step \(rule.step): \(rule.title) (\(rule.kind.rawValue)"
                + (rule.approval.map { ", approval: \($0.rawValue)" } ?? "") + (rule.rollback.recommended ? "" : ", not recommended") + ")")
            print("operations:")
            if counts.isEmpty { print("  none in the database") }
            for operation in counts {
                let status = operation.documents == 0 ? "done" : "pending"
                print("  [\(status)] \(operation.collection): \(operation.description) (\(grouped(operation.documents)))")
            }
            if !backups.isEmpty {
                print("backups (oldest first; the chain is what a plain re-apply restores):")
                backups.forEach { print("  " + $0) }
            }
            if !rule.rollback.manual.isEmpty {
                print("manual checklist:")
                rule.rollback.manual.forEach { print("  - " + $0) }
            }
            if !rule.dependsOn.isEmpty { print("depends on: \(rule.dependsOn.map(String.init).joined(separator: ", "))") }
        }
    }
}
