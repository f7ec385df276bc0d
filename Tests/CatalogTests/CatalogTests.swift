import Catalog
import Foundation
import Mongo
import Testing

/// The rule files in checks/ and the loader's strictness.
@Suite struct CatalogTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let checks = repositoryRoot.appendingPathComponent("checks")

    static func brokenRule(_ name: String) -> URL {
        Bundle.module.url(forResource: "BrokenRules/\(name)", withExtension: nil)!
    }

    @Test func everyRuleFileInChecksLoads() throws {
        let catalog = try Catalog.load(directory: Self.checks)
        #expect(catalog.stepNumbers == Array(19...30))
    }
}
