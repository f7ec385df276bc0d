import Mongo

/// The EarlyBird collections and step 30's indexes, with the exact names the operations guide uses.
public enum EarlyBirdSchema {
    /// The product whose data this is.
    public static let product = "EarlyBird"

    public static let users = "users"
    public static let customers = "customers_v2"
    public static let subscriptions = "subscriptions_v2"
    public static let orders = "orders"
    public static let deliveries = "delivery_statuses"
    public static let billing = "billing_records"
    /// Rollback history and lock; never touched by the seeder.
    public static let admin = "admin"

    /// The data collections, in the order the seeder fills them.
    public static let dataCollections = [users, customers, subscriptions, orders, deliveries, billing]

    /// Step 30's eight indexes, by collection.
    public static let step30Indexes: [(collection: String, index: IndexModel)] = [
        (orders, IndexModel(keys: ["user_id": 1], name: "user_id_1")),
        (orders, IndexModel(keys: ["customer_id": 1], name: "customer_id_1")),
        (orders, IndexModel(keys: ["delivery_date": -1], name: "delivery_date_-1")),
        (subscriptions, IndexModel(keys: ["customer_id": 1], name: "customer_id_1")),
        (subscriptions, IndexModel(keys: ["status": 1], name: "status_1")),
        (deliveries, IndexModel(keys: ["customer_id": 1, "delivery_date": -1], name: "customer_id_1_delivery_date_-1")),
        (billing, IndexModel(keys: ["customer_id": 1], name: "customer_id_1")),
        (billing, IndexModel(keys: ["period_date": -1], name: "period_date_-1")),
    ]

    /// The index the `defects` state leaves out.
    public static let defectMissingIndex = (collection: billing, name: "period_date_-1")
}

/// The defects planted by `--state defects`, with how many of each, so that tests and audits can check exact figures.
public struct PlantedDefects: Sendable, Equatable, Codable {
    /// Orders whose `id` is an old custom pattern (`order-000042`) instead of a UUID v4 (step 29).
    public var oldStyleOrderIds = 0
    /// Deliveries dated after today (step 27).
    public var futureDeliveries = 0
    /// Deliveries dated more than one day away from their order's delivery date (step 27).
    public var deliveriesOutsideWindow = 0
    /// Deliveries recorded for cancelled orders (step 27).
    public var cancelledButDelivered = 0
    /// Delivered one-time orders whose `subscription_id` is missing rather than null (steps 19 and 23).
    public var oneTimeMissingSubscriptionId = 0
    /// Step 30 indexes left out, as `collection.name`.
    public var missingIndexes: [String] = []

    public init() {}

    /// One line per defect, for people.
    public var lines: [String] {
        [
            "orders with old-style ids (not UUID v4): \(oldStyleOrderIds)",
            "deliveries dated in the future: \(futureDeliveries)",
            "deliveries outside ±1 day of their order's date: \(deliveriesOutsideWindow)",
            "deliveries of cancelled orders: \(cancelledButDelivered)",
            "delivered one-time orders with subscription_id missing (not null): \(oneTimeMissingSubscriptionId)",
            "missing step 30 indexes: \(missingIndexes.isEmpty ? "none" : missingIndexes.joined(separator: ", "))",
        ]
    }
}
