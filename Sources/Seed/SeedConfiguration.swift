import Foundation
import Mongo

/// Which of the rollout's database steps the generated data reflects.
public enum SeedState: String, CaseIterable, Sendable {
    /// Every step 19–30 applied: all fields, links and the eight indexes.
    case applied
    /// No step applied: old-style ids, no step fields, no indexes beyond `_id`.
    case none
    /// Everything applied, plus the documented defects, each planted a known number of times.
    case defects

    /// What the state means, for `rollgate seed`'s help.
    public var summary: String {
        switch self {
        case .applied: "steps 19–30 in place, eight indexes"
        case .none: "no step applied: old-style ids, no step fields, no indexes"
        case .defects: "applied plus the documented defects, each planted a known number of times and listed at the end"
        }
    }
}

/// What to generate.
public struct SeedConfiguration: Sendable {
    /// Number of orders; the other collections are sized in proportion.
    public var orders: Int
    /// Seed of the random generator: the same seed, size, state and day give the same data.
    public var seed: UInt64
    public var state: SeedState
    /// The day the data is generated "as of" (UTC midnight); dates fall in the six months before it.
    public var asOf: Date
    /// Documents per insert batch.
    public var batchSize: Int

    public init(orders: Int = 10_000, seed: UInt64 = 42, state: SeedState = .applied,
                asOf: Date = Date(), batchSize: Int = 1_000) {
        self.orders = orders
        self.seed = seed
        self.state = state
        self.asOf = SeedCalendar.startOfDay(asOf)
        self.batchSize = batchSize
    }

    /// Customers (and customer users): one per twenty orders, at least five.
    var customers: Int { max(5, orders / 20) }
    /// Delivery staff: one per thousand orders, at least two.
    var deliveryStaff: Int { max(2, orders / 1_000) }
    /// Administrators: one per ten thousand orders, at least one.
    var admins: Int { max(1, orders / 10_000) }
    /// How many times each kind of order-level defect is planted in `defects` state.
    public var defectsPerKind: Int { max(3, orders / 2_000) }
}

/// UTC calendar arithmetic on days.
enum SeedCalendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func startOfDay(_ date: Date) -> Date { utc.startOfDay(for: date) }

    static func startOfMonth(_ date: Date) -> Date {
        utc.date(from: utc.dateComponents([.year, .month], from: date))!
    }

    static func days(_ n: Int, from date: Date) -> Date { date.addingTimeInterval(Double(n) * 86_400) }

    static func hours(_ n: Double, from date: Date) -> Date { date.addingTimeInterval(n * 3_600) }

    static func months(_ n: Int, from date: Date) -> Date { utc.date(byAdding: .month, value: n, to: date)! }
}
