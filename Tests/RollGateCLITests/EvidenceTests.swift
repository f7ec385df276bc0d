import Foundation
import Mongo
@testable import Rollback
import TestSupport
import Testing

/// Compliance evidence of a rollback of step 25, checked as an auditor would: the file verifies against the database,
/// says what was removed (counted independently here), and stops verifying when the file, the backup or the history
/// is altered; backups holding personal data are flagged and purged only when no rollback needs them.
@Suite(.serialized, .enabled(if: TestServer.isAvailable, TestServer.skipReason)) struct EvidenceTests {
    static func evidenceFile(_ rollback: RollGateProcess.Result, step: Int) throws -> URL {
        let line = try #require(rollback.stdout.components(separatedBy: "\n").first { $0.hasPrefix("Reports: ") }, "\(rollback)")
        let name = try #require(line.dropFirst("Reports: ".count).components(separatedBy: ", ").first { $0.contains("evidence-\(step)-") },
                                "\(rollback)")
        return URL(fileURLWithPath: name)
    }

    @Test func theEvidenceOfStep25VerifiesAndFailsWhenTheBackupIsAlteredOrDropped() throws {
        try RollbackCommandTests.withDatabase(orders: 400) { db, environment, reports in
            let pool = try TestServer.pool()
            // What step 25 will remove, counted here from the data, not from RollGate.
            let (audited, byMethod, withIP) = try pool.withClient { client in
                let deliveries = client.database(db).collection("delivery_statuses")
                let audited = try deliveries.find(["confirmed_by_user_id": ["$exists": true]]).toArray()
                let any = try deliveries.count(["$or": .array(["confirmed_by_user_id", "confirmed_by_name", "confirmed_at", "confirmation_method",
                                                              "ip_address", "device_info"].map { ["\($0)": ["$exists": true]] })])
                #expect(any == audited.count, "every audited delivery has confirmed_by_user_id in the seeded data")
                let methods = Dictionary(grouping: audited) { $0["confirmation_method"]?.stringValue ?? "(none)" }.mapValues(\.count)
                return (audited.count, methods, audited.filter { $0["ip_address"] != nil }.count)
            }
            #expect(audited > 0)
            let rollback = try RollGateProcess.run(["rollback", "25", "--operator", "asha", "--reason", "audit fields leak",
                                                    "--approval", try RollbackSafetyTests.approvals().path,
                                                    "--checks", AuditCommandTests.checks, "--report-dir", reports], environment: environment)
            #expect(rollback.status == 0, "\(rollback)")
            let file = try Self.evidenceFile(rollback, step: 25)
            let sealed = try SealedEvidence.open(try Data(contentsOf: file), file: file.path)
            let evidence = sealed.evidence
            #expect(evidence.step == 25 && evidence.operator == "asha" && evidence.reason == "audit fields leak")
            #expect(evidence.approval?.role == "compliance" && evidence.approval?.fileSha256?.count == 64)
            let removal = try #require(evidence.removed.first { $0.collection == "delivery_statuses" })
            #expect(removal.documents == audited)
            #expect(removal.groupedBy == "confirmation_method" && removal.counts == byMethod, "\(removal)")
            #expect(removal.fields.first { $0.name == "ip_address" }?.documents == withIP)
            #expect(removal.fields.first { $0.name == "ip_address" }?.personalData == true)
            #expect(removal.fields.first { $0.name == "confirmed_at" }?.personalData == false)
            let backup = try #require(evidence.backup)
            #expect(backup.entries == audited && backup.checksum.hasPrefix("sha256:\(audited):"))
            #expect(backup.personalDataFields == ["confirmed_by_name", "ip_address", "device_info"])
            #expect(evidence.runId.count > 10 && backup.collection.hasSuffix(evidence.runId))
            // What an auditor reads holds no personal data: the removed values are only counted.
            let text = try String(contentsOf: file, encoding: .utf8)
            let someIP = try pool.withClient { client in
                try client.database(db).collection(backup.collection).find(["document.ip_address": ["$exists": true]]).next()?
                    .value(at: "document.ip_address")?.stringValue
            }
            #expect(someIP.map { !text.contains($0) } ?? false, "no IP address in the evidence")

            let verify = { try RollGateProcess.run(["evidence", "verify", file.path], environment: environment) }
            let good = try verify()
            #expect(good.status == 0 && good.stdout.contains("verified") && !good.stdout.contains("✘"), "\(good)")

            let status = try RollGateProcess.run(["status", "--checks", AuditCommandTests.checks], environment: environment)
            #expect(status.stdout.contains("backups holding personal data") && status.stdout.contains("\(backup.collection): confirmed_by_name, ip_address, device_info"),
                    "\(status)")

            // The file edited by hand: its seal no longer holds.
            let edited = file.deletingLastPathComponent().appendingPathComponent("edited.json")
            try text.replacingOccurrences(of: "\"operator\" : \"asha\"", with: "\"operator\" : \"someone\"").write(to: edited, atomically: true, encoding: .utf8)
            let forged = try RollGateProcess.run(["evidence", "verify", edited.path], environment: environment)
            #expect(forged.status == 1 && forged.stdout.contains("✘ seal"), "\(forged)")

            // One backed-up value altered in the database: the entries no longer hash to the recorded checksum.
            try pool.withClient { client in
                _ = try client.database(db).collection(backup.collection).updateMany(
                    ["_id": ["$ne": "manifest"], "document.confirmation_method": ["$exists": true]],
                    ["$set": ["document.confirmation_method": "edited"]])
            }
            let altered = try verify()
            #expect(altered.status == 1 && altered.stdout.contains("the backup was altered"), "\(altered)")

            // Dropped outside RollGate.
            try pool.withClient { try $0.database(db).dropCollection(backup.collection) }
            let dropped = try verify()
            #expect(dropped.status == 1 && dropped.stdout.contains("dropped outside RollGate"), "\(dropped)")

            let unreadable = try RollGateProcess.run(["evidence", "verify", reports + "/report.md"], environment: environment)
            #expect(unreadable.status == 2 && unreadable.stderr.contains("not a RollGate evidence file"), "\(unreadable)")
        }
    }

    @Test func aPurgeRefusesABackupARollbackStillNeedsAndRecordsWhatItRemoves() throws {
        try RollbackCommandTests.withDatabase(orders: 200) { db, environment, reports in
            let rollback = try RollGateProcess.run(["rollback", "25", "--operator", "asha", "--approval", try RollbackSafetyTests.approvals().path,
                                                    "--checks", AuditCommandTests.checks, "--report-dir", reports], environment: environment)
            #expect(rollback.status == 0, "\(rollback)")
            let file = try Self.evidenceFile(rollback, step: 25)
            let backup = try #require(try SealedEvidence.open(try Data(contentsOf: file), file: file.path).evidence.backup?.collection)
            let names = { try TestServer.pool().withClient { try $0.database(db).collectionNames() } }

            let young = try RollGateProcess.run(["backups", "purge", "--older-than", "1", "--operator", "dpo"], environment: environment)
            #expect(young.status == 0 && young.stdout.contains("no backup older than 1 days"), "\(young)")
            let needed = try RollGateProcess.run(["backups", "purge", "--older-than", "0", "--operator", "dpo"], environment: environment)
            #expect(needed.status == 4 && needed.stdout.contains("✘ kept \(backup)") && needed.stdout.contains("not yet re-applied"), "\(needed)")
            #expect(try names().contains(backup))

            let reapply = try RollGateProcess.run(["reapply", "25", "--operator", "asha", "--report-dir", reports], environment: environment)
            #expect(reapply.status == 0, "\(reapply)")
            let dryRun = try RollGateProcess.run(["backups", "purge", "--older-than", "0", "--operator", "dpo", "--dry-run"], environment: environment)
            #expect(dryRun.status == 0 && dryRun.stdout.contains("would purge \(backup)"), "\(dryRun)")
            #expect(try names().contains(backup))
            let purge = try RollGateProcess.run(["backups", "purge", "--older-than", "0", "--operator", "dpo", "--reason", "retention"], environment: environment)
            #expect(purge.status == 0 && purge.stdout.contains("✔ purged \(backup)"), "\(purge)")
            #expect(try !names().contains(backup))
            let history = try RollGateProcess.run(["history", "--limit", "3"], environment: environment)
            #expect(history.stdout.contains("purge  purged  by dpo"), "\(history)")
            let verify = try RollGateProcess.run(["evidence", "verify", file.path], environment: environment)
            #expect(verify.status == 1 && verify.stdout.contains("purged on") && verify.stdout.contains("by dpo"), "\(verify)")

            // A backup no history entry names is not RollGate's to remove.
            try TestServer.pool().withClient { client in
                _ = try client.database(db).collection("rollback_backup_25_stranger").insertMany([
                    ["_id": "manifest", "type": "rollback-backup", "step": 25, "created_at": .date(Date(timeIntervalSince1970: 0))]])
            }
            let stranger = try RollGateProcess.run(["backups", "purge", "--older-than", "0", "--operator", "dpo", "--force"], environment: environment)
            #expect(stranger.status == 4 && stranger.stdout.contains("no history entry names it"), "\(stranger)")
        }
    }
}

