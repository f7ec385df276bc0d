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
        switch impact.kind {
        case "revenue":
            let f = impact.figures
            var lines = ["₹ unbilled, last 30 days: \(IndianNumberFormat.rupees(impact.value)) "
                + "(\(grouped(Int(f["ordersLast30Days"] ?? 0))) orders, \(grouped(Int(f["withoutAmountLast30Days"] ?? 0))) "
                + "priced at \(IndianNumberFormat.rupees(f["defaultAmount"] ?? 0)) for want of an amount); per year "
                + "\(IndianNumberFormat.rupees(f["perYear"] ?? 0)) (\(IndianNumberFormat.rupeesInWords(f["perYear"] ?? 0))), "
                + "projected from the last 30 days × 365 ÷ 30"]
            lines += impact.rows.map { "  \($0.monthLabel): \(IndianNumberFormat.rupees($0.figures["rupees"] ?? 0)) from "
                + "\(grouped(Int($0.figures["orders"] ?? 0))) orders" }
            lines.append("  total: \(IndianNumberFormat.rupees(impact.rows.reduce(0) { $0 + ($1.figures["rupees"] ?? 0) })) from "
                + "\(grouped(Int(f["orders"] ?? 0))) orders")
            lines.append("the guide's query counts \(grouped(Int(f["guideCount"] ?? 0))) orders; RollGate counts "
                + "\(grouped(Int(f["orders"] ?? 0)))")
            return lines
        case "compliance":
            return ["\(impact.title): \(grouped(Int(impact.value))), \(grouped(Int(impact.figures["personalData"] ?? 0))) "
                + "with personal data"] + impact.rows.map { "  \($0.label): \(grouped(Int($0.figures["records"] ?? 0)))" }
        case "performance":
            return [impact.title + ":"] + impact.rows.map { row in
                String(format: "  %@: %.1f ms with the index, %.1f ms scanning (%.0f× slower)", row.label,
                       row.figures["withIndexMs"] ?? 0, row.figures["collectionScanMs"] ?? 0, row.figures["slowdown"] ?? 0)
            }
        case "security":
            return ["\(impact.title): " + impact.rows.map(\.label).joined(separator: ", ")]
        default:
            let value = impact.unit == "rupees" ? IndianNumberFormat.rupees(impact.value)
                : Int(exactly: impact.value.rounded()).map(grouped) ?? "\(impact.value)"
            return ["\(impact.title): \(value)"]
        }
    }

    public static func bytes(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.1f MB", Double(count) / 1e6)
            : count >= 1_000 ? String(format: "%.1f KB", Double(count) / 1e3) : "\(count) B"
    }
}
