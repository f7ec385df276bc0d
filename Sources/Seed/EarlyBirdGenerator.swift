import Foundation
import Mongo

/// Orders with the deliveries and billing records that belong to them.
public struct OrderBatch: Sendable {
    public var orders: [BSONDocument] = []
    public var deliveries: [BSONDocument] = []
    public var billing: [BSONDocument] = []
}

/// Generates the EarlyBird data deterministically. People and subscriptions come in batches from `nextPartyBatch`,
/// then orders in batches from `nextBatch()`, so memory stays flat at any size.
public struct EarlyBirdGenerator {
    public let configuration: SeedConfiguration
    /// The defects planted so far (complete once every batch has been drawn).
    public private(set) var defects = PlantedDefects()

    private var random: SeededRandom
    private let products: [Product]
    private var customers: [Customer] = []
    private var staff: [Person] = []
    private var admins: [Person] = []
    private let defectByOrder: [Int: DefectKind]
    private var nextOrder = 0
    private var deliveryCount = 0
    private var billingCount = 0
    private var subscriptionCount = 0
    private var nextCustomer = 1
    private var staffDrawn = false

    private var stepsApplied: Bool { configuration.state != .none }
    private var asOf: Date { configuration.asOf }

    public init(_ configuration: SeedConfiguration) {
        self.configuration = configuration
        random = SeededRandom(seed: configuration.seed)
        products = Product.catalog(oldStyleIds: configuration.state == .none)
        defectByOrder = configuration.state == .defects ? Self.chooseDefects(configuration) : [:]
        if configuration.state == .defects {
            defects.missingIndexes = ["\(EarlyBirdSchema.defectMissingIndex.collection).\(EarlyBirdSchema.defectMissingIndex.name)"]
        }
    }

    // MARK: People, customers, subscriptions

    /// The next users, customers, subscriptions and monthly subscription billing records, for up to `count`
    /// customers, by collection; after the last customer, the delivery staff and admins; then nil. Draw them all
    /// before the orders, which belong to these customers. In batches, so that memory stays flat at any size.
    public mutating func nextPartyBatch(customers count: Int) -> [(collection: String, documents: [BSONDocument])]? {
        guard nextCustomer <= configuration.customers else {
            guard !staffDrawn else { return nil }
            staffDrawn = true
            return [(EarlyBirdSchema.users, staffUsers())]
        }
        var users: [BSONDocument] = []
        var customerDocs: [BSONDocument] = []
        var subscriptionDocs: [BSONDocument] = []
        var billingDocs: [BSONDocument] = []
        let last = min(configuration.customers, nextCustomer + max(count, 1) - 1)
        for n in nextCustomer...last {
            let name = randomName()
            let customer = Customer(id: newId("cust", n), userId: newId("user", n), name: name,
                                    subscriptions: makeSubscriptions())
            customers.append(customer)
            let created = SeedCalendar.days(-random.int(181...400), from: asOf)

            var user: BSONDocument = [
                "id": .string(customer.userId), "email": .string(email(for: name, n)), "name": .string(name),
                "role": "customer", "created_at": .date(created),
            ]
            if stepsApplied { user["customer_v2_id"] = .string(customer.id) }
            users.append(user)

            var doc: BSONDocument = [
                "id": .string(customer.id), "name": .string(name), "phone": .string(phone()),
                "address": .string(address()), "created_at": .date(created),
            ]
            if stepsApplied { doc["user_id"] = .string(customer.userId) }
            customerDocs.append(doc)

            for subscription in customer.subscriptions {
                subscriptionDocs.append([
                    "id": .string(subscription.id), "customer_id": .string(customer.id),
                    "product_id": .string(products[subscription.product].id),
                    "quantity": .int32(Int32(subscription.quantity)),
                    "price": .double(products[subscription.product].price),
                    "status": .string(subscription.status),
                ])
                billingDocs += subscriptionBilling(subscription, customer: customer)
            }
        }
        nextCustomer = last + 1
        return [
            (EarlyBirdSchema.users, users), (EarlyBirdSchema.customers, customerDocs),
            (EarlyBirdSchema.subscriptions, subscriptionDocs), (EarlyBirdSchema.billing, billingDocs),
        ]
    }