@Suite struct EvidenceSealTests {
    static let evidence = Evidence(
        format: Evidence.currentFormat, step: 25, title: "Delivery audit trail", status: "rolled-back", mode: "execute",
        runId: "20261202T190000Z-abcd", operator: "asha", reason: nil, database: "earlybird",
        startedAt: Date(timeIntervalSince1970: 1_800_000_000), finishedAt: Date(timeIntervalSince1970: 1_800_000_060),
        approval: nil, removed: [.init(collection: "delivery_statuses", documents: 2, fields: [.init(name: "ip_address", documents: 2, personalData: true)],
                                        groupedBy: "confirmation_method", counts: ["otp": 1, "photo": 1])],
        operations: [], backup: .init(collection: "rollback_backup_25_x", checksum: "sha256:2:00", entries: 2, complete: true,
                                      personalDataFields: ["ip_address"]),
        namedBackups: ["delivery_audit_backup"], verification: ["OK"], message: "rolled back and verified")

    @Test func aSealedFileReadsBackAndAnyChangeBreaksTheSeal() throws {
        let sealed = try SealedEvidence(Self.evidence)
        let data = try sealed.encoded()
        let read = try SealedEvidence.open(data, file: "e.json")
        #expect(read == sealed && read.sealHolds)
        var changed = read
        changed.evidence.removed[0].counts?["otp"] = 0
        #expect(!changed.sealHolds)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"confirmation_method\"") && text.contains("\"run_id\" : \"20261202T190000Z-abcd\""), "snake_case keys:\n\(text)")
        #expect(throws: SealedEvidence.Unreadable.self) { try SealedEvidence.open(Data("{}".utf8), file: "e.json") }
    }

    @Test func theBackupChecksumIsOrderIndependentAndSeesEveryChange() {
        let documents: [BSONDocument] = [["_id": 1, "a": "x"], ["_id": 2, "a": "y"], ["_id": 3, "a": "z"]]
        var forward = Checksum(), backward = Checksum(), altered = Checksum()
        documents.forEach { forward.add($0) }
        documents.reversed().forEach { backward.add($0) }
        [documents[0], documents[1], ["_id": 3, "a": "Z"]].forEach { altered.add($0) }
        #expect(forward.text == backward.text && forward.text.hasPrefix("sha256:3:") && forward.text.count == "sha256:3:".count + 64)
        #expect(altered.text != forward.text)
        var legacy = Checksum(like: "3:abc")
        documents.forEach { legacy.add($0) }
        #expect(legacy.algorithm == .legacyFNV && !legacy.text.hasPrefix("sha256:"))
    }
}
