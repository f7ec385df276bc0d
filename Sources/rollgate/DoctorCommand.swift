import ArgumentParser
import Catalog
import Doctor
import Foundation
import Mongo
import Rollback

/// `rollgate doctor`: can RollGate work against this server?
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the server: version, the features RollGate relies on, and the collections of the procedure file.",
        discussion: """
            Feature checks run for real in scratch collections (rollgate_doctor_*) that are dropped afterwards. \
            Exit 0 when all is well, 1 when a feature is missing, 2 for a malformed connection string, \
            3 when the server cannot be reached.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: checksHelp)
    var checks: String?

    func run() async throws {
        try await reportingFailures {
            let pool = try connection.makePool()
            let database = connection.databaseName
            let location = try? CatalogLocation.find(flag: checks)
            // The collections come from the catalog's procedure file; without a readable catalog, only RollGate's own.
            let collections = ((try? location?.load())?.procedure.collections ?? []) + [History.collection]
            var report = try await pool.run { client in try Doctor.examine(client, database: database, collections: collections) }
            report.server = pool.settings.displayURI
            if let location {
                report.catalog = "\(location.directory.relativePath) (\(location.origin.rawValue))"
                report.catalogSHA256 = Catalog.fingerprint(directory: location.directory)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(Self.text(report))
            }
            if !report.healthy { throw ExitStatus.findings.exitCode }
        }
    }

    static func text(_ report: DoctorReport) -> String {
        var lines = ["RollGate doctor", "  server    \(report.server)", "  version   \(report.version)",
                     "  topology  \(report.topology)",
                     "  catalog   " + (report.catalog.map { "\($0), sha256 \(report.catalogSHA256 ?? "unreadable")" }
                         ?? "none found (pass --checks DIR or set $ROLLGATE_CHECKS)"),
                     "", "Features RollGate relies on:"]
        for feature in report.features {
            lines.append("  \(feature.available ? "ok  " : "FAIL") \(feature.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(feature.detail)")
        }
        lines += ["", "Database '\(report.database)':"]
        for facts in report.collections {
            let count = facts.exists ? "\(Terminal.count(facts.documents).leftPadded(to: 12)) documents, \(facts.indexes) indexes"
                : "         (absent)"
            lines.append("  \(facts.name.padding(toLength: 20, withPad: " ", startingAt: 0))\(count)")
        }
        lines += ["", report.healthy ? "All good." : "Some features RollGate relies on are missing."]
        return lines.joined(separator: "\n")
    }
}
