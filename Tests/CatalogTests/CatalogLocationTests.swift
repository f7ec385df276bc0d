import Catalog
import Foundation
import Testing

/// Where the rule files come from without flags, in order, and the SHA-256 that names them in reports.
struct CatalogLocationTests {
    /// A fake installation: PREFIX/bin/rollgate and PREFIX/share/rollgate/checks holding the repository's rules; a
    /// working directory without `checks`.
    struct Layout {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rollgate-layout-\(UUID())")
        var executable: URL { root.appendingPathComponent("usr/bin/rollgate") }
        var installed: URL { root.appendingPathComponent("usr/share/rollgate/checks") }
        var work: URL { root.appendingPathComponent("work") }

        init() throws {
            let files = FileManager.default
            try files.createDirectory(at: executable.deletingLastPathComponent(), withIntermediateDirectories: true)
            files.createFile(atPath: executable.path, contents: Data())
            try files.createDirectory(at: installed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try files.copyItem(at: CatalogTests.checks, to: installed)
            try files.createDirectory(at: work, withIntermediateDirectories: true)
        }

        func find(flag: String? = nil, environment: [String: String] = [:]) throws -> CatalogLocation {
            try CatalogLocation.find(flag: flag, environment: environment, currentDirectory: work, executable: executable)
        }
    }

    @Test func theFlagThenTheVariableThenTheWorkingDirectoryThenTheInstalledCatalog() throws {
        let layout = try Layout()
        defer { try? FileManager.default.removeItem(at: layout.root) }
        #expect(try layout.find() == CatalogLocation(directory: layout.installed, origin: .installed))
        let installed = try layout.find().load()
        #expect(installed.stepNumbers == Array(19...30) && installed.rules?.origin == "installed with rollgate")

        try FileManager.default.createDirectory(at: layout.work.appendingPathComponent("checks"), withIntermediateDirectories: true)
        #expect(try layout.find().origin == .workingDirectory)
        #expect(try layout.find(environment: ["ROLLGATE_CHECKS": "/elsewhere"]) ==
                CatalogLocation(directory: URL(fileURLWithPath: "/elsewhere"), origin: .environment))
        #expect(try layout.find(flag: "mine", environment: ["ROLLGATE_CHECKS": "/elsewhere"]).origin == .flag)
        #expect(try layout.find(environment: ["ROLLGATE_CHECKS": ""]).origin == .workingDirectory, "an empty variable is unset")
    }

    @Test func withoutAnyCatalogTheErrorSaysWhereItLooked() throws {
        let layout = try Layout()
        defer { try? FileManager.default.removeItem(at: layout.root) }
        try FileManager.default.removeItem(at: layout.installed)
        #expect(throws: CatalogError.noCatalog(looked: [layout.work.appendingPathComponent("checks").path, layout.installed.path])) {
            try layout.find()
        }
        #expect("\(CatalogError.noCatalog(looked: ["./checks", "/usr/share/rollgate/checks"]))" == "no rule files found "
            + "(looked in ./checks and /usr/share/rollgate/checks): pass --checks DIR or set $ROLLGATE_CHECKS")
    }

    @Test func theFingerprintNamesExactlyTheRuleFiles() throws {
        let layout = try Layout()
        defer { try? FileManager.default.removeItem(at: layout.root) }
        let original = try #require(Catalog.fingerprint(directory: layout.installed))
        #expect(original == Catalog.fingerprint(directory: CatalogTests.checks), "the same files, the same SHA-256")
        #expect(original.count == 64 && original.allSatisfy(\.isHexDigit))
        let file = layout.installed.appendingPathComponent("step-23-billing-one-time-orders.yaml")
        let handle = try FileHandle(forWritingTo: file)
        handle.seekToEndOfFile()
        handle.write(Data("\n".utf8))
        try handle.close()
        #expect(Catalog.fingerprint(directory: layout.installed) != original, "one byte more, another SHA-256")
        #expect(try Catalog.load(directory: layout.installed).rules?.sha256 == Catalog.fingerprint(directory: layout.installed))
    }
}
