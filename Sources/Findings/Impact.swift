import Foundation

/// One priced consequence of a rollback: a kind of impact with its own typed figures (`ImpactPricer` prices them,
/// the plan's views render them). In JSON it is `{kind, title, value, unit, rows, figures, note}` (see `Impact.Wire`).
public enum Impact: Sendable, Equatable {
    /// Documents affected in some way worth saying.
    case count(Count)
    /// A total computed by the rule's pipeline.
    case sum(Sum)
    /// Revenue that would no longer be billed, over a window of days and month by month.
    case revenue(Revenue)
    /// Records that would lose audit data, by group, and how many hold personal data.
    case compliance(Compliance)
    /// Endpoints left unprotected.
    case security(Security)
    /// Representative queries with their index and forced to a collection scan.
    case performance(Performance)

    /// Documents affected (`billing records that lose their order linkage`).
    public struct Count: Sendable, Equatable {
        public var title: String
        public var documents: Int

        public init(title: String, documents: Int) {
            self.title = title
            self.documents = documents
        }
    }

    /// The single result of a rule's read-only pipeline: its `value` in `unit`, over `count` records.
    public struct Sum: Sendable, Equatable {
        public var title: String
        public var value: Double
        public var unit: SumUnit
        public var count: Double

        public init(title: String, value: Double, unit: SumUnit, count: Double) {
            self.title = title
            self.value = value
            self.unit = unit
            self.count = count
        }
    }

    /// Orders that would go unbilled: the last `windowDays` days (the headline, projected per year), every month of
    /// the data, and the guide's own count beside RollGate's.
    public struct Revenue: Sendable, Equatable {
        /// Orders, their rupees, and how many of them were priced at the default for want of an amount.
        public struct Totals: Sendable, Equatable {
            public var orders: Int
            public var rupees: Double
            public var withoutAmount: Int

            public init(orders: Int, rupees: Double, withoutAmount: Int) {
                self.orders = orders
                self.rupees = rupees
                self.withoutAmount = withoutAmount
            }
        }

        /// One month of the data (`2026-07`), or the orders without a date (`month` nil).
        public struct Month: Sendable, Equatable {
            /// `yyyy-MM`, nil for orders without a date.
            public var month: String?
            public var totals: Totals
            /// The data does not cover the month whole: the current month, or a first month that starts after the 1st.
            public var partial: Bool
            /// When the data of a first month starts after the 1st: its oldest order's time.
            public var since: Date?

            public init(month: String?, totals: Totals, partial: Bool, since: Date? = nil) {
                self.month = month
                self.totals = totals
                self.partial = partial
                self.since = since
            }

            /// The label of the row of orders without a date.
            public static let undatedLabel = "no date"

            /// `2026-07`, or `no date`.
            public var label: String { month ?? Self.undatedLabel }

            /// The label with its coverage: `2026-06 (partial, from day 6)`, `2026-12 (partial, to date)`, `2026-08`.
            public var coverageLabel: String {
                guard partial else { return label }
                guard let since else { return label + " (partial, to date)" }
                let day = Calendar.current.dateComponents(in: TimeZone(identifier: "UTC")!, from: since).day ?? 1
                return label + " (partial, from day \(day))"
            }
        }

        /// Days in a year, for the projection from the window.
        public static let daysPerYear = 365

        /// From the rule file (`title`).
        public var title: String
        /// The window of the headline figure, in days back from now (the rule file's `window_days`).
        public var windowDays: Int
        /// The orders delivered within the window.
        public var window: Totals
        /// Every order, whatever its date.
        public var allTime: Totals
        /// Every month from the oldest order's to the current one, then the undated orders if any.
        public var months: [Month]
        /// What the guide's own query counts.
        public var guideCount: Int
        /// Rupees an order without an amount is priced at.
        public var defaultAmount: Double
        /// The rule file's note: why RollGate's count and the guide's differ.
        public var note: String?

