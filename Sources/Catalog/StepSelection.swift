/// Parses the STEPS argument: `23`, `20-23`, `19,21,23`, `all`, or combinations (`19,22-24`).
public enum StepSelection {
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The selected steps in ascending order; every one must be in `available`.
    public static func parse(_ text: String, available: [Int]) throws(Invalid) -> [Int] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let examples = Examples(available: available)
        guard !trimmed.isEmpty else { throw Invalid(description: "no steps given (use e.g. \(examples.text))") }
        if trimmed.lowercased() == "all" { return available.sorted() }
        var selected = Set<Int>()
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = part.trimmingCharacters(in: .whitespaces)
            let bounds = piece.split(separator: "-", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            let range: ClosedRange<Int>
            switch bounds.count {
            case 1:
                guard let step = bounds[0] else { throw Invalid(description: "\(piece.quoted) in \(text.quoted) is not a step number") }
                range = step...step
            case 2:
                guard let low = bounds[0], let high = bounds[1] else {
                    throw Invalid(description: "\(piece.quoted) in \(text.quoted) is not a range like \(examples.rangeText)")
                }
                guard low <= high else {
                    throw Invalid(description: "\(piece.quoted) is backwards: write the lower step first (\(high)-\(low))")
                }
                range = low...high
            default:
                throw Invalid(description: "\(piece.quoted) in \(text.quoted) is not a step or a range like \(examples.rangeText)")
            }
            for step in range {
                guard available.contains(step) else {
                    let known = available.sorted()
                    let span = known.isEmpty ? "none" : "\(known.first!)–\(known.last!)"
                    throw Invalid(description: "there is no step \(step) (the catalog has steps \(span))")
                }
                selected.insert(step)
            }
        }
        return selected.sorted()
    }

    /// Selections made of the available steps, for help texts and errors, so that they never name a step the catalog
    /// lacks: a range of up to four consecutive steps from the second, its last step alone, and every other step from
    /// the first up to it (for steps 19–30: `23`, `20-23`, `19,21,23`).
    public struct Examples: Sendable, Equatable {
        public let single: Int?
        public let range: ClosedRange<Int>?
        public let list: [Int]

        static let rangeLength = 4

        public init(available: [Int]) {
            let steps = Array(Set(available)).sorted()
            guard !steps.isEmpty else {
                (single, range, list) = (nil, nil, [])
                return
            }
            let start = steps.count > 1 ? 1 : 0
            var end = start
            while end + 1 < steps.count, end - start + 1 < Self.rangeLength, steps[end + 1] == steps[end] + 1 { end += 1 }
            single = steps[end]
            range = end > start ? steps[start]...steps[end] : nil
            let every = Array(stride(from: 0, through: end, by: 2).map { steps[$0] })
            list = every.count > 1 ? every : []
        }

        /// `20-23`, or `LOW-HIGH` without a range.
        public var rangeText: String { range.map { "\($0.lowerBound)-\($0.upperBound)" } ?? "LOW-HIGH" }

        /// `23, 20-23, 19,21,23 or all`.
        public var text: String { parts(range: rangeText).joined(separator: ", ") + " or all" }

        /// `23, 20-23 (run in reverse: 23, 22, 21, 20), 19,21,23 or all`: the range with the order a rollback takes.
        public var textWithRollbackOrder: String {
            parts(range: rangeText + (reversedRange.map { " (run in reverse: \($0))" } ?? "")).joined(separator: ", ") + " or all"
        }

        /// `23, 22, 21, 20`: the range highest first, as a rollback runs it.
        public var reversedRange: String? { range.map { $0.reversed().map(String.init).joined(separator: ", ") } }

        private func parts(range rangePart: String) -> [String] {
            [single.map(String.init) ?? "N", range == nil ? nil : rangePart,
             list.isEmpty ? nil : list.map(String.init).joined(separator: ",")].compactMap { $0 }
        }
    }
}

/// The steps an emergency rollback runs: the procedure's emergency steps that have a rule file, without those whose
/// rollback is not recommended unless `--include` names them.
public struct EmergencySelection: Sendable, Equatable {
    /// Ascending; the executor runs them highest first.
    public let steps: [Int]
    /// The steps that are not recommended and were included on purpose: including forces them; they need an approval.
    public let included: [Int]

    public init(catalog: Catalog, include: String?) throws(StepSelection.Invalid) {
        // The catalog has checked that every emergency step has a rule file.
        let emergency = catalog.procedure.emergencySteps
        guard !emergency.isEmpty else {
            throw StepSelection.Invalid(description: "the catalog declares no emergency steps (emergency.steps in \(Procedure.fileName))")
        }
        let kept = Self.kept(in: catalog)
        let included = try include.map { (text) throws(StepSelection.Invalid) in try StepSelection.parse(text, available: catalog.stepNumbers) } ?? []
        for step in included where !kept.contains(step) {
            let why = emergency.contains(step) ? "is rolled back by the emergency procedure anyway"
                : "is not an emergency step (\(emergency.map(String.init).joined(separator: ", ")))"
            throw StepSelection.Invalid(description: "--include \(step): step \(step) \(why)")
        }
        steps = emergency.filter { !kept.contains($0) || included.contains($0) }
        self.included = included
    }

    /// The emergency steps whose rollback is not recommended: kept unless included.
    public static func kept(in catalog: Catalog) -> [Int] {
        catalog.procedure.emergencySteps.filter { catalog.step($0)?.rollback.recommended == false }
    }
}
