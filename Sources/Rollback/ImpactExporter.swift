import Catalog
import Findings
import Foundation
import Mongo

/// The records behind a step's priced impacts, for reconciliation (`rollgate plan STEPS --export DIR`): every order
/// that would go unbilled (revenue impacts) and every record that would lose its audit data (compliance impacts),
/// read through one server cursor and handed on one row at a time, so memory stays flat at any size. Each order is
/// priced exactly as the plan prices it, so the file's amounts add up to the plan's total.
public struct ImpactExporter {
    /// An export file of a step: its name, its columns, and how to fill it.
    public struct Table: Sendable {
        public var file: String
        public var header: [String]
        public var expectedRows: Int?
        /// Whether the table has personal-data columns (masked unless `includePersonalData`).
        public var hasPersonalData: Bool
        fileprivate var source: Source

        /// The impacts an export is made of; no other kind has one.
        fileprivate enum Source: Sendable {
            case orders(RevenueImpact)
            case records(ComplianceImpact)
        }
    }

    public let database: MongoDatabase
    public let now: Date
    /// Personal-data fields are written as `[masked]` unless this is set (`--include-personal-data`).
    public let includePersonalData: Bool

    public init(database: MongoDatabase, now: Date, includePersonalData: Bool) {
        self.database = database
        self.now = now
        self.includePersonalData = includePersonalData
    }

    static let masked = "[masked]"

    /// The export files a step's impacts give, in the order of its impacts; none for a step without revenue or
    /// compliance impacts. `plan`, when given, supplies the expected row counts for progress.
    public static func tables(for step: StepRule, plan: StepPlan? = nil) -> [Table] {
        step.impact.compactMap { impact in
            switch impact {
            case .revenue(let revenue):
                let expected = plan?.impacts.lazy.compactMap(\.revenue).first?.allTime.orders
                return Table(file: "step-\(step.step)-unbilled-\(revenue.collection).csv",
                             header: [revenue.idField, revenue.customerField, revenue.dateField, "amount", "priced_at_default"],
                             expectedRows: expected, hasPersonalData: false, source: .orders(revenue))
            case .compliance(let compliance):
                let expected = plan?.impacts.lazy.compactMap(\.compliance).first?.records
                return Table(file: "step-\(step.step)-\(compliance.collection)-losing-audit-data.csv",
                             header: [compliance.idField] + compliance.fields.map(\.name),
                             expectedRows: expected,
                             hasPersonalData: compliance.fields.contains(where: \.personalData), source: .records(compliance))
            default:
                return nil
            }
        }
    }

    /// Writes every row of `table` to `writer`; `progress` is told the rows written so far, now and then.
    public func export(_ table: Table, step: Int, to writer: ExportRowWriter,
                       progress: (Int) -> Void = { _ in }) throws -> ExportSummary {
        switch table.source {
        case .orders(let revenue):
            try exportOrders(revenue, file: table.file, step: step, to: writer, progress: progress)
        case .records(let compliance):
            try exportRecords(compliance, file: table.file, step: step, to: writer, progress: progress)
        }
    }

    private func exportOrders(_ revenue: RevenueImpact, file: String, step: Int, to writer: ExportRowWriter,
                              progress: (Int) -> Void) throws -> ExportSummary {
        let fields = [revenue.idField, revenue.customerField, revenue.dateField, revenue.amountField]
        let cursor = try database.collection(revenue.collection).find(
            Placeholder.resolve(revenue.filter, now: now), options: FindOptions(projection: Self.projection(fields)))
        var rows = 0, atDefault = 0, rupees = 0.0
        while let order = try cursor.next() {
            let price = Self.price(order.value(at: revenue.amountField), default: revenue.defaultAmount)
            try writer.write([
                Self.cell(order.value(at: revenue.idField)), Self.cell(order.value(at: revenue.customerField)),
                Self.day(order.value(at: revenue.dateField)), .number(String(format: "%.2f", price.rupees)),
                .text(price.atDefault ? "true" : "false"),
            ])
            rows += 1
            rupees += price.rupees
            if price.atDefault { atDefault += 1 }
            if rows % 1_000 == 0 { progress(rows) }
        }
        progress(rows)
        return ExportSummary(step: step, file: file, what: "orders that would go unbilled", rows: rows, rupees: rupees,
                             pricedAtDefault: atDefault)
    }

