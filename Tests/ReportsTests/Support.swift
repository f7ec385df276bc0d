import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import Testing

/// Files the tests compare against: the copy in the test bundle, and the sources they came from.
enum Expected {
    /// `Tests/ReportsTests/Expected/` in the source tree, where `ROLLGATE_UPDATE_GOLDEN=1` writes.
    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Expected")

    /// The package root, three levels above this file.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A file of `Expected/` as copied into the test bundle.
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Expected", withExtension: nil)).appendingPathComponent(name)
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    static var junitSchema: URL {
        get throws { try url("junit.xsd") }
    }
}

/// Reads a rendered JUnit report back, as a CI server would.
struct JUnitDocument {
    let root: XMLElement

    init(_ xml: String) throws {
        root = try #require(try XMLDocument(xmlString: xml).rootElement())
    }

    func elements(_ xpath: String) throws -> [XMLElement] {
        try root.nodes(forXPath: xpath).compactMap { $0 as? XMLElement }
    }
}

extension XMLElement {
    func attribute(_ name: String) -> String? {
        attribute(forName: name)?.stringValue
    }

    func integer(_ name: String) -> Int? {
        attribute(name).flatMap { Int($0) }
    }
}
