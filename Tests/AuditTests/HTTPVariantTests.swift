@testable import Audit
import Catalog
import Findings
import Foundation
import Testing

/// The HTTP checks of steps 24 and 28 against every variant of a stand-in of EarlyBird's API
/// (`scripts/stub_api.py`, started here): a verdict that cannot be false, errors in plain words, deadlines kept.
@Suite(.serialized) struct HTTPVariantTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The stand-in, started once for the suite.
    final class StubAPI: @unchecked Sendable {
        let process = Process()
        let port: Int

        init() throws {
            let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("stub-api-\(UUID()).port")
            // FastAPI and uvicorn are in the project's venv (scripts/bootstrap.sh).
            process.executableURL = HTTPVariantTests.root.appendingPathComponent(".venv/bin/python")
            process.arguments = [HTTPVariantTests.root.appendingPathComponent("scripts/stub_api.py").path, portFile.path]
            // Never the test process's own output: a stand-in left running would hold it open.
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: portFile.path) {
                guard Date() < deadline, process.isRunning else { throw StubError() }
                Thread.sleep(forTimeInterval: 0.05)
            }
            port = Int(try String(contentsOf: portFile, encoding: .utf8)) ?? 0
            try? FileManager.default.removeItem(at: portFile)
        }

        deinit { process.terminate() }

        func url(_ variant: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(variant)")! }
    }

    struct StubError: Error {}

    static let stub = Result { try StubAPI() }
    static let catalog = Result { try Catalog.load(directory: AuditTests.checks) }

    static func findings(step: Int, variant: String, token: String? = "customer-token", timeout: Duration = .seconds(3),
                         expectation: ExpectedState = .applied) async throws -> [Finding] {
        let rule = try #require(try catalog.get().step(step))
        let probe = try #require(rule.probes.first)
        guard case .http(let http) = probe.kind else { Issue.record("step \(step) has no http probe"); return [] }
        let environment = token.map { [http.wrongRoleTokenVariable ?? "": $0] } ?? [:]
        return await HTTPCheck.run(http, maker: FindingMaker(step: rule, probe: probe), apiURL: try stub.get().url(variant),
                                   timeout: timeout, expectation: expectation, environment: environment)
    }

    static func verdicts(_ findings: [Finding]) -> [Verdict] { findings.map(\.verdict) }

    @Test func step24PassesOnlyWhereEveryRoleCheckHolds() async throws {
        let applied = try await Self.findings(step: 24, variant: "applied")
        #expect(applied.count == 6 && applied.allSatisfy { $0.verdict == .passed }, "\(applied)")
        #expect(applied.filter { $0.check.hasSuffix("wrong-role") }.allSatisfy { $0.measured.contains("answered 403") })

        // Any logged-in user gets in: the wrong-role requests fail, although the unauthenticated ones pass.
        let rolledBack = try await Self.findings(step: 24, variant: "rolled-back")
        #expect(rolledBack.filter { $0.check.hasSuffix("wrong-role") }.map(\.verdict) == [.failed, .failed, .failed],
                "\(rolledBack)")
        let open = try await Self.findings(step: 24, variant: "open")
        #expect(open.allSatisfy { $0.verdict == .failed }, "\(open)")

        // Without a token, nothing passes on its own: the finding says what was not tested.
        let untested = try await Self.findings(step: 24, variant: "applied", token: nil)
        let note = try #require(untested.first { $0.check.hasSuffix("wrong-role") })
        #expect(note.verdict == .skipped && note.message.contains("only unauthenticated access was tested")
                && note.message.contains("$ROLLGATE_WRONG_ROLE_TOKEN"))
        #expect(!untested.contains { $0.message.contains("customer-token") || $0.measured.contains("customer-token") })
    }

    @Test func step28WantsTheConsolidatedTagsAndNoneOfTheSeparateOnes() async throws {
        #expect(Self.verdicts(try await Self.findings(step: 28, variant: "applied")) == [.passed])
        #expect(Self.verdicts(try await Self.findings(step: 28, variant: "casetags")) == [.passed], "case-insensitive")
        let before = try await Self.findings(step: 28, variant: "rolled-back")
        #expect(Self.verdicts(before) == [.failed] && before[0].message.contains("still listed: subscriptions"), "\(before)")
        for variant in ["notfound", "broken", "html", "big"] {
            let unread = try await Self.findings(step: 28, variant: variant)
            #expect(unread.map(\.code) == ["RG-PROBE-001"] && unread[0].verdict == .error, "\(variant): \(unread)")
        }
    }

    @Test func rolledBackExpectsTheRolledBackAPI() async throws {
        let step24 = try await Self.findings(step: 24, variant: "rolled-back", expectation: .rolledBack)
        #expect(step24.count == 6 && step24.allSatisfy { $0.verdict == .passed }, "\(step24)")
        let stillApplied = try await Self.findings(step: 24, variant: "applied", expectation: .rolledBack)
        #expect(stillApplied.filter { $0.check.hasSuffix("wrong-role") }.allSatisfy { $0.verdict == .failed }, "\(stillApplied)")
        #expect(Self.verdicts(try await Self.findings(step: 28, variant: "rolled-back", expectation: .rolledBack)) == [.passed])
        #expect(Self.verdicts(try await Self.findings(step: 28, variant: "applied", expectation: .rolledBack)) == [.failed])
    }

    @Test func redirectsAreNeverFollowedSilently() async throws {
        let login = try await Self.findings(step: 24, variant: "login-redirect")
        #expect(login.filter { $0.code == "RG-HTTP-001" }.allSatisfy { $0.verdict == .passed && $0.measured.contains("login page") },
                "\(login)")
        let temporary = try await Self.findings(step: 24, variant: "temp")
        #expect(temporary.filter { !$0.check.hasSuffix("wrong-role") }.allSatisfy {
            $0.verdict == .passed && $0.measured.contains("after 307 →")
        }, "a 307 is followed with its method and body: \(temporary)")
        let moved = try await Self.findings(step: 24, variant: "moved")
        #expect(moved.allSatisfy { $0.verdict == .error && $0.message.contains("301") && $0.message.contains("not followed") },
                "\(moved)")
        let loop = try await Self.findings(step: 24, variant: "loop")
        #expect(loop.allSatisfy { $0.verdict == .error && $0.message.contains("more than 10 redirects") }, "\(loop)")
    }

    @Test func errorsThatProveNothingAreErrorsNamingTheURL() async throws {
        let missing = try await Self.findings(step: 24, variant: "notfound")
        #expect(missing.allSatisfy { $0.verdict == .error && $0.message.contains("404") && $0.message.contains("--api-url")
                    && $0.message.contains("http://127.0.0.1:") }, "\(missing)")
        let broken = try await Self.findings(step: 24, variant: "broken")
        #expect(broken.allSatisfy { $0.verdict == .error && $0.message.contains("500") }, "\(broken)")
    }

    @Test func aHangOrASlowDripEndsAtTheDeadlineAndTheRequestsRunTogether() async throws {
        for variant in ["hang", "drip"] {
            let start = ContinuousClock.now
            let findings = try await Self.findings(step: 24, variant: variant, timeout: .seconds(2))
            let elapsed = ContinuousClock.now - start
            // Six requests (three endpoints, with and without a token), concurrently: about one deadline (2 s), not
            // six (12 s). The bound leaves room for a loaded CI machine (3.9 s seen) and still fails if they ran in turn.
            #expect(elapsed < .seconds(6), "\(variant): \(elapsed)")
            #expect(findings.filter { $0.code == "RG-PROBE-001" }.count == 6)
            #expect(findings.filter { $0.code == "RG-PROBE-001" }.allSatisfy {
                $0.message.hasPrefix("no answer within 2 s from POST http://") || $0.message.hasPrefix("no answer within 2 s from DELETE http://")
            }, "\(findings.map(\.message))")
        }
    }
}
