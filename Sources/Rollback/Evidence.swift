import Catalog
import Crypto
import Findings
import Foundation
import Mongo

/// The compliance evidence of one executed step (`evidence-STEP-RUN.json`): what was removed (each field, with its
/// count, and counts by the rule's `group_by`), when, by whom, under which approval (with the SHA-256 of the approval
/// file), the lock's run id, the backup (name, checksum, entries, whether it holds personal data), and the
/// verification. The counts come from the backup itself, so they say exactly what the run took away.
///
/// The file is sealed: `SealedEvidence` carries a SHA-256 over the evidence's canonical JSON, and the same digest is
/// recorded in the step's history entry. `EvidenceVerifier` checks both against the database.
public struct Evidence: Codable, Sendable, Equatable {
    public static let currentFormat = "rollgate-evidence/1"

    /// One field the step removed from `collection`, and from how many documents.
    public struct RemovedField: Codable, Sendable, Equatable {
        public var name: String
        public var documents: Int
        public var personalData: Bool
    }

    /// What the step removed from one collection.
    public struct Removal: Codable, Sendable, Equatable {
        public var collection: String
        /// Documents of this collection the step changed (entries of the backup).
        public var documents: Int
        public var fields: [RemovedField]
        /// The rule's `group_by` field (e.g. `confirmation_method`) and the changed documents per value of it.
        public var groupedBy: String?
        public var counts: [String: Int]?
    }

    public struct ApprovalRecord: Codable, Sendable, Equatable {
        public var role: String
        public var approver: String
        public var ticket: String
        public var reason: String
        public var expires: Date
        /// `file:line` of the approval in the approval file.
        public var source: String
        /// SHA-256 of the whole approval file, as read.
        public var fileSha256: String?
    }

    public struct BackupRecord: Codable, Sendable, Equatable {
        public var collection: String
        public var checksum: String
        public var entries: Int
        public var complete: Bool
        /// The personal-data fields whose values the backup holds: protect it, and purge it once it is not needed.
        public var personalDataFields: [String]
    }

    public var format: String
    public var step: Int
    public var title: String
    public var status: String
    public var mode: String
    /// The run id the rollback lock was held under.
    public var runId: String
    public var `operator`: String
    public var reason: String?
    public var database: String
    public var startedAt: Date
    public var finishedAt: Date
    public var approval: ApprovalRecord?
    public var removed: [Removal]
    public var operations: [PlannedOperation]
    public var backup: BackupRecord?
    /// The guide's own copies made before the change (e.g. `delivery_audit_backup`).
    public var namedBackups: [String]
    public var verification: [String]
    public var message: String
    /// The rule files the rollback applied, with their SHA-256.
    public var rules: RuleSet?
}

/// An evidence file: the evidence and the SHA-256 over its canonical JSON (sorted keys, ISO 8601 dates).
public struct SealedEvidence: Codable, Sendable, Equatable {
    public var evidence: Evidence
    public var sha256: String

    /// Why an evidence file cannot be read or does not match its seal.
    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ evidence: Evidence) throws {
        self.evidence = evidence
        sha256 = try Self.digest(of: evidence)
    }

    /// The file's name in a report directory.
    public var fileName: String { "evidence-\(evidence.step)-\(evidence.runId).json" }

    /// The file's bytes: pretty-printed, sorted keys.
    public func encoded() throws -> Data {
        try Self.encoder(pretty: true).encode(self)
    }

    /// Reads an evidence file and checks its seal.
    public static func open(_ data: Data, file: String) throws -> SealedEvidence {
        let sealed: SealedEvidence
        do {
            sealed = try decoder().decode(SealedEvidence.self, from: data)
        } catch {
            throw Unreadable(description: "\(file): not a RollGate evidence file (\(Self.reason(error)))")
        }
        guard sealed.evidence.format == Evidence.currentFormat else {
            throw Unreadable(description: "\(file): format '\(sealed.evidence.format)', expected '\(Evidence.currentFormat)'")
        }
        return sealed
    }

    /// Whether the seal is the digest of the evidence as it reads now.
    public var sealHolds: Bool { (try? Self.digest(of: evidence)) == sha256 }

    /// SHA-256, in hex, of the canonical JSON of `evidence`.
    static func digest(of evidence: Evidence) throws -> String {
        hex(SHA256.hash(data: try encoder(pretty: false).encode(evidence)))
    }

    /// SHA-256, in hex, of some bytes (an approval file as read).
    public static func digest(of data: Data) -> String { hex(SHA256.hash(data: data)) }

    private static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    private static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    private static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: "no '\(key.stringValue)'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case .dataCorrupted(let context)?: context.debugDescription
        default: "\(error)"
        }
    }
}

