import ArgumentParser
import Catalog
import Doctor
import Foundation
import Mongo
import Reports
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
            print(json ? try PlainJSON.render(report) : DoctorText.render(report))
            if !report.healthy { throw ExitStatus.findings.exitCode }
        }
    }
}
