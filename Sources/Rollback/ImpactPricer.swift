import Audit
import Catalog
import Findings
import Foundation
import Mongo

/// Prices the impact declarations of a step from the data, with server-side aggregations only (nothing is loaded
/// into memory, whatever the size of the collections).
struct ImpactPricer {
    let database: MongoDatabase
    let step: StepRule
    let options: PlanOptions

    private var aggregateOptions: AggregateOptions { AggregateOptions(allowDiskUse: true, maxTime: options.timeout) }

    func price(_ impact: ImpactRule) throws -> Impact {
        switch impact {
        case let .count(title, collection, filter):
            let n = try database.collection(collection).count(resolve(filter), options: CountOptions(maxTime: options.timeout))
            return .count(.init(title: title, documents: n))
        case let .sum(title, collection, pipeline, unit):
            let row = try database.collection(collection)
                .aggregate(pipeline.map { Placeholder.resolve($0, now: options.now) }, options: aggregateOptions).toArray().first
            return .sum(.init(title: title, value: row?["value"]?.doubleValue ?? 0, unit: unit,
                              count: row?["count"]?.doubleValue ?? 0))
        case .revenue(let revenue):
            return try price(revenue)
        case .compliance(let compliance):
            return try price(compliance)
        case .security(let endpoints):
            return .security(.init(title: "endpoints left unprotected", endpoints: endpoints.map { "\($0.method) \($0.path)" }))
        case .performance(let queries):
            return try price(performance: queries)
        }
    }

    private func resolve(_ filter: BSONDocument) -> BSONDocument { Placeholder.resolve(filter, now: options.now) }

    /// Delivered one-time orders that would go unbilled: real amounts, the default for orders without one; the rule's
    /// window (the last `window_days` days) projected per year; every month from the oldest order to now, the first and
    /// the current month marked partial when they are; and the guide's own count beside it.
    private func price(_ revenue: RevenueImpact) throws -> Impact {
        let field = BSON.string("$" + revenue.amountField)
        let missing: BSON = ["$in": [["$type": field], ["missing", "null"]]]
        // A number within ±10^15 counts as written; a missing or null amount as the default; anything else (a
        // string, an infinity or NaN from a corrupt document) as nothing, so that one bad document cannot make the
        // total infinite.
        let usable: BSON = ["$and": [["$isNumber": field], ["$gt": [field, -1e15]], ["$lt": [field, 1e15]]]]
        let amount: BSON = ["$cond": [usable, field, ["$cond": [missing, .double(revenue.defaultAmount), 0]]]]
        let noAmount: BSON = ["$cond": [missing, 1, 0]]
        let date = BSON.string("$" + revenue.dateField)
        let totals: BSON = ["orders": ["$sum": 1], "rupees": ["$sum": amount], "withoutAmount": ["$sum": noAmount]]
        // `$dateToString` of a missing or non-date field is null: such orders form a row of their own, so that the
        // rows still add up to the total.
        var byMonth: BSONDocument = ["_id": ["$cond": [["$eq": [["$type": date], "date"]],
                                                       ["$dateToString": ["format": "%Y-%m", "date": date]], .null]],
                                     "first": ["$min": date]]
        var overall: BSONDocument = ["_id": .null]
        for (key, value) in totals.documentValue! {
            byMonth[key] = value
            overall[key] = value
        }
        let windowStart = options.now.addingTimeInterval(-Double(revenue.windowDays) * 86_400)
        let collection = database.collection(revenue.collection)
        let row = try collection.aggregate([
            ["$match": .document(resolve(revenue.filter))],
            ["$facet": [
                "window": [["$match": [revenue.dateField: ["$gte": .date(windowStart)]]], ["$group": .document(overall)]],
                "months": [["$group": .document(byMonth)], ["$sort": ["_id": 1]]],
                "all": [["$group": .document(overall)]],
            ]],
        ], options: aggregateOptions).toArray().first ?? [:]
        let window = RevenueMonths.totals(row.value(at: "window.0")?.documentValue ?? [:])
        let all = RevenueMonths.totals(row.value(at: "all.0")?.documentValue ?? [:])
        let months = RevenueMonths.months((row["months"]?.arrayValue ?? []).compactMap(\.documentValue), now: options.now)
        let guideCount = try collection.count(resolve(revenue.guideFilter), options: CountOptions(maxTime: options.timeout))
        return .revenue(.init(title: revenue.title, windowDays: revenue.windowDays, window: window, allTime: all,
                              months: months, guideCount: guideCount, defaultAmount: revenue.defaultAmount,
                              note: revenue.note))
    }