        public init(title: String, windowDays: Int, window: Totals, allTime: Totals, months: [Month], guideCount: Int,
                    defaultAmount: Double, note: String?) {
            self.title = title
            self.windowDays = windowDays
            self.window = window
            self.allTime = allTime
            self.months = months
            self.guideCount = guideCount
            self.defaultAmount = defaultAmount
            self.note = note
        }

        /// The window's rupees projected over a year (window × 365 ÷ window days), to the rupee.
        public var perYear: Double { (window.rupees * Double(Self.daysPerYear) / Double(windowDays)).rounded() }

        /// How the projection is made, for people: `the last 30 days × 365 ÷ 30`.
        public var projection: String { "the last \(windowDays) days × \(Self.daysPerYear) ÷ \(windowDays)" }

        /// The months the data covers whole (the partial and undated ones left out).
        public var fullMonths: [Month] { months.filter { !$0.partial && $0.month != nil } }

        /// The average rupees of the full months; 0 when there is none.
        public var perMonthAverage: Double {
            let full = fullMonths
            return full.isEmpty ? 0 : full.reduce(0) { $0 + $1.totals.rupees } / Double(full.count)
        }
    }

    /// Records that would lose audit data, grouped (by confirmation method, for instance).
    public struct Compliance: Sendable, Equatable {
        /// One group's records and how many of them hold personal data.
        public struct Group: Sendable, Equatable {
            public var label: String
            public var records: Int
            public var personalData: Int

            public init(label: String, records: Int, personalData: Int) {
                self.label = label
                self.records = records
                self.personalData = personalData
            }
        }

        public var title: String
        /// The field the records are grouped by (the rule's `group_by`); empty when unknown.
        public var groupBy: String
        public var groups: [Group]
        /// Records holding at least one personal-data field.
        public var personalData: Int
        /// Field name → records that carry it.
        public var fields: [String: Int]
        public var note: String

        public init(title: String, groupBy: String = "", groups: [Group], personalData: Int, fields: [String: Int],
                    note: String) {
            self.title = title
            self.groupBy = groupBy
            self.groups = groups
            self.personalData = personalData
            self.fields = fields
            self.note = note
        }

        /// Records that would lose audit data, all groups together.
        public var records: Int { groups.reduce(0) { $0 + $1.records } }

        /// What the groups are, for a column heading: the `group_by` field in words (`confirmation_method`:
        /// "Confirmation method"), or "Group".
        public var groupHeading: String {
            let words = groupBy.replacingOccurrences(of: "_", with: " ")
            guard let first = words.first else { return "Group" }
            return first.uppercased() + words.dropFirst()
        }
    }

    /// Endpoints that would accept requests they refuse now (`POST /confirm`).
    public struct Security: Sendable, Equatable {
        public var title: String
        public var endpoints: [String]

        public init(title: String, endpoints: [String]) {
            self.title = title
            self.endpoints = endpoints
        }
    }

    /// Latency of representative queries with their index and forced to a collection scan.
    public struct Performance: Sendable, Equatable {
        /// One query's median latencies, in milliseconds, and its budget.
        public struct Query: Sendable, Equatable {
            public var title: String
            public var withIndexMs: Double
            public var collectionScanMs: Double
            public var budgetMs: Double

            public init(title: String, withIndexMs: Double, collectionScanMs: Double, budgetMs: Double) {
                self.title = title
                self.withIndexMs = withIndexMs
                self.collectionScanMs = collectionScanMs
                self.budgetMs = budgetMs
            }

            /// How many times slower the scan is (the index's time floored at a microsecond).
            public var slowdown: Double { collectionScanMs / max(withIndexMs, 0.001) }
        }

        public var title: String
        public var queries: [Query]
        public var note: String

        public init(title: String, queries: [Query], note: String) {
            self.title = title
            self.queries = queries
            self.note = note
        }

        /// The largest slowdown; 0 without queries.
        public var worstSlowdown: Double { queries.map(\.slowdown).max() ?? 0 }
    }
}

/// What a `sum` impact counts: rupees or documents.
public enum SumUnit: String, Sendable {
    case rupees, documents
}

