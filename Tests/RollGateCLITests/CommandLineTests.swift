import Catalog
import Foundation
import Mongo
import TestSupport
import Testing

/// The `rollgate` executable: help, exit codes, and one-line errors without secrets.
@Suite struct CommandLineTests {
    @Test func rootHelpListsTheCommands() throws {
        let result = try RollGateProcess.run(["--help"])
        #expect(result.status == 0, "\(result)")
        for command in ["audit", "checks", "seed", "doctor"] { #expect(result.stdout.contains(command)) }
        #expect(result.stdout.contains("Exit codes"))
    }

    @Test(arguments: ["seed", "doctor", "audit"])
    func everySubcommandHasHelp(command: String) throws {
        let result = try RollGateProcess.run([command, "--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("--uri") && result.stdout.contains("ROLLGATE_URI"))
    }

    /// Help texts name steps from the catalog and the product from Seed: for steps 19–30 they read as they did when
    /// the examples were written by hand.
    @Test(arguments: [
        (["audit", "--help"], "Steps to audit: 23, 20-23, 19,21,23 or all."),
        (["plan", "--help"], "Steps: 23, 20-23 (run in reverse: 23, 22, 21, 20), 19,21,23 or all."),
        (["rollback", "--help"], "Steps run highest first (20-23: 23, 22, 21, 20)."),
        (["reapply", "--help"], "Re-apply steps in ascending order (19, 20, …) after rolling back several."),
        (["seed", "--help"], "States: applied (steps 19–30 in place, eight indexes), none (no step applied:"),
        (["seed", "--help"], "Generate the EarlyBird collections"),
    ])
    func helpNamesTheCatalogsSteps(arguments: [String], text: String) throws {
        let result = try RollGateProcess.run(arguments)
        #expect(result.status == 0, "\(result)")
        let flowing = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flowing.contains(text), "\(flowing)")
    }

    @Test(arguments: [
        ["seed", "--orders", "0"],
        ["seed", "--orders", "many"],
        ["seed", "--state", "half-applied"],
        ["seed", "--as-of", "2026-13-45"],
        ["seed", "--as-of", "yesterday"],
        ["seed", "--batch-size", "0"],
        ["doctor", "--timeout", "-1"],
        ["audit", "--operation-timeout", "0"],
        ["doctor", "--db", "earl/bird"],
        ["doctor", "--no-such-flag"],
        ["no-such-command"],
    ])
    func invalidArgumentsExitTwoWithAClearMessage(arguments: [String]) throws {
        let result = try RollGateProcess.run(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.lowercased().contains("error"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    /// A catalog named by `--checks` that cannot be read is an error naming it, not a doctor report saying none was
    /// found (the server is never asked).
    @Test func doctorWithAMistypedChecksDirectoryExitsTwo() throws {
        let result = try RollGateProcess.run(["doctor", "--checks", "/nonexistent/rollgate-checks",
                                              "--uri", "mongodb://127.0.0.1:9", "--timeout", "1"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("/nonexistent/rollgate-checks"), "\(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func malformedURIExitsTwoWithoutThePassword() throws {
        let result = try RollGateProcess.run(["doctor", "--uri", "mongodb://ops:Very:Secret@db.example:notaport"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("invalid connection string"))
        #expect(!result.stderr.contains("Very:Secret") && !result.stderr.contains("Secret"), "\(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    @Test func unreachableServerExitsThreeWithinTheTimeout() throws {
        let result = try RollGateProcess.run(["doctor", "--uri", "mongodb://ops:Hidden99@127.0.0.1:9", "--timeout", "1.5"])
        #expect(result.status == 3, "\(result)")
        #expect(result.seconds < 6, "took \(result.seconds) s")
        #expect(result.stderr.contains("cannot connect"))
        #expect(!result.stderr.contains("Hidden99") && !result.stdout.contains("Hidden99"))
    }

    @Test(.enabled(if: TestServer.authIsAvailable, "ROLLGATE_TEST_AUTH_URI is not set"))
    func wrongPasswordExitsThreeWithoutThePassword() throws {
        let good = TestServer.authURI!
        let bad = good.replacingOccurrences(of: Redactor.password(inURI: good)!, with: "NotThePassword42")
        let result = try RollGateProcess.run(["doctor", "--uri", bad, "--timeout", "3"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("authentication failed"), "\(result)")
        #expect(!(result.stderr + result.stdout).contains("NotThePassword42"))

        let ok = try RollGateProcess.run(["doctor", "--db", TestServer.freshDatabase("cli_auth")],
                                         environment: ["ROLLGATE_URI": good])
        #expect(ok.status == 0, "\(ok)")
        #expect(!ok.stdout.contains(Redactor.password(inURI: good)!), "the doctor prints the URI masked")
    }

    /// A large step's single update can run for many minutes: commands that change data wait a day for a reply by
    /// default (libmongoc's 5 minutes cut step 26 off at 1,000,000 orders); the others keep the shorter defaults.
    @Test func commandsThatChangeDataWaitADayForAReplyByDefault() throws {
        let closed = ["--uri", "mongodb://127.0.0.1:9", "--timeout", "1"]
        for (arguments, expected) in [
            (["rollback", "20", "--operator", "asha"], "reply timeout 86400 s"),
            (["reapply", "20", "--operator", "asha"], "reply timeout 86400 s"),
            (["rollback", "20", "--operator", "asha", "--operation-timeout", "90"], "reply timeout 90 s"),
            (["status"], "reply timeout 300 s"),
        ] as [([String], String)] {
            let result = try RollGateProcess.run(arguments + closed, environment: ["ROLLGATE_LOG_LEVEL": "debug"])
            #expect(result.status == 3, "\(arguments): \(result)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result)")
        }
    }
}


/// Commands that need the test server.
@Suite(.enabled(if: TestServer.isAvailable, TestServer.skipReason))
struct ServerCommandLineTests {
    @Test func seedThenDoctorReportsTheCollections() throws {
        let db = TestServer.freshDatabase("cli_seed")
        defer { try? TestServer.pool().withClient { _ = try? $0.database(db).runCommand(["dropDatabase": 1]) } }
        let seed = try RollGateProcess.run(["seed", "--uri", TestServer.uri!, "--db", db, "--orders", "1500",
                                            "--state", "defects", "--seed", "5", "--json"])
        #expect(seed.status == 0, "\(seed)")
        #expect(seed.stderr.isEmpty, "no progress bar when stderr is not a terminal: \(seed.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(seed.stdout.utf8)) as? [String: Any]
        let documents = summary?["documents"] as? [String: Int]
        #expect(documents?["orders"] == 1_500)
        #expect((summary?["defects"] as? [String: Any])?["futureDeliveries"] as? Int == 3)

        let doctor = try RollGateProcess.run(["doctor", "--db", db], environment: ["ROLLGATE_URI": TestServer.uri!])
        #expect(doctor.status == 0, "\(doctor)")
        #expect(doctor.stdout.contains("orders") && doctor.stdout.contains("1,500 documents"), "\(doctor)")
        #expect(doctor.stdout.contains("All good."))

        let refused = try RollGateProcess.run(["seed", "--uri", TestServer.uri!, "--db", db, "--orders", "10"])
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("--drop"))

        let text = try RollGateProcess.run(["seed", "--uri", TestServer.uri!, "--db", db, "--orders", "100",
                                            "--state", "defects", "--drop", "--as-of", "2026-01-31"])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("as of 2026-01-31") && text.stdout.contains("Planted defects:"), "\(text)")
    }

    /// `--version` names the catalog a run from here would apply, with its SHA-256; without one anywhere, a command
    /// that needs it exits 2 saying where it looked.
    @Test func versionNamesTheCatalogAndNoCatalogIsInvalidInput() throws {
        let version = try RollGateProcess.run(["--version"], currentDirectory: AuditCommandTests.root)
        let sha = try #require(Catalog.fingerprint(directory: AuditCommandTests.root.appendingPathComponent("checks")))
        #expect(version.status == 0 && version.stdout.contains("catalog: checks (./checks), sha256 \(sha)"), "\(version)")
        let variable = try RollGateProcess.run(["--version"], environment: ["ROLLGATE_CHECKS": AuditCommandTests.checks],
                                               currentDirectory: FileManager.default.temporaryDirectory)
        #expect(variable.stdout.contains("($ROLLGATE_CHECKS), sha256 \(sha)"), "\(variable)")

        // From a directory without checks/, and no catalog installed beside the built executable.
        let nowhere = try RollGateProcess.run(["plan", "23", "--uri", "mongodb://127.0.0.1:9", "--timeout", "1"],
                                              currentDirectory: FileManager.default.temporaryDirectory)
        #expect(nowhere.status == 2 && nowhere.stderr.contains("no rule files found (looked in ")
                && nowhere.stderr.contains("pass --checks DIR or set $ROLLGATE_CHECKS"), "\(nowhere)")
    }
}