extension Evidence {
    /// The evidence of a step that changed data, with its removals as counted while the step's backup was written.
    static func of(_ outcome: StepOutcome, rule: StepRule, request: RollbackRequest, approval: Approval?, runId: String,
                   database: MongoDatabase, startedAt: Date, rules: RuleSet?) throws -> Evidence? {
        guard let backupName = outcome.backup else { return nil }
        let store = BackupStore(database: database, name: backupName)
        let manifest = try store.manifest().flatMap(Manifest.init)
        let removed = outcome.removed
        let personalFields = removed.flatMap { $0.fields.filter { $0.personalData && $0.documents > 0 }.map { "\($0.name)" } }
        return Evidence(
            format: currentFormat, step: rule.step, title: rule.title, status: outcome.status.rawValue, mode: request.mode.rawValue,
            runId: runId, operator: request.operator_, reason: request.reason, database: database.name,
            startedAt: startedAt, finishedAt: Date(),
            approval: approval.map {
                ApprovalRecord(role: $0.role.rawValue, approver: $0.approver, ticket: $0.ticket, reason: $0.reason,
                               expires: $0.expires, source: $0.source, fileSha256: request.approvalFileSHA256)
            },
            removed: removed, operations: outcome.operations,
            backup: BackupRecord(collection: backupName, checksum: manifest?.checksum ?? "", entries: outcome.backupDocuments,
                                 complete: manifest?.complete ?? false, personalDataFields: personalFields),
            namedBackups: rule.rollback.backups.compactMap(\.name), verification: outcome.verification.map(\.description),
            message: outcome.message, rules: rules)
    }
}

/// What a step's backup holds, counted as each batch of pre-images is saved (so no second pass over the backup): per
/// collection that loses fields, its documents, how many of them carry each removed field, and, where the rule's
/// compliance impact has a `group_by`, the documents per value of it (a missing or null value counts as "(none)").
struct RemovalTally: Sendable {
    private(set) var removals: [Evidence.Removal]

    init(rule: StepRule) {
        let compliance = rule.complianceImpacts
        removals = rule.rollback.removedFields.map { collection, fields in
            let impact = compliance.first { $0.collection == collection }
            let personal = Set(impact?.fields.filter(\.personalData).map(\.name) ?? [])
            return Evidence.Removal(collection: collection, documents: 0,
                                    fields: fields.map { Evidence.RemovedField(name: $0, documents: 0, personalData: personal.contains($0)) },
                                    groupedBy: impact?.groupBy, counts: impact == nil ? nil : [:])
        }
    }

    /// Counts one pre-image saved from `collection`.
    mutating func add(_ document: BSONDocument, in collection: String) {
        guard let index = removals.firstIndex(where: { $0.collection == collection }) else { return }
        removals[index].documents += 1
        for field in removals[index].fields.indices where document.value(at: removals[index].fields[field].name) != nil {
            removals[index].fields[field].documents += 1
        }
        if let groupBy = removals[index].groupedBy {
            let value = document.value(at: groupBy).flatMap { $0 == .null ? nil : Reapplier.describeValue($0) } ?? "(none)"
            removals[index].counts?[value, default: 0] += 1
        }
    }
}

extension RollbackRule {
    /// The fields each collection loses in this rollback (`unset` fields and the `$unset` of updates), in rule order.
    var removedFields: [(collection: String, fields: [String])] {
        operations.reduce(into: []) { result, operation in
            let fields: [String] = switch operation {
            case let .unset(_, _, fields): fields
            case let .update(_, _, update): update["$unset"]?.documentValue?.keys.map { $0 } ?? []
            case .dropIndex: []
            }
            guard !fields.isEmpty else { return }
            if let at = result.firstIndex(where: { $0.collection == operation.collection }) {
                result[at].fields += fields.filter { !result[at].fields.contains($0) }
            } else {
                result.append((operation.collection, fields))
            }
        }
    }
}