extension Impact {
    /// `count`, `sum`, `revenue`, `compliance`, `security` or `performance`.
    public var kind: String {
        switch self {
        case .count: "count"
        case .sum: "sum"
        case .revenue: "revenue"
        case .compliance: "compliance"
        case .security: "security"
        case .performance: "performance"
        }
    }

    public var title: String {
        switch self {
        case .count(let count): count.title
        case .sum(let sum): sum.title
        case .revenue(let revenue): revenue.title
        case .compliance(let compliance): compliance.title
        case .security(let security): security.title
        case .performance(let performance): performance.title
        }
    }

    /// The headline figure: documents, rupees (the window's for revenue), records, endpoints or the worst slowdown.
    public var value: Double {
        switch self {
        case .count(let count): Double(count.documents)
        case .sum(let sum): sum.value
        case .revenue(let revenue): revenue.window.rupees
        case .compliance(let compliance): Double(compliance.records)
        case .security(let security): Double(security.endpoints.count)
        case .performance(let performance): performance.worstSlowdown
        }
    }

    /// The revenue figures, when this is a revenue impact.
    public var revenue: Revenue? {
        guard case .revenue(let revenue) = self else { return nil }
        return revenue
    }

    /// The compliance figures, when this is a compliance impact.
    public var compliance: Compliance? {
        guard case .compliance(let compliance) = self else { return nil }
        return compliance
    }

    /// Whether the headline figure is in rupees.
    public var inRupees: Bool {
        switch self {
        case .revenue: true
        case .sum(let sum): sum.unit == .rupees
        default: false
        }
    }
}

extension Impact: Codable {
    /// The JSON shape of an impact, kept from when an impact was one struct for every kind: the headline `value` in
    /// `unit`, a breakdown in `rows` and further `figures`, each a named number. A revenue impact's window figures
    /// are named after its window (`ordersLast30Days`), which is how the window reads back.
    private struct Wire: Codable {
        struct Row: Codable {
            var label: String
            var figures: [String: Double]
        }

        var kind: String
        var title: String
        var value: Double
        var unit: String
        var rows: [Row]
        var figures: [String: Double]
        /// A compliance impact's `group_by` field (absent for every other kind).
        var groupBy: String? = nil
        var note: String?
    }

