import ArgumentParser
import Foundation
import Mongo
import Reports
import Seed

extension SeedState: ExpressibleByArgument {}

/// `rollgate seed`: fills a database with deterministic EarlyBird data.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Generate the \(EarlyBirdSchema.product) collections: deterministic, sized by --orders, in a chosen state.",
        discussion: "States: " + SeedState.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: ", ") + "."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Number of orders; the other collections are sized in proportion.")
    var orders: Int = 10_000

    @Option(help: "Random seed: the same seed, size, state and --as-of day give the same data.")
    var seed: UInt64 = 42

    @Option(help: "Which steps the data reflects.")
    var state: SeedState = .applied

    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "The day the data is generated as of (YYYY-MM-DD, UTC). Default: today.", valueName: "date"))
    var asOf: String?

    @Option(name: .customLong("batch-size"), help: "Documents per insert.")
    var batchSize: Int = 1_000

    @Flag(help: "Drop the \(EarlyBirdSchema.product) collections first (never the admin collection with the rollback history).")
    var drop = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard (1...50_000_000).contains(orders) else {
            throw ValidationError("--orders must be between 1 and 50,000,000, got \(orders)")
        }
        guard (1...100_000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 100,000, got \(batchSize)")
        }
        if let asOf, Self.parseDay(asOf) == nil {
            throw ValidationError("--as-of '\(asOf)' is not a date of the form YYYY-MM-DD")
        }
    }

    static func parseDay(_ text: String) -> Date? {
        guard text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        return formatter.date(from: text)
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = SeedConfiguration(
                orders: orders, seed: seed, state: state, asOf: asOf.flatMap(Self.parseDay) ?? Date(),
                batchSize: batchSize)
            let pool = try connection.makePool()
            let database = connection.databaseName
            let drop = drop
            let summary = try await pool.run { client in
                let bar = ProgressBar(label: "seeding \(configuration.state.rawValue)")
                defer { bar.finish() }
                return try Seeder(configuration).run(on: client.database(database), drop: drop) {
                    bar.update(done: $0, total: $1)
                }
            }
            print(json ? try PlainJSON.render(summary) : SeedText.render(summary.report))
        }
    }
}
