import Foundation

/// A step's plan in words, one line per fact (operations, backup, estimate, impacts, manual checklist, blockers): the
/// details of its plan finding and the body of its terminal text.
public enum PlanLines {
    public static func lines(_ step: StepPlan) -> [String] {
        var lines: [String] = []
        for operation in step.operations {
            lines.append("\(operation.collection): \(operation.description) → \(grouped(operation.documents)) "
                + (operation.type == "drop_index" ? (operation.documents == 1 ? "(index present)" : "(already gone)") : "documents"))
        }
        if !step.backup.parts.isEmpty {
            lines.append("backup: " + step.backup.parts.map {
                "\($0.name) \(grouped($0.documents)) (\(bytes($0.bytes)))"
            }.joined(separator: "; "))
        }
        if !step.operations.isEmpty { lines.append(String(format: "estimate: about %.1f s", step.estimateSeconds)) }
        for impact in step.impacts { lines += describe(impact) }
        if !step.manual.isEmpty { lines.append("manual checklist:") ; lines += step.manual.map { "  - " + $0 } }
        lines += step.blockers.map { "BLOCKED: " + $0 }
        return lines
    }

    static func describe(_ impact: Impact) -> [String] {
        switch impact {
        case .revenue(let revenue):
            let rupees = IndianNumberFormat.rupees
            var lines = ["₹ unbilled, last \(revenue.windowDays) days: \(rupees(revenue.window.rupees)) "
                + "(\(grouped(revenue.window.orders)) orders, \(grouped(revenue.window.withoutAmount)) "
                + "priced at \(rupees(revenue.defaultAmount)) for want of an amount); per year "
                + "\(rupees(revenue.perYear)) (\(IndianNumberFormat.rupeesInWords(revenue.perYear))), "
                + "projected from \(revenue.projection)"]
            lines += revenue.months.map { "  \($0.coverageLabel): \(rupees($0.totals.rupees)) from \(grouped($0.totals.orders)) orders" }
            lines.append("  total: \(rupees(revenue.months.reduce(0) { $0 + $1.totals.rupees })) from "
                + "\(grouped(revenue.allTime.orders)) orders")
            lines.append("the guide's query counts \(grouped(revenue.guideCount)) orders; RollGate counts "
                + "\(grouped(revenue.allTime.orders))")
            return lines
        case .compliance(let compliance):
            return ["\(compliance.title): \(grouped(compliance.records)), \(grouped(compliance.personalData)) with personal data"]
                + compliance.groups.map { "  \($0.label): \(grouped($0.records))" }
        case .performance(let performance):
            return [performance.title + ":"] + performance.queries.map { query in
                String(format: "  %@: %.1f ms with the index, %.1f ms scanning (%.0f× slower)", query.title,
                       query.withIndexMs, query.collectionScanMs, query.slowdown)
            }
        case .security(let security):
            return ["\(security.title): " + security.endpoints.joined(separator: ", ")]
        case .count(let count):
            return ["\(count.title): \(grouped(count.documents))"]
        case .sum(let sum):
            let value = sum.unit == .rupees ? IndianNumberFormat.rupees(sum.value)
                : Int(exactly: sum.value.rounded()).map(grouped) ?? "\(sum.value)"
            return ["\(sum.title): \(value)"]
        }
    }

    public static func bytes(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.1f MB", Double(count) / 1e6)
            : count >= 1_000 ? String(format: "%.1f KB", Double(count) / 1e3) : "\(count) B"
    }
}
