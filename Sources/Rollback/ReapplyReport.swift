import Findings
import Foundation

extension ReapplyOutcome {
    /// The outcome for the terminal.
    public var summary: ReapplySummary {
        ReapplySummary(step: step, backups: backups, restored: restored, unchanged: unchanged,
                       indexesRestored: indexesRestored, conflicts: conflicts, conflictSamples: conflictSamples,
                       seconds: seconds, alreadyReappliedBy: alreadyReappliedBy)
    }

    /// Writes every conflict (`conflictsCSV`) to `reapply-STEP-RUN-conflicts.csv` in `directory`, creating the
    /// directory when needed, and returns the file.
    public func writeConflicts(to directory: URL, runId: String) throws -> URL {
        let file = directory.appendingPathComponent("reapply-\(step)-\(runId)-conflicts.csv")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(conflictsCSV.utf8).write(to: file, options: .atomic)
        return file
    }
}
