import Findings
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import Testing

struct JUnitReportTests {
    @Test(arguments: Fixtures.all)
    func validatesAgainstTheSchema(_ fixture: NamedRun) throws {
        let xml = try JUnitReport.render(fixture.run)
        #expect(try JUnitSchema.validate(xml, schemaAt: Expected.junitSchema) == [], "\(fixture.name)")
    }

    @Test(arguments: Fixtures.all)
    func countsMatchTheFindings(_ fixture: NamedRun) throws {
        let document = try JUnitDocument(JUnitReport.render(fixture.run))
        func expectCounts(_ element: XMLElement, _ findings: [Finding]) {
            #expect(element.integer("tests") == findings.count)
            #expect(element.integer("failures") == findings.filter { $0.verdict == .failed }.count)
            #expect(element.integer("errors") == findings.filter { $0.verdict == .error }.count)
            #expect(element.integer("skipped") == findings.filter { $0.verdict == .skipped }.count)
        }
        #expect(document.root.name == "testsuites")
        #expect(document.root.attribute("name") == "rollgate audit")
        expectCounts(document.root, fixture.run.findings)
        let suites = try document.elements("testsuite")
        #expect(suites.count == fixture.run.steps.count)
        for (suite, step) in zip(suites, fixture.run.steps) {
            expectCounts(suite, step.findings)
            #expect(try document.elements("testsuite[@id='\(suite.attribute("id") ?? "")']/testcase").count
                == step.findings.count)
            #expect(try suite.nodes(forXPath: "testcase/failure").count
                == step.findings.filter { $0.verdict == .failed }.count)
            #expect(try suite.nodes(forXPath: "testcase/error").count
                == step.findings.filter { $0.verdict == .error }.count)
            #expect(try suite.nodes(forXPath: "testcase/skipped").count
                == step.findings.filter { $0.verdict == .skipped }.count)
        }
    }

    @Test func suitesCarryStepMetadata() throws {
        let document = try JUnitDocument(JUnitReport.render(Fixtures.failing))
        let billing = try #require(try document.elements("testsuite").first)
        #expect(billing.attribute("name") == "step-23 Billing of one-time orders")
        #expect(billing.attribute("timestamp") == "2026-02-01T10:00:00Z")
        let properties = try document.elements("testsuite[1]/properties/property")
            .map { "\($0.attribute("name") ?? "")=\($0.attribute("value") ?? "")" }
        #expect(properties == ["step=23", "kind=data", "severity=critical", "approval=finance", "depends_on=19,20,22"])
        let testcase = try #require(try document.elements("testsuite[1]/testcase").first)
        #expect(testcase.attribute("classname") == "rollgate.step23")
        #expect(testcase.attribute("name") == "orders.billed [RG-SCHEMA-001]")
        let failure = try #require(try document.elements("testsuite[1]/testcase[1]/failure").first)
        #expect(failure.attribute("type") == "RG-SCHEMA-001")
        #expect(failure.attribute("message") == "measured: 9,996 of 10,000 orders; expected: all 10,000")
        #expect(failure.stringValue
            == "4 delivered one-time orders lack billed\nsample id 0b6f3c1e-9d2a-4f7e-8a41-2c5d9e7f1a30")
        let noApproval = try document.elements("testsuite[4]/properties/property").compactMap { $0.attribute("name") }
        #expect(noApproval == ["step", "kind", "severity"])
    }

    @Test(arguments: Fixtures.all)
    func testcaseNamesAreUniqueAcrossTheReport(_ fixture: NamedRun) throws {
        let testcases = try JUnitDocument(JUnitReport.render(fixture.run)).elements("//testcase")
        let names = testcases.compactMap { $0.attribute("name") }
        #expect(names.count == fixture.run.findings.count)
        #expect(Set(names).count == names.count, "\(names)")
    }

    @Test func collidingNamesGetSuffixes() throws {
        let names = try JUnitDocument(JUnitReport.render(Fixtures.hostile)).elements("testsuite[1]/testcase")
            .compactMap { $0.attribute("name") }
        #expect(names == ["a|b <c> & `d` [RG-SCHEMA-001]", "a|b <c> & `d` [RG-SCHEMA-001] #2",
                          "a|b <c> & `d` #2 [RG-SCHEMA-001]"])
    }

    @Test func timesUseADotWhateverTheLocale() throws {
        let previous = setlocale(LC_ALL, nil).map { String(cString: $0) } ?? "C"
        defer { setlocale(LC_ALL, previous) }
        // This machine may have no German locale; the assertions hold either way.
        let candidates: [String] = ["de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8"]
        _ = candidates.first { setlocale(LC_ALL, $0) != nil }
        let xml = try JUnitReport.render(Fixtures.failing)
        let times = xml.matches(of: /time="([^"]*)"/).map { String($0.output.1) }
        #expect(times.count == 1 + 4 + 10)
        #expect(times.allSatisfy { $0.wholeMatch(of: /[0-9]+\.[0-9]{3}/) != nil }, "\(times)")
        #expect(Array(times.prefix(3)) == ["12.346", "0.750", "0.235"])
    }

    @Test func controlCharactersAreReplacedAndMarkupEscaped() throws {
        let xml = try JUnitReport.render(Fixtures.hostile)
        let forbidden = xml.unicodeScalars.filter {
            ($0.value < 0x20 && ![0x9, 0xA, 0xD].contains($0.value)) || $0.value == 0xFFFE || $0.value == 0xFFFF
        }
        #expect(forbidden.isEmpty)
        #expect(xml.contains("\u{FFFD}"))
        #expect(xml.contains("🥛"))
        #expect(xml.contains("a|b &lt;c&gt; &amp; `d`"))
        let document = try JUnitDocument(xml)
        #expect(try document.elements("testsuite[1]").first?.attribute("name")
            == "step-25 # Audit <fields> & \"quotes\" | 'pipes' `ticks` 🥛")
    }

    @Test func personalDataIsMasked() throws {
        let xml = try JUnitReport.render(Fixtures.hostile)
        for secret in ["ravi.kumar@example.com", "49.36.12.7", "98765 43210", "Mozilla/5.0", "SM-A145F"] {
            #expect(!xml.contains(secret), "\(secret)")
        }
        #expect(xml.contains("[email]") && xml.contains("[ip]") && xml.contains("[phone]") && xml.contains("[device]"))
    }
}
