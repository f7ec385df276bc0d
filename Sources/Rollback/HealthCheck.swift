import Foundation
import Mongo

/// The guide's database checks after an emergency rollback: the critical collections are there, and recent orders
/// were not deleted.
public enum HealthCheck {
    public struct Result: Sendable, Equatable {
        public var lines: [String]
        public var healthy: Bool
    }

    public static func run(_ database: MongoDatabase, now: Date = Date()) throws -> Result {
        var lines: [String] = []
        var healthy = true
        for name in ["users", "orders", "subscriptions_v2"] {
            let count = try database.collection(name).count()
            healthy = healthy && count > 0
            lines.append("\(count > 0 ? "OK" : "FAILED") \(name): \(count) documents")
        }
        let recent = try database.collection("orders").count(["created_at": ["$gte": .date(now.addingTimeInterval(-86_400))]])
        healthy = healthy && recent > 0
        lines.append("\(recent > 0 ? "OK" : "FAILED") orders created in the last 24 hours: \(recent) (should be more than 0)")
        return Result(lines: lines, healthy: healthy)
    }
}
