import Catalog
import Foundation
import Mongo
import Seed
import TestSupport
import Testing

/// A bounded mutation fuzzer over the rule-file loader, the approval-file reader and the STEPS parser: the real
/// rule files and the hostile corpus, cut, repeated, swapped and salted with YAML tokens and operators. Every input
/// either loads or is refused with a `CatalogError` on one line that names the file (and line); never a crash or a
/// hang. Deterministic: a failure names its seed and iteration, and the same seed replays the same inputs.
@Suite struct RuleFileFuzzTests {
    /// `FUZZ_SEED` and `FUZZ_SECONDS` run a longer campaign locally; CI uses the defaults.
    static let environment = ProcessInfo.processInfo.environment
    static let seed = environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_0007
    /// Each fuzzer stops at whichever comes first.
    static let budget = Duration.seconds(environment["FUZZ_SECONDS"].flatMap { Int($0) } ?? 3)
    static let maxIterations = environment["FUZZ_SECONDS"] == nil ? 20_000 : Int.max

    /// What the mutator splices in: YAML syntax, operators the loader must refuse, and awkward characters.
    static let tokens: [String] = [
        ": ", "- ", "[", "]", "{", "}", ",", "? ", "&a ", "*a", "!!binary ", "!!timestamp ", "!ruby/object ", "|", ">",
        "---\n", "...\n", "~", "null", "true", "1e999", "-9223372036854775809", "0x7f", ".nan", "\t", "\0", "\r", "\"",
        "'", "#", "\n", "  ", "$where", "$out", "$merge: {into: x}", "$function: {body: f}", "$accumulator", "$expr",
        "{$where: \"1\"}", "[{$out: x}]", "{{now}}", "{{days_ago:999999999999}}", "{{x}}", "é", "\u{FEFF}", "\u{202E}",
        "\u{2028}", "９", String(repeating: "[", count: 60), String(repeating: "x", count: 5_000),
    ]

    static var seeds: [Data] {
        let checks = CatalogTests.checks
        let files = (try? FileManager.default.contentsOfDirectory(at: checks, includingPropertiesForKeys: nil)) ?? []
        let rules = files.filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
        let corpus = HostileFile.corpus("RuleFiles").map(\.url) + HostileFile.corpus("Approvals").map(\.url)
        return (rules + corpus).compactMap { try? Data(contentsOf: $0) }
    }