    /// The delivery staff and admins, numbered after the customers.
    private mutating func staffUsers() -> [BSONDocument] {
        var users: [BSONDocument] = []
        var userNumber = configuration.customers
        for (role, count) in [("delivery_boy", configuration.deliveryStaff), ("admin", configuration.admins)] {
            for _ in 0..<count {
                userNumber += 1
                let person = Person(id: newId("user", userNumber), name: randomName())
                if role == "admin" { admins.append(person) } else { staff.append(person) }
                users.append([
                    "id": .string(person.id), "email": .string(email(for: person.name, userNumber)),
                    "name": .string(person.name), "role": .string(role),
                    "created_at": .date(SeedCalendar.days(-random.int(181...400), from: asOf)),
                ])
            }
        }
        return users
    }

    private mutating func makeSubscriptions() -> [Subscription] {
        guard random.chance(0.6) else { return [] }
        return (0..<random.int(1...2)).map { _ in
            let roll = Double.random(in: 0..<1, using: &random)
            let status = roll < 0.75 ? "active" : roll < 0.9 ? "paused" : "cancelled"
            subscriptionCount += 1
            return Subscription(id: newId("sub", subscriptionCount),
                                product: random.int(0...3), quantity: random.int(1...2), status: status)
        }
    }

    private mutating func subscriptionBilling(_ subscription: Subscription, customer: Customer) -> [BSONDocument] {
        guard subscription.status != "cancelled" else { return [] }
        let monthly = products[subscription.product].price * Double(subscription.quantity) * 30
            * (subscription.status == "paused" ? 0.5 : 1)
        return (0..<6).map { back in
            billingCount += 1
            return [
                "id": .string(newId("bill", billingCount)), "customer_id": .string(customer.id),
                "period_date": .date(SeedCalendar.months(-back, from: SeedCalendar.startOfMonth(asOf))),
                "amount": .double(monthly),
            ]
        }
    }

    // MARK: Orders, deliveries, billing

    /// The next `batchSize` orders with their deliveries and billing records; nil once every order is out.
    /// Draw every `nextPartyBatch` first: orders belong to its customers.
    public mutating func nextBatch() -> OrderBatch? {
        precondition(!customers.isEmpty, "nextPartyBatch(customers:) must be drawn before orders")
        guard nextOrder < configuration.orders else { return nil }
        var batch = OrderBatch()
        let end = min(configuration.orders, nextOrder + configuration.batchSize)
        while nextOrder < end {
            appendOrder(number: nextOrder, to: &batch)
            nextOrder += 1
        }
        return batch
    }

