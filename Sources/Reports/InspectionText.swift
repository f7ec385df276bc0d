import Findings
import Foundation

/// The rollback history on the terminal: one line per entry, newest first.
public enum HistoryText {
    public static func render(_ entries: [HistoryEntry]) -> String {
        entries.isEmpty ? "no rollback history" : entries.map(line).joined(separator: "\n")
    }

    /// `2026-12-06T15:48:02Z  step 20  execute  rolled-back  by asha  247 documents  backup rollback_backup_20_…`.
    public static func line(_ entry: HistoryEntry) -> String {
        let affected = switch entry.affected {
        case .documents(let documents): "\(documents) documents"
        case .counts(let counts): counts.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
        case .unknown: ""
        }
        let backups = switch entry.backups {
        case .chain(let names): "  backups " + names.joined(separator: " + ")
        case .single(let name): "  backup \(name)"
        case .none: ""
        }
        return "\(entry.time?.formatted(.iso8601) ?? "?")  step \(entry.step)  \(entry.mode ?? "?")  "
            + "\(entry.status ?? "?")  by \(entry.operator_ ?? "?")  \(affected)" + backups
    }
}

/// `rollgate status` on the terminal: labelled lines, then the chains, the backups holding personal data and the
/// newest history entries.
public enum StatusText {
    public static func render(_ status: StatusSummary) -> String {
        var lines = [
            "total operations:         \(status.operations) (in \(status.steps.count) steps)",
            "rollback history entries: \(status.historyEntries)",
            "available steps:          \(status.steps.map(String.init).joined(separator: ", "))",
            "lock:                     " + (status.lock.map { "held by \($0.owner) until \($0.expires.formatted(.iso8601))" } ?? "free"),
            "backups:                  \(status.backups.count)" + (status.backups.max().map { " (newest: \($0))" } ?? ""),
            "backup chains (re-apply restores each whole):",
        ]
        if status.chains.isEmpty { lines.append("  none") }
        lines += status.chains.map { chain in
            "  step \(chain.step): " + chain.backups.map { "\($0.name) (\($0.state))" }.joined(separator: " + ")
        }
        if !status.personalData.isEmpty {
            lines.append("backups holding personal data (protect them; rollgate backups purge --older-than DAYS removes them):")
            lines += status.personalData.map { "  \($0.backup): \($0.fields.joined(separator: ", "))" }
        }
        lines.append("recent rollbacks:")
        if status.recent.isEmpty { lines.append("  none") }
        lines += status.recent.map { "  " + HistoryText.line($0) }
        return lines.joined(separator: "\n")
    }
}

