import Audit
import Catalog
import Findings
import Foundation
import Testing

/// The HTTP checks of steps 24 and 28: an API that cannot be reached is an error for each check, not a failure.
@Suite struct HTTPProbeTests {
    @Test func anUnreachableAPIIsAnErrorNotAFailure() async throws {
        let catalog = try Catalog.load(directory: AuditTests.checks)
        var step = try #require(catalog.step(24))
        step.dependsOn = []
        let results = try await Auditor(catalog: try Catalog(steps: [step]), pool: try MongoPoolForHTTP.make(), database: "unused",
                                    options: AuditOptions(apiURL: URL(string: "http://127.0.0.1:9")!,
                                                          probeTimeout: .seconds(3))).run(steps: [24])
        let requests = results[0].findings.filter { !$0.check.hasSuffix("wrong-role") }
        #expect(requests.count == 3 && requests.allSatisfy { $0.verdict == .error && $0.code == "RG-PROBE-001" },
                "\(results[0].findings)")
        #expect(requests.allSatisfy { $0.message.contains("could not connect") && $0.message.contains("--api-url") },
                "in plain words: \(requests.map(\.message))")
    }
}

import Mongo

enum MongoPoolForHTTP {
    static func make() throws -> MongoPool { try MongoPool(ConnectionSettings(uri: "mongodb://127.0.0.1:9")) }
}

/// Tag extraction from an OpenAPI document, without a server.
@Suite struct OpenAPITagTests {
    @Test func tagsComeFromTheTopAndFromOperations() {
        let json = #"{"tags": [{"name": "orders"}, {"name": "delivery"}], "paths": {"/x": {"post": {"tags": ["products"]}}}}"#
        #expect(HTTPCheckTags.tags(json) == ["orders", "delivery", "products"])
        #expect(HTTPCheckTags.tags("not json").isEmpty)
    }
}