    /// One random change to `bytes`.
    static func mutate(_ bytes: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = bytes
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        func joined() -> [UInt8] { Array(lines.joined(separator: [UInt8(ascii: "\n")])) }
        let position = bytes.isEmpty ? 0 : random.int(0...bytes.count - 1)
        switch random.int(0...7) {
        case 0:  // delete a run of bytes
            let end = min(bytes.count, position + random.int(1...40))
            bytes.removeSubrange(position..<end)
            return bytes
        case 1:  // insert a token
            bytes.insert(contentsOf: Array(random.pick(tokens).utf8), at: position)
            return bytes
        case 2:  // replace a byte with any byte
            if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: random.next()) }
            return bytes
        case 3:  // duplicate a line
            let line = random.int(0...lines.count - 1)
            lines.insert(lines[line], at: line)
            return joined()
        case 4:  // swap two lines
            lines.swapAt(random.int(0...lines.count - 1), random.int(0...lines.count - 1))
            return joined()
        case 5:  // delete a line
            lines.remove(at: random.int(0...lines.count - 1))
            return joined()
        case 6:  // re-indent a line
            let line = random.int(0...lines.count - 1)
            lines[line] = Array(String(repeating: " ", count: random.int(0...8)).utf8)
                + lines[line].drop { $0 == UInt8(ascii: " ") }
            return joined()
        default:  // cut the file short
            return Array(bytes.prefix(position))
        }
    }

    static let forbidden: Set<String> = ["$out", "$merge", "$where", "$function", "$accumulator"]

    /// Every key of every document in a loaded rule, found by reflection so that no field is forgotten. Examples are
    /// left out: they are documents the tests insert, not queries.
    static func keys(in value: Any) -> [String] {
        if let document = value as? BSONDocument {
            return document.keys + document.elements.flatMap { keys(in: $0.value) }
        }
        if let bson = value as? BSON {
            switch bson {
            case .document(let document): return keys(in: document)
            case .array(let items): return items.flatMap { keys(in: $0) }
            default: return []
            }
        }
        return Mirror(reflecting: value).children.filter { $0.label != "examples" }.flatMap { keys(in: $0.value) }
    }

    /// Runs `body` on mutants of the seeds until the budget or the iteration limit; returns how many ran.
    static func fuzz(_ label: String, _ body: (_ input: [UInt8], _ iteration: Int) throws -> Void) rethrows -> Int {
        var random = SeededRandom(seed: seed)
        let seeds = Self.seeds.map { [UInt8]($0) }
        let start = ContinuousClock.now
        var iteration = 0
        while iteration < maxIterations, ContinuousClock.now - start < budget {
            var input = random.pick(seeds)
            for _ in 0..<(random.chance(0.5) ? 1 : random.int(2...4)) { input = mutate(input, &random) }
            let one = ContinuousClock.now
            try body(input, iteration)
            #expect(ContinuousClock.now - one < .seconds(1), "\(label) seed \(seed) iteration \(iteration) was slow")
            iteration += 1
        }
        return iteration
    }

    @Test func reflectionReachesFiltersPipelinesAndUpdates() throws {
        let keys = Set(Self.keys(in: try Catalog.load(directory: CatalogTests.checks)))
        #expect(keys.isSuperset(of: ["$exists", "$lookup", "$match", "$unset", "subscription_id"]), "\(keys)")
    }

    @Test func ruleLoaderLoadsOrRefusesWithFileAndLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: url) }
        var loaded = 0
        let runs = try Self.fuzz("rule loader") { input, iteration in
            try Data(input).write(to: url)
            do throws(CatalogError) {
                let rule = try Catalog.loadFile(url, displayName: "fuzz.yaml")
                let keys = Self.keys(in: rule)
                let refused = keys.filter { Self.forbidden.contains($0) || $0.contains("\0") }
                #expect(refused.isEmpty, "seed \(Self.seed) iteration \(iteration) loaded \(refused)")
                loaded += 1
            } catch {
                let context = "seed \(Self.seed) iteration \(iteration): \(error)"
                #expect(error.description.hasPrefix("fuzz.yaml:"), "\(context)")
                #expect(error.location != nil || { if case .unreadable = error { true } else { false } }(), "\(context)")
                #expect(!error.description.contains("\n") && error.description.count < 600, "\(context)")
            }
        }
        #expect(runs > 100, "only \(runs) inputs in \(Self.budget)")
        #expect(loaded > 0 && loaded < runs, "both outcomes happen: \(loaded) of \(runs) loaded")
    }

    @Test func approvalReaderReadsOrRefusesWithFileAndLine() {
        let runs = Self.fuzz("approval reader") { input, iteration in
            let text = String(decoding: input, as: UTF8.self)
            do throws(CatalogError) {
                _ = try ApprovalFile.parse(text, file: "approve.yaml")
            } catch {
                let context = "seed \(Self.seed) iteration \(iteration): \(error)"
                #expect(error.description.hasPrefix("approve.yaml:") && error.location != nil, "\(context)")
                #expect(!error.description.contains("\n") && error.description.count < 600, "\(context)")
            }
        }
        #expect(runs > 100)
    }

    @Test func stepsParserSelectsKnownStepsOrRefusesOnOneLine() {
        var random = SeededRandom(seed: Self.seed)
        let pieces = ["1", "9", "19", "23", "30", "31", "0", "-", ",", " ", "\t", "all", "ALL", "+", "e", "９", "é",
                      "\n", "99999999999999999999", "\u{202E}", ""]
        let available = Array(19...30)
        let start = ContinuousClock.now
        var runs = 0, accepted = 0
        while runs < Self.maxIterations, ContinuousClock.now - start < Self.budget {
            let text = (0..<random.int(0...8)).map { _ in random.pick(pieces) }.joined()
            do {
                let steps = try StepSelection.parse(text, available: available)
                #expect(steps == Array(Set(steps)).sorted() && steps.allSatisfy(available.contains), "\(text.debugDescription)")
                #expect(!steps.isEmpty, "\(text.debugDescription) selects nothing")
                accepted += 1
            } catch {
                #expect(!error.description.contains("\n") && error.description.count < 300, "\(text.debugDescription): \(error)")
            }
            runs += 1
        }
        #expect(runs > 1_000 && accepted > 0 && accepted < runs, "\(accepted) of \(runs) accepted")
    }
}
