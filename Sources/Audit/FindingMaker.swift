import Catalog
import Findings
import Foundation

/// Builds the findings of one probe with the step's facts filled in.
struct FindingMaker {
    let step: StepRule
    let probe: ProbeRule

    var severity: Severity { probe.severity ?? step.severity }

    func make(_ code: String, check: String? = nil, title: String? = nil, verdict: Verdict,
              severity: Severity? = nil, measured: String = "", expected: String = "", message: String = "",
              figures: [String: Double] = [:], details: [String] = [], seconds: Double = 0) -> Finding {
        Finding(code: code, step: step.step, check: check ?? probe.id, title: title ?? probe.title, verdict: verdict,
                severity: severity ?? self.severity, measured: measured, expected: expected, message: message,
                figures: figures, details: details, seconds: seconds)
    }

    /// The probe could not gather its facts: an error finding for this check; the run goes on.
    func error(_ error: any Error, check: String? = nil, seconds: Double = 0) -> Finding {
        make(FindingCode.probeError, check: check, verdict: .error, message: "probe could not run: \(error)",
             seconds: seconds)
    }

    func skipped(_ reason: String, check: String? = nil, details: [String] = []) -> Finding {
        make(FindingCode.manual, check: check, verdict: .skipped, message: reason, details: details)
    }
}