/// `rollgate details STEP` on the terminal: the step, its operations done or pending, its backups, its checklist.
public enum DetailsText {
    public static func render(_ details: StepDetails) -> String {
        var lines = ["Step \(details.step): \(details.title) (\(details.kind)"
            + (details.approval.map { ", approval: \($0)" } ?? "") + (details.recommended ? "" : ", not recommended") + ")"]
        lines.append("operations:")
        if details.operations.isEmpty { lines.append("  none in the database") }
        lines += details.operations.map { operation in
            "  [\(operation.documents == 0 ? "done" : "pending")] \(operation.collection): \(operation.description) "
                + "(\(grouped(operation.documents)))"
        }
        if !details.backups.isEmpty {
            lines.append("backups (oldest first; the chain is what a plain re-apply restores):")
            lines += details.backups.map { backup in
                let role = backup.reappliedBy.map { "re-applied by run \($0)" }
                    ?? (backup.usable ? "in the chain" : "unused: nothing saved")
                return "  \(backup.name)  \(backup.state), \(role)"
            }
        }
        if !details.manual.isEmpty {
            lines.append("manual checklist:")
            lines += details.manual.map { "  - " + $0 }
        }
        if !details.dependsOn.isEmpty { lines.append("depends on: \(details.dependsOn.map(String.init).joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}

/// A re-apply on the terminal: what was restored, and the conflicts left alone.
public enum ReapplyText {
    /// What was restored from which backups, then the first conflicting ids (the file beside the reports lists them
    /// all); or that an earlier re-apply already restored everything.
    public static func render(_ summary: ReapplySummary) -> String {
        if let earlier = summary.alreadyReappliedBy {
            return "Step \(summary.step): nothing to re-apply: every backup of it was restored by re-apply run \(earlier) "
                + "(--backup NAME restores one again)"
        }
        var lines = ["Step \(summary.step) re-applied from \(summary.backups.joined(separator: " + ")): "
            + "\(grouped(summary.restored)) documents restored, \(grouped(summary.unchanged)) already as they were, "
            + "\(grouped(summary.indexesRestored)) indexes, \(grouped(summary.conflicts)) conflicts"
            + String(format: " (%.1f s)", summary.seconds)]
        if summary.conflicts > 0 {
            lines.append("Conflicts (changed since the rollback, left alone; --overwrite restores them): "
                + summary.conflictSamples.joined(separator: ", ") + (summary.conflicts > summary.conflictSamples.count ? ", …" : ""))
        }
        return lines.joined(separator: "\n")
    }

    /// The line naming the file that lists every conflict.
    public static func conflictList(_ conflicts: Int, file: String) -> String {
        "Every conflict (\(grouped(conflicts))): \(file)"
    }
}

/// `rollgate doctor` on the terminal: the server, the features RollGate relies on, the collections.
public enum DoctorText {
    static let featureWidth = 15, collectionWidth = 20, countWidth = 12

    public static func render(_ report: DoctorReport) -> String {
        var lines = ["RollGate doctor", "  server    \(report.server)", "  version   \(report.version)",
                     "  topology  \(report.topology)",
                     "  catalog   " + (report.catalog.map { "\($0), sha256 \(report.catalogSHA256 ?? "unreadable")" }
                         ?? "none found (pass --checks DIR or set $ROLLGATE_CHECKS)"),
                     "", "Features RollGate relies on:"]
        for feature in report.features {
            lines.append("  \(feature.available ? "ok  " : "FAIL") \(feature.name.padded(to: featureWidth)) \(feature.detail)")
        }
        lines += ["", "Database '\(report.database)':"]
        for facts in report.collections {
            let count = facts.exists ? "\(grouped(facts.documents).leftPadded(to: countWidth)) documents, \(facts.indexes) indexes"
                : "         (absent)"
            lines.append("  \(facts.name.padded(to: collectionWidth))\(count)")
        }
        lines += ["", report.healthy ? "All good." : "Some features RollGate relies on are missing."]
        return lines.joined(separator: "\n")
    }
}

/// `rollgate seed` on the terminal: the documents of each collection, the indexes, the planted defects.
public enum SeedText {
    static let collectionWidth = 20, countWidth = 12

    public static func render(_ report: SeedReport) -> String {
        let day = report.asOf.formatted(.iso8601.year().month().day())
        var lines = [String(format: "Seeded database '%@' (state %@, seed %llu, as of %@) in %.1f s",
                            report.database, report.state, report.seed, day, report.seconds)]
        for seeded in report.collections {
            lines.append("  \(seeded.collection.padded(to: collectionWidth))"
                + "\(grouped(seeded.documents).leftPadded(to: countWidth)) documents")
        }
        lines.append("  indexes created: \(report.indexes.isEmpty ? "none" : report.indexes.joined(separator: ", "))")
        if let defects = report.defects {
            lines.append("Planted defects:")
            lines += defects.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}

/// A command's result as JSON for machines (`doctor --json`, `seed --json`): keys sorted, pretty printed, dates in
/// ISO 8601.
public enum PlainJSON {
    public static func render(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension String {
    /// The string with spaces after it up to `width` characters (cut to `width` when longer).
    func padded(to width: Int) -> String { padding(toLength: width, withPad: " ", startingAt: 0) }

    /// The string with spaces before it up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
