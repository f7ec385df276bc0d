import Foundation
import Mongo
@testable import Seed
import Testing

/// The generator alone, without a database.
@Suite struct GeneratorTests {
    static let asOf = ISO8601DateFormatter().date(from: "2026-11-29T00:00:00Z")!
    static var uuidV4: Regex<Substring> { /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ }

    /// Everything a configuration generates, by collection.
    static func generate(_ configuration: SeedConfiguration,
                         partyBatch: Int = 37) -> (data: [String: [BSONDocument]], defects: PlantedDefects) {
        var generator = EarlyBirdGenerator(configuration)
        var data: [String: [BSONDocument]] = [:]
        while let party = generator.nextPartyBatch(customers: partyBatch) {
            for (collection, documents) in party { data[collection, default: []] += documents }
        }
        while let batch = generator.nextBatch() {
            data[EarlyBirdSchema.orders, default: []] += batch.orders
            data[EarlyBirdSchema.deliveries, default: []] += batch.deliveries
            data[EarlyBirdSchema.billing, default: []] += batch.billing
        }
        return (data, generator.defects)
    }

    static func config(_ state: SeedState, orders: Int = 3_000, seed: UInt64 = 7) -> SeedConfiguration {
        SeedConfiguration(orders: orders, seed: seed, state: state, asOf: asOf, batchSize: 500)
    }

    @Test func sameSeedGivesTheSameDataAndAnotherSeedDoesNot() {
        let first = Self.generate(Self.config(.applied, orders: 500))
        let again = Self.generate(Self.config(.applied, orders: 500))
        let other = Self.generate(Self.config(.applied, orders: 500, seed: 8))
        #expect(first.data == again.data)
        #expect(first.data[EarlyBirdSchema.orders] != other.data[EarlyBirdSchema.orders])
    }

    @Test func batchSizeDoesNotChangeTheData() {
        var small = Self.config(.defects, orders: 700)
        small.batchSize = 33
        let reference = Self.generate(Self.config(.defects, orders: 700), partyBatch: 1_000).data
        #expect(Self.generate(small, partyBatch: 1).data == reference)
        #expect(Self.generate(small, partyBatch: 7).data == reference)
    }

    @Test func collectionsAreSizedInProportion() {
        let data = Self.generate(Self.config(.applied, orders: 4_000)).data
        #expect(data[EarlyBirdSchema.orders]?.count == 4_000)
        #expect(data[EarlyBirdSchema.customers]?.count == 200)
        #expect(data[EarlyBirdSchema.users]?.count == 200 + 4 + 1)
        let deliveries = data[EarlyBirdSchema.deliveries]!.count
        #expect((2_800...3_700).contains(deliveries), "\(deliveries) deliveries for 4,000 orders")
    }

    @Test func appliedStateCarriesEveryStepField() throws {
        let data = Self.generate(Self.config(.applied)).data
        let orders = data[EarlyBirdSchema.orders]!
        #expect(orders.allSatisfy { $0["subscription_id"] != nil && $0["billed"] != nil })
        let delivered = orders.filter { $0["status"] == "DELIVERED" }
        #expect(!delivered.isEmpty)
        #expect(delivered.allSatisfy { $0["delivered_at"] != nil && $0["delivery_confirmed"] == true })
        let oneTime = orders.filter { $0["subscription_id"] == .null }
        #expect(oneTime.count > orders.count / 4)

        let auditFields = ["order_id", "confirmed_by_user_id", "confirmed_by_name", "confirmed_at",
                           "confirmation_method", "ip_address", "device_info", "items"]
        #expect(data[EarlyBirdSchema.deliveries]!.allSatisfy { delivery in auditFields.allSatisfy { delivery[$0] != nil } })
        #expect(data[EarlyBirdSchema.users]!.filter { $0["role"] == "customer" }.allSatisfy { $0["customer_v2_id"] != nil })
        #expect(data[EarlyBirdSchema.customers]!.allSatisfy { $0["user_id"] != nil })

        for (collection, documents) in data {
            for document in documents {
                let id = try #require(document["id"]?.stringValue, "\(collection)")
                #expect(id.wholeMatch(of: Self.uuidV4) != nil, "\(collection) id \(id)")
            }
        }
    }

