import Catalog
import Foundation
import TestSupport
import Testing

/// Malformed and malicious rule files, approval files and STEPS strings: each is refused with one line naming the
/// file and line (or the argument), never a crash, a hang or a generic error.
@Suite struct HostileInputTests {
    static let ruleFiles = HostileFile.corpus("RuleFiles")
    static let approvalFiles = HostileFile.corpus("Approvals")

    @Test func theCorpusIsThere() {
        #expect(Self.ruleFiles.count >= 30 && Self.approvalFiles.count >= 20)
    }

    @Test(arguments: ruleFiles)
    func hostileRuleFileIsRefused(_ entry: HostileFile) {
        let error = #expect(throws: CatalogError.self) {
            try Catalog.loadFile(entry.url, displayName: "hostile/\(entry.name)")
        }
        expectRefusal(error?.description, file: "hostile/\(entry.name)", line: entry.line, text: entry.text)
        #expect(error?.location?.line == entry.line || entry.line == nil)
    }

    @Test(arguments: approvalFiles)
    func hostileApprovalFileIsRefused(_ entry: HostileFile) {
        let error = #expect(throws: CatalogError.self) { try ApprovalFile.load(entry.url) }
        expectRefusal(error?.description, file: entry.url.relativePath, line: entry.line, text: entry.text)
    }

    /// Inputs too big to check in, or with bytes an editor would mangle, made here.
    static let generated: [(name: String, bytes: Data, line: Int?, text: String)] = {
        let rule = "step: 27\ntitle: t\nkind: data\nseverity: error\nprobes: []\nrollback: {}\n"
        var cases: [(String, Data, Int?, String)] = [
            ("empty.yaml", Data(), 1, "the file is empty"),
            ("deep-flow-sequences.yaml", Data(("filter: " + String(repeating: "[", count: 10_000)
                + String(repeating: "]", count: 10_000) + "\n").utf8), 1, "nested more than 1000 levels deep"),
            ("deep-flow-mappings.yaml", Data(("filter: " + String(repeating: "{a: ", count: 10_000) + "1"
                + String(repeating: "}", count: 10_000) + "\n").utf8), 1, "nested more than 1000 levels deep"),
            ("deep-block-mappings.yaml", Data((0..<1_100).map { String(repeating: " ", count: $0) + "a:\n" }
                .joined().utf8), 1_000, "nested more than 1000 levels deep"),
            ("huge.yaml", Data((rule + "# " + String(repeating: "x", count: 1_100_000) + "\n").utf8), nil,
             "larger than 1 MiB"),
            ("utf-16.yaml", rule.data(using: .utf16)!, nil, "not UTF-8 text"),
            ("truncated-utf-8.yaml", Data(rule.utf8) + Data([0xE2, 0x82]), nil, "not UTF-8 text"),
        ]
        // 100,000 small lists side by side: wide rather than deep, and no error until the unknown key.
        cases.append(("wide.yaml", Data(("wide: [" + Array(repeating: "[1]", count: 100_000).joined(separator: ", ")
            + "]\n" + rule).utf8), 1, "unknown key 'wide'"))
        return cases
    }()

    @Test(arguments: generated.map(\.name))
    func generatedHostileRuleFileIsRefused(_ name: String) throws {
        let entry = try #require(Self.generated.first { $0.name == name })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try entry.bytes.write(to: url)

        let clock = ContinuousClock.now
        let error = #expect(throws: CatalogError.self) { try Catalog.loadFile(url, displayName: "hostile/\(name)") }
        expectRefusal(error?.description, file: "hostile/\(name)", line: entry.line, text: entry.text)
        #expect(ContinuousClock.now - clock < .seconds(5), "refused quickly")

        let approvalError = #expect(throws: CatalogError.self) { try ApprovalFile.load(url) }
        #expect(approvalError?.description.hasPrefix(url.relativePath) == true, "\(String(describing: approvalError))")
    }

    /// `/dev/zero` never ends and a pipe may never answer: both are refused before anything is read.
    @Test func devicesPipesAndDirectoriesAreNotRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("directory.yaml"),
                                                withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("zero.yaml"),
                                                   withDestinationURL: URL(fileURLWithPath: "/dev/zero"))
        #expect(mkfifo(directory.appendingPathComponent("pipe.yaml").path, 0o600) == 0)
        for name in ["directory.yaml", "zero.yaml", "pipe.yaml"] {
            let url = directory.appendingPathComponent(name)
            let error = #expect(throws: CatalogError.self) { try Catalog.loadFile(url, displayName: name) }
            #expect(error?.description == "\(name): cannot read: not a regular file")
            let approvalError = #expect(throws: CatalogError.self) { try ApprovalFile.load(url) }
            #expect(approvalError?.description.hasSuffix("cannot read: not a regular file") == true)
        }
    }

    @Test func aUTF8ByteOrderMarkIsNotAnError() throws {
        let text = "\u{FEFF}" + (try String(contentsOf: CatalogTests.checks.appendingPathComponent(
            "step-20-delivery-order-id.yaml"), encoding: .utf8))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bom-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try Catalog.loadFile(url).step == 20)
    }

    // MARK: STEPS

    static let available = Array(19...30)

    /// A STEPS argument and what its message must say; long ones are shown by their length.
    struct Steps: CustomTestStringConvertible, Sendable {
        let text: String
        let message: String
        init(_ text: String, _ message: String) {
            self.text = text
            self.message = message
        }
        var testDescription: String {
            text.count > 40 ? "\(text.prefix(10).debugDescription)… (\(text.count) characters)" : text.debugDescription
        }
    }

    @Test(arguments: [
        Steps("", "no steps given"),
        Steps("   ", "no steps given"),
        Steps("-", "'-' in '-' is not a range like 20-23"),
        Steps("23-", "is not a range like 20-23"),
        Steps("30-19", "'30-19' is backwards: write the lower step first (19-30)"),
        Steps("19--20", "'19--20' in '19--20' is not a step or a range"),
        Steps("1e3", "'1e3' in '1e3' is not a step number"),
        Steps("９", "'９' in '９' is not a step number"),
        Steps("٢٣", "is not a step number"),
        Steps("99999999999999999999", "is not a step number"),
        Steps(",,,", "'' in ',,,' is not a step number"),
        Steps("all,23", "'all' in 'all,23' is not a step number"),
        Steps("23\n24", "'23\\n24' in '23\\n24' is not a step number"),
        Steps("\u{202E}23", "'\\u{202E}23'"),
        Steps("0", "there is no step 0 (the catalog has steps 19–30)"),
        Steps("19-9223372036854775807", "there is no step 31"),
        Steps("-9223372036854775808-0", "is not a step or a range"),
        Steps(String(repeating: "9", count: 100_000), "'" + String(repeating: "9", count: 60) + "…'"),
        Steps(String(repeating: "x", count: 1_000_000), "is not a step number"),
    ])
    func hostileStepsAreRefusedOnOneLine(_ steps: Steps) {
        let clock = ContinuousClock.now
        let error = #expect(throws: StepSelection.Invalid.self) {
            try StepSelection.parse(steps.text, available: Self.available)
        }
        #expect(error?.description.contains(steps.message) == true, "\(String(describing: error))")
        #expect(error?.description.contains("\n") == false)
        #expect((error?.description.count ?? 0) < 300)
        #expect(ContinuousClock.now - clock < .seconds(2))
    }

    @Test func oddButValidStepsAreRead() throws {
        #expect(try StepSelection.parse(" 23 ", available: Self.available) == [23])
        #expect(try StepSelection.parse("\t23\t", available: Self.available) == [23])
        #expect(try StepSelection.parse("23,23,23", available: Self.available) == [23])
        #expect(try StepSelection.parse("ALL", available: Self.available) == Self.available)
        #expect(try StepSelection.parse("19 - 21 , 30", available: Self.available) == [19, 20, 21, 30])
        let repeated = Array(repeating: "23", count: 100_000).joined(separator: ",")
        #expect(try StepSelection.parse(repeated, available: Self.available) == [23])
    }
}
