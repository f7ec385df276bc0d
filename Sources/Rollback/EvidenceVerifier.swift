import Findings
import Foundation
import Mongo

/// Checks an evidence file against the database it describes: its seal, the history entry that recorded it, and the
/// backup (present, its manifest's checksum and its entries' checksum equal to the evidence's).
public enum EvidenceVerifier {
    typealias Check = EvidenceVerification.Check

    /// The file's checks with what it is the evidence of.
    public static func verification(_ sealed: SealedEvidence, in database: MongoDatabase) throws -> EvidenceVerification {
        EvidenceVerification(step: sealed.evidence.step, runId: sealed.evidence.runId, database: sealed.evidence.database,
                             checks: try verify(sealed, in: database))
    }

    static func verify(_ sealed: SealedEvidence, in database: MongoDatabase) throws -> [Check] {
        let evidence = sealed.evidence
        var checks: [Check] = []
        if sealed.sealHolds {
            checks.append(Check(passed: true, line: "seal: the file's SHA-256 \(sealed.sha256) matches its contents"))
        } else {
            let now = (try? SealedEvidence.digest(of: evidence)) ?? "?"
            checks.append(Check(passed: false, line: "seal: the file was changed after it was written (its contents hash to \(now), the seal says \(sealed.sha256))"))
        }

        let entryId = "\(evidence.runId)-\(evidence.step)"
        if let entry = try database.collection(History.collection).find(["_id": .string(entryId)]).next() {
            let recorded = entry["evidence_sha256"]?.stringValue
            checks.append(recorded == sealed.sha256
                ? Check(passed: true, line: "history: entry \(entryId) (\(entry["status"]?.stringValue ?? "?") by \(entry["operator"]?.stringValue ?? "?")) records this evidence")
                : Check(passed: false, line: "history: entry \(entryId) records evidence \(recorded ?? "none"), not \(sealed.sha256)"))
        } else {
            checks.append(Check(passed: false, line: "history: no entry \(entryId) in \(database.name).\(History.collection)"))
        }

        guard let backup = evidence.backup else { return checks }
        guard try database.collectionNames().contains(backup.collection) else {
            let purge = try database.collection(History.collection).find(["mode": .string(RunMode.purge.rawValue), "backup.collection": .string(backup.collection)]).next()
            let why = purge.map { "purged on \($0["timestamp"]?.dateValue?.formatted(.iso8601) ?? "?") by \($0["operator"]?.stringValue ?? "?") (rollgate backups purge)" }
                ?? "dropped outside RollGate"
            checks.append(Check(passed: false, line: "backup: \(backup.collection) is gone: \(why); its checksum cannot be checked"))
            return checks
        }
        let store = BackupStore(database: database, name: backup.collection)
        guard let manifest = try store.manifest().flatMap(Manifest.init) else {
            checks.append(Check(passed: false, line: "backup: \(backup.collection) has no manifest"))
            return checks
        }
        checks.append(manifest.checksum == backup.checksum
            ? Check(passed: true, line: "backup: \(backup.collection) manifest checksum \(manifest.checksum) as recorded")
            : Check(passed: false, line: "backup: \(backup.collection) manifest says \(manifest.checksum), the evidence \(backup.checksum)"))
        let computed = try store.checksum(of: manifest)
        checks.append(computed.text == backup.checksum && computed.count == backup.entries
            ? Check(passed: true, line: "backup: its \(grouped(computed.count)) entries hash to \(computed.text), as recorded")
            : Check(passed: false, line: "backup: its entries hash to \(computed.text) (\(grouped(computed.count)) entries), the evidence says \(backup.checksum) (\(grouped(backup.entries))): the backup was altered"))
        return checks
    }
}