    @Test func oneTimeOrdersAverageAboutTheGuidesFigure() {
        let orders = Self.generate(Self.config(.applied, orders: 10_000)).data[EarlyBirdSchema.orders]!
        let amounts = orders.filter { $0["subscription_id"] == .null }.compactMap { $0["total_amount"]?.doubleValue }
        let average = amounts.reduce(0, +) / Double(amounts.count)
        #expect((110...150).contains(average), "average one-time order ₹\(average)")
        let withoutAmount = orders.filter { $0["total_amount"] == nil }.count
        #expect(withoutAmount > 0, "some legacy orders carry no amount")
    }

    @Test func noneStateHasNoStepFieldsAndOldStyleIds() {
        let data = Self.generate(Self.config(.none)).data
        let stepFields: [String: [String]] = [
            EarlyBirdSchema.orders: ["subscription_id", "delivered_at", "delivery_confirmed", "billed"],
            EarlyBirdSchema.deliveries: ["order_id", "confirmed_by_user_id", "confirmed_by_name", "confirmed_at",
                                         "confirmation_method", "ip_address", "device_info", "items"],
            EarlyBirdSchema.users: ["customer_v2_id"], EarlyBirdSchema.customers: ["user_id"],
            EarlyBirdSchema.billing: ["order_id"],
        ]
        for (collection, fields) in stepFields {
            #expect(data[collection]!.allSatisfy { doc in fields.allSatisfy { doc[$0] == nil } }, "\(collection)")
        }
        #expect(!data[EarlyBirdSchema.orders]!.contains { $0["status"] == "DELIVERED" })
        #expect(data[EarlyBirdSchema.orders]!.allSatisfy { $0["id"]?.stringValue?.hasPrefix("order-") == true })
    }

    @Test func defectsArePlantedExactlyAsReported() throws {
        let configuration = Self.config(.defects, orders: 12_000)
        let (data, defects) = Self.generate(configuration)
        let k = configuration.defectsPerKind
        #expect(k == 6)
        #expect(defects.oldStyleOrderIds == k && defects.futureDeliveries == k && defects.deliveriesOutsideWindow == k
                && defects.cancelledButDelivered == k && defects.oneTimeMissingSubscriptionId == k)
        #expect(defects.missingIndexes == ["billing_records.period_date_-1"])

        // Recount every defect from the data itself, the way an auditor would.
        let orders = data[EarlyBirdSchema.orders]!
        let deliveries = data[EarlyBirdSchema.deliveries]!
        let ordersById = Dictionary(uniqueKeysWithValues: orders.map { ($0["id"]!.stringValue!, $0) })
        let tomorrow = Self.asOf.addingTimeInterval(86_400)

        #expect(orders.filter { $0["id"]!.stringValue!.wholeMatch(of: Self.uuidV4) == nil }.count == k)
        #expect(deliveries.filter { $0["delivery_date"]!.dateValue! >= tomorrow }.count == k)
        let outside = deliveries.filter { delivery in
            let order = ordersById[delivery["order_id"]!.stringValue!]!
            return abs(delivery["delivery_date"]!.dateValue!.timeIntervalSince(order["delivery_date"]!.dateValue!)) > 86_400
        }
        #expect(outside.count == k)
        #expect(deliveries.filter { ordersById[$0["order_id"]!.stringValue!]!["status"] == "CANCELLED" }.count == k)
        #expect(orders.filter { $0["subscription_id"] == nil }.count == k)
        #expect(orders.filter { $0["subscription_id"] == nil }.allSatisfy { $0["status"] == "DELIVERED" })
    }

    @Test func uuidsAreVersion4() {
        var random = SeededRandom(seed: 1)
        for _ in 0..<1_000 { #expect(random.uuidV4().wholeMatch(of: Self.uuidV4) != nil) }
    }
}
