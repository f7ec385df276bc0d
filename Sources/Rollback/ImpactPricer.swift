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
            return Impact(kind: "count", title: title, value: Double(n), unit: "documents")
        case let .sum(title, collection, pipeline, unit):
            let row = try database.collection(collection)
                .aggregate(pipeline.map { Placeholder.resolve($0, now: options.now) }, options: aggregateOptions).toArray().first
            return Impact(kind: "sum", title: title, value: row?["value"]?.doubleValue ?? 0, unit: unit,
                          figures: ["count": row?["count"]?.doubleValue ?? 0])
        case .revenue(let revenue):
            return try price(revenue)
        case .compliance(let compliance):
            return try price(compliance)
        case .security(let endpoints):
            return Impact(kind: "security", title: "endpoints left unprotected", value: Double(endpoints.count),
                          unit: "endpoints", rows: endpoints.map { .init(label: "\($0.method) \($0.path)", figures: [:]) })
        case .performance(let queries):
            return try price(performance: queries)
        }
    }

    private func resolve(_ filter: BSONDocument) -> BSONDocument { Placeholder.resolve(filter, now: options.now) }

    /// Delivered one-time orders that would go unbilled: real amounts, the default for orders without one; the last
    /// 30 days projected per year; every month of the window from the oldest order to now, the first and the current
    /// month marked partial when they are; and the guide's own count beside it.
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
        let since30 = options.now.addingTimeInterval(-30 * 86_400)
        let collection = database.collection(revenue.collection)
        let row = try collection.aggregate([
            ["$match": .document(resolve(revenue.filter))],
            ["$facet": [
                "last30": [["$match": [revenue.dateField: ["$gte": .date(since30)]]], ["$group": .document(overall)]],
                "months": [["$group": .document(byMonth)], ["$sort": ["_id": 1]]],
                "all": [["$group": .document(overall)]],
            ]],
        ], options: aggregateOptions).toArray().first ?? [:]
        let last30 = RevenueMonths.totals(row.value(at: "last30.0")?.documentValue ?? [:])
        let all = RevenueMonths.totals(row.value(at: "all.0")?.documentValue ?? [:])
        let months = RevenueMonths.rows((row["months"]?.arrayValue ?? []).compactMap(\.documentValue), now: options.now)
        let full = months.filter { $0.figures["partial"] == 0 && $0.label != RevenueMonths.undated }
        let guideCount = try collection.count(resolve(revenue.guideFilter), options: CountOptions(maxTime: options.timeout))
        return Impact(
            kind: "revenue", title: "₹ of delivered one-time orders that would no longer be billed (last 30 days)",
            value: last30["rupees"]!, unit: "rupees", rows: months,
            figures: [
                "ordersLast30Days": last30["orders"]!, "withoutAmountLast30Days": last30["withoutAmount"]!,
                "perYear": (last30["rupees"]! * 365 / 30).rounded(),
                "perMonthAverage": full.isEmpty ? 0 : full.reduce(0) { $0 + ($1.figures["rupees"] ?? 0) } / Double(full.count),
                "fullMonths": Double(full.count),
                "orders": all["orders"]!, "rupeesAllTime": all["rupees"]!, "withoutAmount": all["withoutAmount"]!,
                "guideCount": Double(guideCount), "defaultAmount": revenue.defaultAmount,
            ],
            note: revenue.note)
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
        var figures: [String: Double] = ["personalData": 0]
        for (index, field) in compliance.fields.enumerated() {
            figures["field.\(field.name)"] = rows.reduce(0) { $0 + ($1["f\(index)"]?.doubleValue ?? 0) }
        }
        figures["personalData"] = rows.reduce(0) { $0 + ($1["personalData"]?.doubleValue ?? 0) }
        let total = rows.reduce(0) { $0 + ($1["records"]?.doubleValue ?? 0) }
        return Impact(
            kind: "compliance", title: "delivery records that would lose their audit data", value: total,
            unit: "documents",
            rows: rows.map { .init(label: describeLabel($0["_id"]), figures: [
                "records": $0["records"]?.doubleValue ?? 0, "personalData": $0["personalData"]?.doubleValue ?? 0,
            ]) },
            figures: figures,
            note: "Personal data fields: \(personal.joined(separator: ", ")). A backup holding them must be kept "
                + "under the same protection as the original.")
    }

    /// For each representative query: latency now with its index, and with a forced collection scan.
    private func price(performance queries: [String]) throws -> Impact {
        var rows: [Impact.Row] = []
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
            let withIndex = QueryCheck.percentile(indexed, 0.5), withoutIndex = QueryCheck.percentile(scanned, 0.5)
            rows.append(.init(label: step.probe(id)?.title ?? id, figures: [
                "withIndexMs": withIndex, "collectionScanMs": withoutIndex,
                "slowdown": withoutIndex / max(withIndex, 0.001), "budgetMs": probe.budgetMs,
            ]))
        }
        let worst = rows.map { $0.figures["slowdown"] ?? 0 }.max() ?? 0
        return Impact(kind: "performance", title: "slowdown of the representative queries without their indexes",
                      value: worst, unit: "times", rows: rows,
                      note: "Measured now: each query with its index, then forced to a collection scan (hint $natural).")
    }

    private func describeLabel(_ value: BSON?) -> String {
        switch value {
        case .string(let s)?: s
        case nil, .null?: "(none)"
        case let other?: "\(other)"
        }
    }
}

/// The month rows of a revenue impact: every month from the oldest order's to the current one (months without
/// orders included as zero), each with `partial` 1 when the data does not cover it whole: the current month, and the
/// first month when its oldest order is later than the 1st. Orders without a date come last, as `undated`.
enum RevenueMonths {
    static let undated = "no date"

    /// The `orders`, `rupees` and `withoutAmount` of one `$group` result (0 for what it lacks).
    static func totals(_ group: BSONDocument) -> [String: Double] {
        ["orders": group["orders"]?.doubleValue ?? 0, "rupees": group["rupees"]?.doubleValue ?? 0,
         "withoutAmount": group["withoutAmount"]?.doubleValue ?? 0]
    }

    static func rows(_ groups: [BSONDocument], now: Date) -> [Impact.Row] {
        let calendar = Calendar.utc
        var byLabel: [String: [String: Double]] = [:]
        var oldest: Date?
        var undatedRow: Impact.Row?
        for group in groups {
            let figures = totals(group)
            guard let label = group["_id"]?.stringValue, let first = group["first"]?.dateValue else {
                undatedRow = .init(label: undated, figures: figures.merging(["partial": 0]) { $1 })
                continue
            }
            byLabel[label] = figures
            oldest = min(oldest ?? first, first)
        }
        var rows: [Impact.Row] = []
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
                var figures = byLabel[label] ?? totals([:])
                figures["partial"] = month == current || (month == firstMonth && startsLate) ? 1 : 0
                // When the data starts after the 1st: the time of its oldest order, so the report can say from when.
                if month == firstMonth && startsLate { figures["since"] = oldest.timeIntervalSince1970 }
                rows.append(.init(label: label, figures: figures))
                month = calendar.date(byAdding: .month, value: 1, to: month)!
            }
        }
        if let undatedRow { rows.append(undatedRow) }
        return rows
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
