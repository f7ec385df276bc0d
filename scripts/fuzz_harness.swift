// libFuzzer entry point for scripts/fuzz-libfuzzer.sh: one input through the rule-file parser, the approval-file
// reader and the STEPS parser. A crash, a hang (libFuzzer's -timeout) or an error that is not a CatalogError with a
// location fails the run. Not part of the package: the script compiles it against an instrumented build.
@testable import Catalog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try RuleFileParser(file: "fuzz.yaml").parse(text)
    } catch {
        precondition(error.location != nil && !error.description.contains("\n"), "\(error)")
    }
    do {
        _ = try ApprovalFile.parse(text, file: "approve.yaml")
    } catch {
        precondition(error.location != nil && !error.description.contains("\n"), "\(error)")
    }
    do {
        _ = try StepSelection.parse(text, available: Array(19...30))
    } catch {
        precondition(!error.description.contains("\n"), "\(error)")
    }
    return 0
}
