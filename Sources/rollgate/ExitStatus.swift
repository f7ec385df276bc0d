import ArgumentParser
import Catalog
import Mongo
import Reports
import Seed

/// RollGate's exit codes: stable, documented in Docs/exit-codes.md.
enum ExitStatus: Int32 {
    case success = 0
    /// Findings at or above `--fail-on`.
    case findings = 1
    /// Invalid input: arguments, rule file, approval file, connection string.
    case invalidInput = 2
    /// Environment failure: cannot connect, authentication, server error, timeout.
    case environment = 3
    /// Refused: approval missing or expired, lock held, not without `--force` / `--drop`.
    case refused = 4

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// MongoDB's `Unauthorized`: the user is authenticated but lacks a privilege.
private let unauthorizedCode = 13

/// Runs a command body, turning RollGate's errors into one line on stderr and the matching exit code.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as MongoError {
        let hint = if case .server(code: unauthorizedCode, _, _) = error {
            " (this user lacks a privilege RollGate needs for this command: Docs/access.md lists the roles)"
        } else { "" }
        Terminal.failure("\(error)\(hint)")
        if case .invalidURI = error { throw ExitStatus.invalidInput.exitCode }
        throw ExitStatus.environment.exitCode
    } catch let error as SeedError {
        Terminal.failure("\(error)")
        throw ExitStatus.refused.exitCode
    } catch let error as CatalogError {
        Terminal.failure("\(error)")
        throw ExitStatus.invalidInput.exitCode
    } catch let error as StepSelection.Invalid {
        Terminal.failure("invalid steps: \(error)")
        throw ExitStatus.invalidInput.exitCode
    } catch let error as ReportError {
        Terminal.failure("\(error)")
        throw ExitStatus.environment.exitCode
    }
}
