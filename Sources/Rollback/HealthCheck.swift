import Catalog
import Foundation
import Mongo

/// The guide's database checks after an emergency rollback, as the procedure file lists them (`health_checks`): for
/// example, that the critical collections are there and recent orders were not deleted.
public enum HealthCheck {
    public struct Result: Sendable, Equatable {
        public var lines: [String]
        public var healthy: Bool
    }

    public static func run(_ checks: [Procedure.HealthCheckRule], in database: MongoDatabase, now: Date = Date()) throws -> Result {
        var lines: [String] = []
        var healthy = true
        for check in checks {
            let count = try database.collection(check.collection).count(Placeholder.resolve(check.filter, now: now))
            let passed = count >= check.atLeast
            healthy = healthy && passed
            let expected = check.atLeast == 1 ? "more than 0" : "at least \(check.atLeast)"
            lines.append("\(passed ? "OK" : "FAILED") " + (check.title.map { "\($0): \(count) (should be \(expected))" }
                ?? "\(check.collection): \(count) documents" + (check.atLeast == 1 ? "" : " (should be \(expected))")))
        }
        return Result(lines: lines, healthy: healthy)
    }
}