    /// Records that would lose audit data, by `group_by`, with how many hold personal data.
    private func price(_ compliance: ComplianceImpact) throws -> Impact {
        let personal = compliance.fields.filter(\.personalData).map(\.name)
        func present(_ field: String) -> BSON { ["$ne": [["$type": .string("$" + field)], "missing"]] }
        var group: BSONDocument = ["_id": .string("$" + compliance.groupBy), "records": ["$sum": 1],
                                   "personalData": ["$sum": ["$cond": [["$or": .array(personal.map(present))], 1, 0]]]]
        for (index, field) in compliance.fields.enumerated() {
            group["f\(index)"] = ["$sum": ["$cond": [present(field.name), 1, 0]]]
        }
        let rows = try database.collection(compliance.collection).aggregate([
            ["$match": .document(resolve(compliance.filter))], ["$group": .document(group)], ["$sort": ["_id": 1]],
        ], options: aggregateOptions).toArray()
        var fields: [String: Int] = [:]
        for (index, field) in compliance.fields.enumerated() {
            fields[field.name] = rows.reduce(0) { $0 + counted($1["f\(index)"]) }
        }
        return .compliance(.init(
            title: compliance.impactTitle, groupBy: compliance.groupBy,
            groups: rows.map { .init(label: describeLabel($0["_id"]), records: counted($0["records"]),
                                     personalData: counted($0["personalData"])) },
            personalData: rows.reduce(0) { $0 + counted($1["personalData"]) }, fields: fields,
            note: "Personal data fields: \(personal.joined(separator: ", ")). A backup holding them must be kept "
                + "under the same protection as the original."))
    }

    /// For each representative query: latency now with its index, and with a forced collection scan.
    private func price(performance queries: [String]) throws -> Impact {
        var measured: [Impact.Performance.Query] = []
        for id in queries {
            guard case .query(let probe)? = step.probe(id)?.kind else { continue }
            let collection = database.collection(probe.collection)
            guard let filter = try QueryCheck.sampledFilter(probe, collection: collection, now: options.now,
                                                            timeout: options.timeout) else { continue }
            let indexed = try QueryCheck.timed(collection, filter: filter, options: FindOptions(
                sort: probe.sort, limit: probe.limit, maxTime: options.timeout), warmup: 1, runs: options.indexedRuns)
            let scanned = try QueryCheck.timed(collection, filter: filter, options: FindOptions(
                sort: probe.sort, limit: probe.limit, hint: ["$natural": 1], maxTime: options.timeout),
                warmup: 0, runs: options.scanRuns)
            measured.append(.init(title: step.probe(id)?.title ?? id, withIndexMs: QueryCheck.percentile(indexed, 0.5),
                                  collectionScanMs: QueryCheck.percentile(scanned, 0.5), budgetMs: probe.budgetMs))
        }
        return .performance(.init(title: "slowdown of the representative queries without their indexes", queries: measured,
                                  note: "Measured now: each query with its index, then forced to a collection scan (hint $natural)."))
    }

    private func describeLabel(_ value: BSON?) -> String {
        switch value {
        case .string(let s)?: s
        case nil, .null?: "(none)"
        case let other?: "\(other)"
        }
    }
}

/// The months of a revenue impact: every month from the oldest order's to the current one (months without orders
/// included as zero), each partial when the data does not cover it whole: the current month, and the first month when
/// its oldest order is later than the 1st. Orders without a date come last, as a month of their own without a label.
enum RevenueMonths {
    /// The `orders`, `rupees` and `withoutAmount` of one `$group` result (0 for what it lacks).
    static func totals(_ group: BSONDocument) -> Impact.Revenue.Totals {
        .init(orders: counted(group["orders"]), rupees: group["rupees"]?.doubleValue ?? 0,
              withoutAmount: counted(group["withoutAmount"]))
    }

    static func months(_ groups: [BSONDocument], now: Date) -> [Impact.Revenue.Month] {
        let calendar = Calendar.utc
        var byLabel: [String: Impact.Revenue.Totals] = [:]
        var oldest: Date?
        var undated: Impact.Revenue.Month?
        for group in groups {
            guard let label = group["_id"]?.stringValue, let first = group["first"]?.dateValue else {
                undated = .init(month: nil, totals: totals(group), partial: false)
                continue
            }
            byLabel[label] = totals(group)
            oldest = min(oldest ?? first, first)
        }
        var months: [Impact.Revenue.Month] = []
        if let oldest {
            let formatter = DateFormatter()
            formatter.calendar = calendar
            formatter.timeZone = calendar.timeZone
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM"
            let current = calendar.startOfMonth(now)
            let firstMonth = calendar.startOfMonth(oldest)
            let startsLate = oldest >= calendar.date(byAdding: .day, value: 1, to: firstMonth)!
            // Orders dated in the future (a clock gone wrong) extend the window to their month.
            let last = max(current, byLabel.keys.sorted().last.flatMap { formatter.date(from: $0) } ?? current)
            var month = firstMonth
            while month <= last {
                let label = formatter.string(from: month)
                // When the data starts after the 1st: the time of its oldest order, so the report can say from when.
                let lateStart = month == firstMonth && startsLate
                months.append(.init(month: label, totals: byLabel[label] ?? totals([:]),
                                    partial: month == current || lateStart, since: lateStart ? oldest : nil))
                month = calendar.date(byAdding: .month, value: 1, to: month)!
            }
        }
        if let undated { months.append(undated) }
        return months
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    func startOfMonth(_ date: Date) -> Date { self.date(from: dateComponents([.year, .month], from: date))! }
}

/// A `$sum` of ones (int32, int64, or a whole double) as a count; 0 when missing.
private func counted(_ value: BSON?) -> Int { value?.int64Value.map { Int($0) } ?? 0 }
