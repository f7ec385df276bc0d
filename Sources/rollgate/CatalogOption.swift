import ArgumentParser
import Catalog

/// The help of every `--checks` option: where the rule files come from when it is not given.
let checksHelp = ArgumentHelp(
    "Directory of rule files. Default: $ROLLGATE_CHECKS, else ./checks when it exists, else the catalog installed "
        + "with rollgate (../share/rollgate/checks from the executable).", valueName: "dir")

/// The catalog named by `--checks`, or found without it (`CatalogLocation.find`).
func loadCatalog(_ flag: String?) throws -> Catalog {
    try CatalogLocation.find(flag: flag).load()
}

/// Help texts that name steps, read from the catalog found without flags, so they never go out of date; when there
/// is none, the texts leave the steps out.
enum CatalogHelp {
    private static let catalog = try? loadCatalog(nil)

    private static let examples = StepSelection.Examples(available: catalog?.stepNumbers ?? [])

    /// `23, 20-23, 19,21,23 or all`: selections of the catalog's steps.
    static let selection = examples.text

    /// `23, 20-23 (run in reverse: 23, 22, 21, 20), 19,21,23 or all`.
    static let selectionInRollbackOrder = examples.textWithRollbackOrder

    /// ` (20-23: 23, 22, 21, 20)`: a range and the order a rollback runs it in, or nothing without a catalog.
    static let rollbackOrder: String = {
        guard let reversed = examples.reversedRange else { return "" }
        return " (\(examples.rangeText): \(reversed))"
    }()

    /// ` (19, 20, …)`: the catalog's first steps in ascending order, or nothing without a catalog.
    static let ascendingOrder: String = {
        let first = catalog?.stepNumbers.prefix(2).map(String.init) ?? []
        return first.isEmpty ? "" : " (" + first.joined(separator: ", ") + ", …)"
    }()

    /// `: 21 ops, 23 finance, …`, from each rule's `approval`.
    static let approvals: String = {
        let steps = catalog?.steps.compactMap { rule in rule.approval.map { "\(rule.step) \($0.rawValue)" } } ?? []
        return steps.isEmpty ? "" : ": " + steps.joined(separator: ", ")
    }()

    /// ` (29, 30)`, from the rules whose rollback is not recommended.
    static let notRecommended: String = {
        let steps = catalog?.steps.filter { !$0.rollback.recommended }.map { String($0.step) } ?? []
        return steps.isEmpty ? "" : " (" + steps.joined(separator: ", ") + ")"
    }()

    /// ` of steps 19 to 30 (EarlyBird)`, from the catalog's steps and its procedure's product; empty without a catalog.
    static let rollout: String = {
        guard let catalog, let first = catalog.stepNumbers.first, let last = catalog.stepNumbers.last else {
            return "the rule files describe"
        }
        let product = catalog.procedure.source == nil ? "" : " (\(catalog.procedure.product))"
        return "of steps \(first) to \(last)\(product)"
    }()

    /// ` (steps 24, 28)`: the steps whose rules match, or nothing without a catalog.
    static func steps(_ matching: (StepRule) -> Bool) -> String {
        let steps = catalog?.steps.filter(matching).map { String($0.step) } ?? []
        return steps.isEmpty ? "" : " (step\(steps.count == 1 ? "" : "s") " + steps.joined(separator: ", ") + ")"
    }

    /// The steps `plan --export` writes files for: those with a revenue or compliance impact.
    static var exportingSteps: String {
        steps { rule in
            rule.impact.contains { impact in
                switch impact {
                case .revenue, .compliance: true
                default: false
                }
            }
        }
    }

    /// `--include` of `rollgate emergency`, naming the emergency steps that are kept unless included.
    static let emergencyInclude: ArgumentHelp = {
        let kept = catalog.map(EmergencySelection.kept) ?? []
        let steps = kept.isEmpty ? "" : " (" + kept.map(String.init).joined(separator: ", ") + ")"
        return ArgumentHelp("Emergency steps whose rollback is not recommended\(steps), to roll back too: "
                            + "naming a step here forces it, and it needs an approval.", valueName: "steps")
    }()
}
