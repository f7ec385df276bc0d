import Foundation
import Reports
import Testing

struct JUnitSchemaTests {
    private func errors(_ xml: String) throws -> [String] {
        try JUnitSchema.validate(xml, schemaAt: Expected.junitSchema)
    }

    @Test func acceptsAMinimalReport() throws {
        let xml = #"<testsuites><testsuite name="s" tests="1"><testcase name="t" time="0.5"/></testsuite></testsuites>"#
        #expect(try errors(xml) == [])
    }

    @Test(arguments: [
        (#"<testsuites><testsuite name="s" tests="1"><testcase classname="c"/></testsuite></testsuites>"#,
         "'name' is required"),
        (#"<testsuites><testsuite name="s" tests="0"><properties/></testsuite></testsuites>"#, "properties"),
        (#"<testsuites><testsuite name="s" tests="1"><testcase name="t"><failure/><skipped/></testcase>"#
            + "</testsuite></testsuites>", "skipped"),
        (#"<testsuites><testsuite name="s" tests="1"><testcase name="t" time="1,5"/></testsuite></testsuites>"#,
         "time"),
        (#"<testsuites><testsuite tests="0"/></testsuites>"#, "'name' is required"),
    ])
    func rejectsInvalidReports(_ xml: String, mentioning fragment: String) throws {
        let problems = try errors(xml)
        #expect(!problems.isEmpty)
        #expect(problems.contains { $0.contains(fragment) }, "\(problems)")
        #expect(problems.allSatisfy { $0.hasPrefix("line 1: ") }, "\(problems)")
    }

    @Test func rejectsXMLThatIsNotWellFormed() throws {
        let problems = try errors("<testsuites><testsuite name=\"a\u{1}\" tests=\"0\"/></testsuites>")
        #expect(problems == ["not well-formed: line 1: PCDATA invalid Char value 1"], "\(problems)")
        #expect(try errors("") == ["not well-formed: line 1: Document is empty"])
        #expect(try errors("<testsuites>\n<testsuite>")
            == ["not well-formed: line 2: Premature end of data in tag testsuite line 2"])
    }

    @Test func validatesAgainstSchemaText() throws {
        let xsd = try String(contentsOf: Expected.junitSchema, encoding: .utf8)
        #expect(try JUnitSchema.validate(#"<testsuites/>"#, schema: xsd) == [])
        #expect(try JUnitSchema.validate(#"<testsuite/>"#, schema: xsd) != [])
    }

    @Test func anUnusableSchemaThrows() throws {
        #expect(throws: ReportError.self) { try JUnitSchema.validate("<a/>", schema: "<not-a-schema/>") }
        let malformed = #expect(throws: ReportError.self) { try JUnitSchema.validate("<a/>", schema: "<xs:schema") }
        guard case .invalidSchema(let messages) = malformed else {
            Issue.record("\(String(describing: malformed))")
            return
        }
        #expect(messages.first == "line 1: Namespace prefix xs on schema is not defined", "\(messages)")
        let missing = URL(fileURLWithPath: "/nonexistent/junit.xsd")
        #expect(throws: ReportError.self) { try JUnitSchema.validate("<a/>", schemaAt: missing) }
    }

    /// The bundled schema is a copy of the shared reference, which stays the source of truth.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: JUnitSchemaTests.sharedSchema.path),
                   "no ../shared next to the package"))
    func bundledSchemaIsTheSharedReference() throws {
        #expect(try Data(contentsOf: Expected.junitSchema) == Data(contentsOf: Self.sharedSchema))
    }

    static let sharedSchema = Expected.packageRoot
        .appendingPathComponent("../shared/reference/junit.xsd").standardizedFileURL
}
