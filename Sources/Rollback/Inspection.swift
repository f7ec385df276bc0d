import Catalog
import Findings
import Foundation
import Mongo

/// The library's side of `rollgate status`, `history` and `details`: what they show, read from a database (the
/// terminal text is Reports').
public enum Inspection {
    /// The newest history entries first, of one step or all.
    public static func history(pool: MongoPool, database: String, limit: Int, step: Int?) async throws -> [HistoryEntry] {
        try await pool.run { client in
            try History.entries(in: client.database(database), limit: limit, step: step).map(HistoryEntry.init)
        }
    }

    /// The rollback records at a glance: history, lock, backups and their chains, the five newest entries.
    public static func status(catalog: Catalog, pool: MongoPool, database: String) async throws -> StatusSummary {
        try await pool.run { client in
            let db = client.database(database)
            // Each step's backups are listed and their manifests read once, for its chain and its personal data alike.
            let backupsByStep = try catalog.steps.map { rule in (rule, try BackupStore.all(step: rule.step, in: db)) }
            let chains = backupsByStep.map { rule, backups in
                StatusSummary.Chain(step: rule.step, backups: backups.filter(\.manifest.inChain).map(BackupSummary.init))
            }
            let personal = backupsByStep.flatMap { rule, backups in
                backups.compactMap { store, manifest -> StatusSummary.PersonalData? in
                    let fields = manifest.personalDataFields(rule)
                    return fields.isEmpty ? nil : .init(backup: store.name, fields: fields)
                }
            }
            return StatusSummary(
                operations: catalog.steps.reduce(0) { $0 + $1.rollback.operations.count }, steps: catalog.stepNumbers,
                historyEntries: try History.count(in: db),
                lock: try RollbackLock.current(in: db).map { .init(owner: $0.owner, expires: $0.expires) },
                backups: try BackupStore.names(in: db), chains: chains.filter { !$0.backups.isEmpty },
                personalData: personal,
                recent: try History.entries(in: db, limit: recentEntries).map(HistoryEntry.init))
        }
    }

    /// The history entries `status` shows.
    static let recentEntries = 5

    /// A step's operations with what each would still change, and every backup of it.
    public static func details(_ rule: StepRule, pool: MongoPool, database: String, now: Date) async throws -> StepDetails {
        let rollback = rule.rollback.resolved(now: now)
        let (operations, backups) = try await pool.run { client in
            let db = client.database(database)
            return (try rollback.operations.map { try PlannedOperation.counting($0, in: db) },
                    try BackupStore.all(step: rule.step, in: db).map(BackupSummary.init))
        }
        return StepDetails(step: rule.step, title: rule.title, kind: rule.kind.rawValue, approval: rule.approval?.rawValue,
                           recommended: rule.rollback.recommended, operations: operations, backups: backups,
                           manual: rule.rollback.manual, dependsOn: rule.dependsOn)
    }
}

extension HistoryEntry {
    /// An entry of the `admin` collection as `History` writes it.
    init(_ entry: BSONDocument) {
        let affected: Affected = switch entry["records_affected"] {
        case .array(let operations)?:
            .documents(operations.reduce(Int64(0)) { $0 + ($1.documentValue?["documents"]?.int64Value ?? 0) })
        case .document(let counts)?:
            .counts(counts.elements.map { .init(name: $0.key, value: $0.value.int64Value ?? 0) })
        default: .unknown
        }
        let backups: Backups = if let chain = entry["backups"]?.arrayValue {
            .chain(chain.compactMap(\.stringValue))
        } else if let backup = entry.value(at: "backup.collection")?.stringValue {
            .single(backup)
        } else {
            .none
        }
        self.init(time: entry["timestamp"]?.dateValue, step: entry["step"]?.int64Value ?? 0, mode: entry["mode"]?.stringValue,
                  status: entry["status"]?.stringValue, operator_: entry["operator"]?.stringValue, affected: affected,
                  backups: backups)
    }
}

extension BackupSummary {
    init(_ backup: (store: BackupStore, manifest: Manifest)) {
        self.init(name: backup.store.name, state: backup.manifest.state, reappliedBy: backup.manifest.reappliedBy,
                  usable: backup.manifest.usable)
    }
}
