import Catalog
import Findings
import Mongo

/// `index`: is there an index with the step's key pattern? Identity is the key pattern; the guide's name and the
/// options come second (a different name or options is a warning, a missing key pattern an error).
enum IndexCheck {
    static func evaluate(_ probe: IndexProbe, indexes: [BSONDocument], maker: FindingMaker,
                         expectation: ExpectedState) -> Finding {
        let match = indexes.first { $0["key"]?.documentValue == probe.keys }
        let pattern = probe.keys.displayText
        switch expectation {
        case .rolledBack:
            return maker.make(FindingCode.indexMissing, verdict: match == nil ? .passed : .failed,
                              measured: match == nil ? "no index on \(pattern)" :
                                  "index \(match?["name"]?.stringValue ?? "?") on \(pattern) is still there",
                              expected: "no index on \(probe.collection) \(pattern)")
        case .applied:
            guard let match else {
                let names = indexes.compactMap { $0["name"]?.stringValue }.joined(separator: ", ")
                return maker.make(FindingCode.indexMissing, verdict: .failed, severity: max(maker.severity, .error),
                                  measured: "no index on \(pattern) (indexes: \(names.isEmpty ? "none" : names))",
                                  expected: "\(probe.name) on \(probe.collection) \(pattern)")
            }
            let name = match["name"]?.stringValue ?? "?"
            if name != probe.name {
                return maker.make(FindingCode.indexName, verdict: .failed, severity: .warning,
                                  measured: "the index on \(pattern) is named \(name)",
                                  expected: "named \(probe.name), as the guide and its rollback expect",
                                  message: "a rollback that drops \(probe.name) by name would miss it")
            }
            let differing = probe.options.elements.filter { match[$0.key] != $0.value }.map(\.key)
            if !differing.isEmpty {
                return maker.make(FindingCode.indexOptions, verdict: .failed, severity: .warning,
                                  measured: "\(name) differs in \(differing.joined(separator: ", "))",
                                  expected: probe.options.displayText)
            }
            return maker.make(FindingCode.indexMissing, verdict: .passed, measured: "\(name) on \(pattern)",
                              expected: "\(probe.name) on \(pattern)")
        }
    }
}
