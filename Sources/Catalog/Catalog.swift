import Findings
import Foundation

/// The steps of the rollout, loaded from a directory of rule files and checked as a whole: one file per step, no
/// step twice, every dependency defined, no cycles; and the procedure around them (`procedure.yaml`), checked against
/// the steps.
public struct Catalog: Sendable {
    /// Steps in ascending order.
    public let steps: [StepRule]
    /// The guide's procedure around the steps; `Procedure.none` when the directory has no `procedure.yaml`.
    public let procedure: Procedure
    /// The files the steps were loaded from (`load(directory:)`), for the reports.
    public var rules: RuleSet?

    public init(steps: [StepRule], procedure: Procedure = .none) throws(CatalogError) {
        self.procedure = procedure
        var seen: [Int: StepRule] = [:]
        for step in steps {
            if let first = seen[step.step] {
                throw CatalogError.duplicateStep(step.source, step: step.step, firstDefinedIn: first.source.file)
            }
            seen[step.step] = step
        }
        for step in steps {
            for dependency in step.dependsOn where seen[dependency] == nil {
                throw CatalogError.missingDependency(step.source, step: step.step, dependsOn: dependency)
            }
        }
        self.steps = steps.sorted { $0.step < $1.step }
        if let cycle = Self.findCycle(in: seen) {
            throw CatalogError.dependencyCycle(seen[cycle[0]]!.source, steps: cycle)
        }
        try procedure.check(against: self.steps)
    }

    /// Loads every `*.yaml` file of `directory`, in name order: `procedure.yaml` as the procedure, every other one as
    /// a step's rule file.
    public static func load(directory: URL) throws(CatalogError) -> Catalog {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { ["yaml", "yml"].contains($0.pathExtension) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw CatalogError.unreadable(file: directory.path, reason: "not a readable directory")
        }
        guard !files.isEmpty else { throw CatalogError.noRuleFiles(directory: directory.path) }
        var texts: [(name: String, text: String)] = []
        var procedure = Procedure.none
        var steps: [StepRule] = []
        for file in files {
            let text = try ruleText(file, name: file.relativePath)
            texts.append((file.lastPathComponent, text))
            if file.lastPathComponent == Procedure.fileName {
                procedure = try ProcedureParser(file: file.relativePath).parse(text)
            } else {
                steps.append(try RuleFileParser(file: file.relativePath).parse(text))
            }
        }
        guard !steps.isEmpty else { throw CatalogError.noRuleFiles(directory: directory.path) }
        var catalog = try Catalog(steps: steps, procedure: procedure)
        // The SHA-256 of exactly the bytes parsed, so the files are read once.
        catalog.rules = RuleSet(directory: directory.relativePath, origin: CatalogLocation.Origin.flag.rawValue,
                                sha256: fingerprint(texts.map { ($0.name, Data($0.text.utf8)) }))
        return catalog
    }

    /// Reads and parses one rule file; its path appears in errors as given.
    public static func loadFile(_ file: URL, displayName: String? = nil) throws(CatalogError) -> StepRule {
        let name = displayName ?? file.relativePath
        return try RuleFileParser(file: name).parse(ruleText(file, name: name))
    }

    private static func ruleText(_ file: URL, name: String) throws(CatalogError) -> String {
        try readText(file, name: name, tooLarge: "larger than 1 MiB; a rule file is a few kilobytes")
    }

    /// The UTF-8 text of a rule or approval file of at most 1 MiB. A device, a pipe or a directory is refused before
    /// it is read.
    static func readText(_ url: URL, name: String, tooLarge: String) throws(CatalogError) -> String {
        let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
        if let values, values.isRegularFile == false {
            throw CatalogError.unreadable(file: name, reason: "not a regular file")
        }
        guard (values?.fileSize ?? 0) <= 1_048_576 else { throw CatalogError.unreadable(file: name, reason: tooLarge) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CatalogError.unreadable(file: name, reason: (error as NSError).localizedDescription)
        }
        guard data.count <= 1_048_576 else { throw CatalogError.unreadable(file: name, reason: tooLarge) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CatalogError.unreadable(file: name, reason: "not UTF-8 text")
        }
        return text
    }

    public func step(_ number: Int) -> StepRule? { steps.first { $0.step == number } }

    public var stepNumbers: [Int] { steps.map(\.step) }

    /// The steps that depend on `number`, directly.
    public func dependents(of number: Int) -> [StepRule] { steps.filter { $0.dependsOn.contains(number) } }

    /// A dependency cycle as a path that returns to its start (`[23, 22, 23]`), or nil.
    private static func findCycle(in steps: [Int: StepRule]) -> [Int]? {
        var state: [Int: Bool] = [:]  // false: on the current path; true: done
        var path: [Int] = []
        func visit(_ step: Int) -> [Int]? {
            if state[step] == true { return nil }
            if state[step] == false {
                return Array(path[path.firstIndex(of: step)!...]) + [step]
            }
            state[step] = false
            path.append(step)
            for dependency in steps[step]?.dependsOn.sorted() ?? [] {
                if let cycle = visit(dependency) { return cycle }
            }
            path.removeLast()
            state[step] = true
            return nil
        }
        for step in steps.keys.sorted() {
            if let cycle = visit(step) { return cycle }
        }
        return nil
    }
}

extension Catalog {
    /// What was read from `directory`, for `rollgate checks lint`.
    public func summary(directory: String) -> CatalogSummary {
        CatalogSummary(
            directory: directory, steps: stepNumbers, probes: steps.reduce(0) { $0 + $1.probes.count },
            examples: steps.reduce(0) { $0 + $1.examples.count },
            procedure: .init(name: Procedure.fileName,
                             emergencySteps: procedure.source == nil ? nil : procedure.emergencySteps.count,
                             healthChecks: procedure.source == nil ? nil : procedure.healthChecks.count))
    }
}