    private mutating func appendOrder(number: Int, to batch: inout OrderBatch) {
        let defect = defectByOrder[number]
        let customer = random.pick(customers)
        let active = customer.subscriptions.filter { $0.status == "active" }
        var subscription = !active.isEmpty && random.chance(0.6) ? random.pick(active) : nil

        // Day relative to `asOf` and the status the order really reached.
        var day: Int
        var status: String
        if random.chance(0.03) {
            day = random.int(0...3); status = "PENDING"
        } else {
            day = -random.int(1...180)
            let roll = Double.random(in: 0..<1, using: &random)
            status = roll < 0.88 ? "DELIVERED" : roll < 0.96 ? "CANCELLED" : "PENDING"
        }
        var deliveryShift = 0
        switch defect {
        case .oldStyleId: day = random.int(0...3); status = "PENDING"
        case .futureDelivery: day = random.int(2...5); status = "DELIVERED"
        case .outsideWindow: day = -random.int(10...180); status = "DELIVERED"; deliveryShift = -random.int(2...5)
        case .cancelledButDelivered: day = -random.int(1...180); status = "CANCELLED"
        case .oneTimeMissingSubscription: day = -random.int(1...180); status = "DELIVERED"; subscription = nil
        case nil: break
        }

        let deliveryDate = SeedCalendar.days(day, from: asOf)
        let items: [(product: Int, quantity: Int)] = if let subscription {
            [(subscription.product, subscription.quantity)]
        } else {
            (0..<(random.chance(0.5) ? 1 : 2)).map { _ in
                (random.int(0...products.count - 1), random.chance(0.8) ? 1 : 2)
            }
        }
        let total = items.reduce(0.0) { $0 + products[$1.product].price * Double($1.quantity) }
        let orderId = defect == .oldStyleId ? String(format: "order-%06d", number + 1) : newId("order", number + 1)

        var order: BSONDocument = [
            "id": .string(orderId), "user_id": .string(customer.userId), "customer_id": .string(customer.id),
            "items": .array(items.map { item in
                ["product_id": .string(products[item.product].id), "quantity": .int32(Int32(item.quantity)),
                 "price": .double(products[item.product].price)]
            }),
        ]
        // A few legacy orders carry no amount; finance prices them at the guide's ₹130 average.
        let hasAmount = !random.chance(0.01)
        if hasAmount { order["total_amount"] = .double(total) }
        // Before step 22 nothing moved an order to DELIVERED.
        order["status"] = .string(stepsApplied || status != "DELIVERED" ? status : "PENDING")
        order["delivery_date"] = .date(deliveryDate)
        order["created_at"] = .date(SeedCalendar.hours(-Double(random.int(12...36)), from: deliveryDate))
        let deliveredAt = SeedCalendar.hours(6 + Double(random.int(0...180)) / 60, from: deliveryDate)
        if stepsApplied {
            if defect != .oneTimeMissingSubscription {
                order["subscription_id"] = subscription.map { .string($0.id) } ?? .null
            }
            if status == "DELIVERED" {
                order["delivered_at"] = .date(deliveredAt)
                order["delivery_confirmed"] = true
            }
            order["billed"] = .bool(status == "DELIVERED")
        }
        batch.orders.append(order)

        if status == "DELIVERED" || defect == .cancelledButDelivered {
            batch.deliveries.append(delivery(orderId: orderId, customer: customer, items: items,
                                             date: SeedCalendar.days(deliveryShift, from: deliveryDate),
                                             confirmedAt: deliveredAt))
        }
        if stepsApplied, status == "DELIVERED", subscription == nil {
            billingCount += 1
            batch.billing.append([
                "id": .string(newId("bill", billingCount)), "customer_id": .string(customer.id),
                "period_date": .date(SeedCalendar.startOfMonth(deliveryDate)),
                "amount": .double(hasAmount ? total : 130), "order_id": .string(orderId),
            ])
        }
        switch defect {
        case .oldStyleId: defects.oldStyleOrderIds += 1
        case .futureDelivery: defects.futureDeliveries += 1
        case .outsideWindow: defects.deliveriesOutsideWindow += 1
        case .cancelledButDelivered: defects.cancelledButDelivered += 1
        case .oneTimeMissingSubscription: defects.oneTimeMissingSubscriptionId += 1
        case nil: break
        }
    }

    private mutating func delivery(orderId: String, customer: Customer, items: [(product: Int, quantity: Int)],
                                   date: Date, confirmedAt: Date) -> BSONDocument {
        deliveryCount += 1
        var doc: BSONDocument = [
            "id": .string(newId("del", deliveryCount)), "customer_id": .string(customer.id),
            "delivery_date": .date(date), "status": "delivered",
        ]
        guard stepsApplied else { return doc }
        doc["order_id"] = .string(orderId)

        let roll = Double.random(in: 0..<1, using: &random)
        let method = roll < 0.7 ? "delivery_boy" : roll < 0.9 ? "shared_link" : "admin"
        let confirmer: Person = switch method {
        case "delivery_boy": random.pick(staff)
        case "shared_link": Person(id: customer.userId, name: customer.name)
        default: random.pick(admins)
        }
        doc["confirmed_by_user_id"] = .string(confirmer.id)
        doc["confirmed_by_name"] = .string(confirmer.name)
        doc["confirmed_at"] = .date(confirmedAt)
        doc["confirmation_method"] = .string(method)
        doc["ip_address"] = .string("\(random.int(49...223)).\(random.int(0...255)).\(random.int(0...255)).\(random.int(1...254))")
        doc["device_info"] = .string(random.pick(Self.devices))

        doc["items"] = .array(items.map { item in
            let roll = Double.random(in: 0..<1, using: &random)
            let delivered = roll < 0.9 ? item.quantity : roll < 0.97 ? max(item.quantity - 1, 0) : 0
            let itemStatus = delivered == item.quantity ? "full" : delivered == 0 ? "shortage" : "partial"
            return [
                "product_id": .string(products[item.product].id), "ordered_qty": .int32(Int32(item.quantity)),
                "delivered_qty": .int32(Int32(delivered)), "status": .string(itemStatus),
            ]
        })
        return doc
    }

