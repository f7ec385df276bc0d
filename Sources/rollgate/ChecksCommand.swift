import ArgumentParser
import Catalog
import Foundation
import Reports

/// `rollgate checks`: work with the rule files.
struct ChecksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks",
        abstract: "Work with the rule files in checks/.",
        subcommands: [Lint.self]
    )

    /// `rollgate checks lint [DIR]`: load every rule file strictly, as the audit would.
    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the rule files and procedure.yaml: unknown keys, wrong types, bad filters, duplicate steps, dependencies, the procedure's steps and collections.",
            discussion: "Exit 0 when every file loads, 2 with a file:line message for the first problem.")

        @Argument(help: checksHelp)
        var directory: String?

        func run() throws {
            do {
                let location = try CatalogLocation.find(flag: directory)
                print(CatalogText.render(try location.load().summary(directory: location.directory.relativePath)))
            } catch {
                Terminal.failure("\(error)")
                throw ExitStatus.invalidInput.exitCode
            }
        }
    }
}
