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
            // A catalog named by --checks must load (a mistyped path is an error, not "none found"); one found in the
            // default places may be broken, and the report says it is unreadable.
            let location = checks == nil ? try? CatalogLocation.find(flag: nil) : try CatalogLocation.find(flag: checks)
            let catalog = checks == nil ? try? location?.load() : try location?.load()
            let server = pool.settings.displayURI
            let report = try await pool.run { client in
                try Doctor.examine(client, database: database, server: server, catalog: location, loaded: catalog,
                                   ownCollections: [History.collection])
            }
            print(json ? try PlainJSON.render(report) : DoctorText.render(report))
            if !report.healthy { throw ExitStatus.findings.exitCode }
        }
    }
}