    // MARK: Identifiers and people

    /// A UUID v4 once step 29 is applied; the old custom pattern (`cust-000012`) before it.
    private mutating func newId(_ prefix: String, _ number: Int) -> String {
        stepsApplied ? random.uuidV4() : String(format: "%@-%06d", prefix, number)
    }

    private mutating func randomName() -> String {
        "\(random.pick(Self.firstNames)) \(random.pick(Self.lastNames))"
    }

    private func email(for name: String, _ number: Int) -> String {
        name.lowercased().replacingOccurrences(of: " ", with: ".") + "\(number)@example.in"
    }

    private mutating func phone() -> String { "+91 9\(String(format: "%09d", random.int(0...999_999_999)))" }

    private mutating func address() -> String {
        "\(random.int(1...999)), \(random.pick(Self.streets)), Bengaluru 5600\(String(format: "%02d", random.int(1...99)))"
    }

    /// Spreads `defectsPerKind` orders of each kind over the whole range, disjointly, from a generator of their own.
    private static func chooseDefects(_ configuration: SeedConfiguration) -> [Int: DefectKind] {
        let perKind = min(configuration.defectsPerKind, configuration.orders / DefectKind.allCases.count)
        var picker = SeededRandom(seed: configuration.seed ^ 0x5EED_DEFE_C7)
        var chosen = Set<Int>()
        while chosen.count < perKind * DefectKind.allCases.count {
            chosen.insert(Int.random(in: 0..<configuration.orders, using: &picker))
        }
        var result: [Int: DefectKind] = [:]
        for (position, order) in chosen.sorted().enumerated() {
            result[order] = DefectKind.allCases[position % DefectKind.allCases.count]
        }
        return result
    }

    private enum DefectKind: CaseIterable {
        case oldStyleId, futureDelivery, outsideWindow, cancelledButDelivered, oneTimeMissingSubscription
    }

    private struct Person { let id: String; let name: String }

    private struct Customer {
        let id: String
        let userId: String
        let name: String
        let subscriptions: [Subscription]
    }

    private struct Subscription {
        let id: String
        let product: Int
        let quantity: Int
        let status: String
    }

    static let firstNames = ["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya", "Arjun", "Meera", "Siddharth",
                             "Lakshmi", "Rahul", "Divya", "Karthik", "Sneha", "Aditya", "Pooja", "Nikhil", "Shreya"]
    static let lastNames = ["Sharma", "Iyer", "Reddy", "Nair", "Patel", "Gupta", "Rao", "Menon", "Kulkarni",
                            "Singh", "Hegde", "Joshi", "Das", "Pillai", "Bhat"]
    static let streets = ["MG Road", "Indiranagar 100 Feet Road", "Koramangala 5th Block", "Jayanagar 4th Block",
                          "HSR Layout Sector 2", "Whitefield Main Road", "Malleshwaram 8th Cross"]
    static let devices = ["Mozilla/5.0 (Linux; Android 13; SM-A145F) Chrome/119.0", "EarlyBird-Android/2.4.1 (Redmi Note 12)",
                          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1",
                          "EarlyBird-iOS/2.4.0 (iPhone14,5)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"]
}

/// Something EarlyBird delivers, with its price in rupees.
struct Product {
    let id: String
    let name: String
    let price: Double

    /// The fixed product list. The first four are the ones people subscribe to.
    static func catalog(oldStyleIds: Bool) -> [Product] {
        let items: [(String, Double)] = [
            ("Full Cream Milk 1L", 68), ("Toned Milk 500ml", 28), ("Cow Milk 1L", 62), ("Curd 400g", 45),
            ("Buffalo Milk 1L", 74), ("Paneer 200g", 90), ("Brown Bread", 45), ("Eggs (6)", 48),
            ("Butter 100g", 56), ("Ghee 500ml", 310), ("Lassi 200ml", 25), ("Atta 1kg", 52),
        ]
        var ids = SeededRandom(seed: 0xEA71_B12D)  // product ids do not depend on --seed
        return items.enumerated().map { index, item in
            let uuid = ids.uuidV4()
            return Product(id: oldStyleIds ? String(format: "prod-%03d", index + 1) : uuid, name: item.0, price: item.1)
        }
    }
}