    public func encode(to encoder: any Encoder) throws {
        try wire.encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let wire = try Wire(from: decoder)
        // A count that is not a whole number within Int's range (a hand-edited report) reads as 0.
        func count(_ value: Double?) -> Int { value.flatMap { Int(exactly: $0) } ?? 0 }
        switch wire.kind {
        case "count":
            self = .count(Count(title: wire.title, documents: count(wire.value)))
        case "sum":
            self = .sum(Sum(title: wire.title, value: wire.value, unit: SumUnit(rawValue: wire.unit) ?? .documents,
                            count: wire.figures["count"] ?? 0))
        case "revenue":
            let f = wire.figures
            let windowKey = f.keys.first { $0.hasPrefix("ordersLast") && $0.hasSuffix("Days") }
            guard let windowKey, let days = Int(windowKey.dropFirst("ordersLast".count).dropLast("Days".count)), days > 0 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "a revenue impact without ordersLastNDays"))
            }
            let months = wire.rows.map { row in
                Revenue.Month(month: row.label == Revenue.Month.undatedLabel ? nil : row.label,
                              totals: .init(orders: count(row.figures["orders"]), rupees: row.figures["rupees"] ?? 0,
                                            withoutAmount: count(row.figures["withoutAmount"])),
                              partial: row.figures["partial"] == 1,
                              since: row.figures["since"].map { Date(timeIntervalSince1970: $0) })
            }
            self = .revenue(Revenue(
                title: wire.title, windowDays: days,
                window: .init(orders: count(f[windowKey]), rupees: wire.value,
                              withoutAmount: count(f["withoutAmountLast\(days)Days"])),
                allTime: .init(orders: count(f["orders"]), rupees: f["rupeesAllTime"] ?? 0,
                               withoutAmount: count(f["withoutAmount"])),
                months: months, guideCount: count(f["guideCount"]), defaultAmount: f["defaultAmount"] ?? 0,
                note: wire.note))
        case "compliance":
            var fields: [String: Int] = [:]
            for (key, value) in wire.figures where key.hasPrefix("field.") { fields[String(key.dropFirst("field.".count))] = count(value) }
            self = .compliance(Compliance(
                title: wire.title, groupBy: wire.groupBy ?? "",
                groups: wire.rows.map { .init(label: $0.label, records: count($0.figures["records"]),
                                              personalData: count($0.figures["personalData"])) },
                personalData: count(wire.figures["personalData"]), fields: fields, note: wire.note ?? ""))
        case "security":
            self = .security(Security(title: wire.title, endpoints: wire.rows.map(\.label)))
        case "performance":
            self = .performance(Performance(
                title: wire.title,
                queries: wire.rows.map { .init(title: $0.label, withIndexMs: $0.figures["withIndexMs"] ?? 0,
                                               collectionScanMs: $0.figures["collectionScanMs"] ?? 0,
                                               budgetMs: $0.figures["budgetMs"] ?? 0) },
                note: wire.note ?? ""))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown impact kind \(wire.kind)"))
        }
    }

    private var wire: Wire {
        switch self {
        case .count(let count):
            return Wire(kind: kind, title: title, value: value, unit: "documents", rows: [], figures: [:])
        case .sum(let sum):
            return Wire(kind: kind, title: title, value: value, unit: sum.unit.rawValue, rows: [], figures: ["count": sum.count])
        case .revenue(let revenue):
            let rows = revenue.months.map { month in
                var figures: [String: Double] = ["orders": Double(month.totals.orders), "rupees": month.totals.rupees,
                                                 "withoutAmount": Double(month.totals.withoutAmount),
                                                 "partial": month.partial ? 1 : 0]
                figures["since"] = month.since?.timeIntervalSince1970
                return Wire.Row(label: month.label, figures: figures)
            }
            let days = revenue.windowDays
            return Wire(kind: kind, title: title, value: value, unit: "rupees", rows: rows, figures: [
                "ordersLast\(days)Days": Double(revenue.window.orders),
                "withoutAmountLast\(days)Days": Double(revenue.window.withoutAmount),
                "perYear": revenue.perYear, "perMonthAverage": revenue.perMonthAverage,
                "fullMonths": Double(revenue.fullMonths.count), "orders": Double(revenue.allTime.orders),
                "rupeesAllTime": revenue.allTime.rupees, "withoutAmount": Double(revenue.allTime.withoutAmount),
                "guideCount": Double(revenue.guideCount), "defaultAmount": revenue.defaultAmount,
            ], note: revenue.note)
        case .compliance(let compliance):
            var figures: [String: Double] = ["personalData": Double(compliance.personalData)]
            for (field, records) in compliance.fields { figures["field.\(field)"] = Double(records) }
            return Wire(kind: kind, title: title, value: value, unit: "documents",
                        rows: compliance.groups.map { .init(label: $0.label, figures: [
                            "records": Double($0.records), "personalData": Double($0.personalData),
                        ]) },
                        figures: figures, groupBy: compliance.groupBy.isEmpty ? nil : compliance.groupBy,
                        note: compliance.note)
        case .security(let security):
            return Wire(kind: kind, title: title, value: value, unit: "endpoints",
                        rows: security.endpoints.map { .init(label: $0, figures: [:]) }, figures: [:])
        case .performance(let performance):
            return Wire(kind: kind, title: title, value: value, unit: "times",
                        rows: performance.queries.map { .init(label: $0.title, figures: [
                            "withIndexMs": $0.withIndexMs, "collectionScanMs": $0.collectionScanMs,
                            "slowdown": $0.slowdown, "budgetMs": $0.budgetMs,
                        ]) },
                        figures: [:], note: performance.note)
        }
    }
}
