import ArgumentParser
import Catalog
import Foundation
import Logging

/// The `rollgate` command: audits and rolls back the database changes the rule files describe.
struct RollGate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollgate",
        abstract: "Audit and roll back the database changes \(CatalogHelp.rollout).",
        discussion: """
            Exit codes: 0 all gating checks pass; 1 findings at or above --fail-on; 2 invalid input; \
            3 environment failure (cannot connect, server error, timeout); 4 refused.
            """,
        version: versionText,
        subcommands: [AuditCommand.self, PlanCommand.self, RollbackCommand.self, ReapplyCommand.self, EmergencyCommand.self,
                      StatusCommand.self, HistoryCommand.self, DetailsCommand.self, EvidenceCommand.self, BackupsCommand.self,
                      ChecksCommand.self, SeedCommand.self, DoctorCommand.self]
    )
}

extension RollGate {
    /// The tool's version, as the reports give it.
    static let version = "0.1.0"

    /// `rollgate --version`: the version, and the catalog a run from here would apply, with its SHA-256.
    static var versionText: String {
        guard let location = try? CatalogLocation.find(flag: nil) else {
            return "rollgate \(version)\ncatalog: none found (pass --checks DIR or set $ROLLGATE_CHECKS)"
        }
        let sha = Catalog.fingerprint(directory: location.directory) ?? "unreadable"
        return "rollgate \(version)\ncatalog: \(location.directory.relativePath) (\(location.origin.rawValue)), sha256 \(sha)"
    }
}

/// Entry point: parses, runs, and maps every failure to RollGate's documented exit codes. swift-argument-parser
/// would exit 64 on a usage error; RollGate's contract says 2.
@main
enum Main {
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["ROLLGATE_LOG_LEVEL"]
                .flatMap(Logger.Level.init(rawValue:)) ?? .warning
            return handler
        }
        do {
            var command = try RollGate.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if RollGate.exitCode(for: error) == .validationFailure {
                let message = RollGate.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
                let names = RollGate.configuration.subcommands.map { $0.configuration.commandName ?? "" }
                let command = CommandLine.arguments.dropFirst().first.flatMap { names.contains($0) ? " " + $0 : nil } ?? ""
                Terminal.error("rollgate: error: \(message)\n(see 'rollgate\(command) --help')")
                Foundation.exit(ExitStatus.invalidInput.rawValue)
            }
            RollGate.exit(withError: error)
        }
    }
}