    private func exportRecords(_ compliance: ComplianceImpact, file: String, step: Int, to writer: ExportRowWriter,
                               progress: (Int) -> Void) throws -> ExportSummary {
        let cursor = try database.collection(compliance.collection).find(
            Placeholder.resolve(compliance.filter, now: now),
            options: FindOptions(projection: Self.projection([compliance.idField] + compliance.fields.map(\.name))))
        var rows = 0
        while let record = try cursor.next() {
            var row = [Self.cell(record.value(at: compliance.idField))]
            for field in compliance.fields {
                let value = record.value(at: field.name)
                row.append(field.personalData && !includePersonalData && value != nil ? .text(Self.masked) : Self.cell(value))
            }
            try writer.write(row)
            rows += 1
            if rows % 1_000 == 0 { progress(rows) }
        }
        progress(rows)
        let personal = compliance.fields.filter(\.personalData).map(\.name)
        return ExportSummary(step: step, file: file, what: "records that would lose their audit data", rows: rows,
                             maskedFields: includePersonalData ? [] : personal,
                             includedPersonalFields: includePersonalData ? personal : [])
    }

    private static func projection(_ fields: [String]) -> BSONDocument {
        var projection: BSONDocument = ["_id": 0]
        for field in Set(fields) { projection[field] = 1 }
        return projection
    }

    /// An order's price as the plan's aggregation computes it: a number within ±10^15 as written, a missing or null
    /// amount as the default, anything else (a string, an infinity, NaN) as nothing.
    static func price(_ amount: BSON?, default defaultAmount: Double) -> (rupees: Double, atDefault: Bool) {
        switch amount {
        case nil, .null?: return (defaultAmount, true)
        case .double(let v)?: return (v.isFinite && abs(v) < 1e15 ? v : 0, false)
        case let number? where number.doubleValue != nil:
            let v = number.doubleValue!
            return (abs(v) < 1e15 ? v : 0, false)
        default: return (0, false)
        }
    }

    /// A value as a cell: numbers as numbers, dates in ISO 8601 (UTC), strings as they are, anything else in
    /// relaxed extended JSON; a missing value as an empty cell.
    static func cell(_ value: BSON?) -> ExportCell {
        switch value {
        case nil: return .text("")
        case .string(let s)?: return .text(s)
        case .int32(let v)?: return .number(String(v))
        case .int64(let v)?: return .number(String(v))
        case .double(let v)? where v.isFinite: return .number(String(v))
        case .datetime?: return .text(value!.dateValue!.formatted(.iso8601))
        case .bool(let b)?: return .text(b ? "true" : "false")
        case .null?: return .text("null")
        case .objectId(let id)?: return .text(id.description)
        case let other?:
            let wrapped: BSONDocument = ["v": other]
            return .text((try? wrapped.extendedJSON()).map(Self.unwrapped) ?? "\(other)")
        }
    }

    /// The UTC day of a date (the day the plan's month rows count it in); other values as `cell` writes them.
    static func day(_ value: BSON?) -> ExportCell {
        guard let date = value?.dateValue else { return cell(value) }
        return .text(date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day()))
    }

    /// `{ "v" : X }` → `X`.
    private static func unwrapped(_ json: String) -> String {
        guard let colon = json.firstIndex(of: ":"), json.hasSuffix("}") else { return json }
        return json[json.index(after: colon)..<json.index(before: json.endIndex)].trimmingCharacters(in: .whitespaces)
    }
}
