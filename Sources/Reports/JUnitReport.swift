import Findings

/// JUnit XML for CI servers (Jenkins, GitLab, GitHub test reporters): one `testsuite` per step, one `testcase` per
/// finding, valid against `reference/junit.xsd`. Personal data in free text is masked.
public enum JUnitReport {
    public static func render(_ run: RunResult) throws -> String {
        var names = UniqueNames()
        let timestamp = ReportText.timestamp(run.startedAt)
        return try XMLWriter.document { xml in
            try xml.element("testsuites", [("name", clean("rollgate \(run.command)"))] + counts(run.findings)
                            + [("time", ReportText.seconds(run.seconds)), ("timestamp", timestamp)]) {
                for (index, step) in run.steps.enumerated() {
                    try suite(step, id: index, timestamp: timestamp, names: &names, xml)
                }
            }
        }
    }

    /// One step. Steps carry no start time of their own: `timestamp` is the run's start; `id` is the position.
    private static func suite(_ step: StepResult, id: Int, timestamp: String, names: inout UniqueNames,
                              _ xml: XMLWriter) throws {
        try xml.element("testsuite", [("name", clean("step-\(step.step) \(step.title)"))] + counts(step.findings)
                        + [("time", ReportText.seconds(step.seconds)), ("timestamp", timestamp), ("id", "\(id)")]) {
            let properties = self.properties(step)
            if !properties.isEmpty {
                try xml.element("properties") {
                    for property in properties {
                        try xml.element("property", [("name", property.name), ("value", clean(property.value))])
                    }
                }
            }
            for finding in step.findings {
                let name = names.claim(clean("\(finding.check) [\(finding.code)]"))
                try testcase(finding, classname: "rollgate.step\(step.step)", name: name, xml)
            }
        }
    }

    private static func properties(_ step: StepResult) -> [(name: String, value: String)] {
        var properties = [("step", "\(step.step)"), ("kind", step.kind), ("severity", step.severity.rawValue)]
        if let approval = step.approval { properties.append(("approval", approval)) }
        if !step.dependsOn.isEmpty {
            properties.append(("depends_on", step.dependsOn.map(String.init).joined(separator: ",")))
        }
        if let rationale = step.rationale { properties.append(("rationale", rationale)) }
        for reference in step.references ?? [] { properties.append(("reference", reference)) }
        return properties
    }

    /// The schema's order inside a testcase: skipped?, error*, failure*.
    private static func testcase(_ finding: Finding, classname: String, name: String, _ xml: XMLWriter) throws {
        let attributes = [("classname", classname), ("name", name), ("time", ReportText.seconds(finding.seconds))]
        try xml.element("testcase", attributes) {
            switch finding.verdict {
            case .passed:
                break
            case .skipped:
                try problem("skipped", message: finding.message, type: nil, body: finding.details, xml)
            case .error:
                try problem("error", message: finding.message, type: finding.code, body: finding.details, xml)
            case .failed:
                try problem("failure", message: "measured: \(finding.measured); expected: \(finding.expected)",
                            type: finding.code, body: [finding.message] + finding.details, xml)
            }
        }
    }

    private static func problem(_ element: String, message: String, type: String?, body: [String],
                                _ xml: XMLWriter) throws {
        var attributes = [(name: "message", value: clean(message))]
        if let type { attributes.append(("type", clean(type))) }
        let lines = body.filter { !$0.isEmpty }
        try xml.element(element, attributes) {
            if !lines.isEmpty { try xml.text(clean(lines.joined(separator: "\n"))) }
        }
    }

    private static func counts(_ findings: [Finding]) -> [(name: String, value: String)] {
        let verdicts = findings.map(\.verdict)
        func count(_ verdict: Verdict) -> String { "\(verdicts.filter { $0 == verdict }.count)" }
        return [("tests", "\(findings.count)"), ("failures", count(.failed)), ("errors", count(.error)),
                ("skipped", count(.skipped))]
    }

    /// Free text as it is written: personal data masked, characters XML forbids replaced.
    private static func clean(_ text: String) -> String {
        PersonalData.mask(text).replacingCharactersInvalidInXML
    }
}

/// Test case names unique across the whole report: GitLab merges test cases that share classname and name, so a
/// colliding name gets ` #2`, ` #3`, ….
private struct UniqueNames {
    private var used: Set<String> = []
    private var nextSuffix: [String: Int] = [:]

    mutating func claim(_ name: String) -> String {
        var candidate = name
        while !used.insert(candidate).inserted {
            let suffix = nextSuffix[name, default: 2]
            nextSuffix[name] = suffix + 1
            candidate = "\(name) #\(suffix)"
        }
        return candidate
    }
}
