import Foundation
import Mongo

/// The rollback lock: one document in `admin` (`_id: "rollback-lock"`, `type: "rollback-lock"`) with its owner, run
/// and expiry, so that two operators cannot roll back at once and a crashed run blocks only until its lock expires.
/// Taking it relies on the unique `_id` (a duplicate-key error means someone holds it); taking over an expired lock
/// is a compare-and-swap on the expiry the taker saw.
public struct RollbackLock: Sendable {
    public static let id = "rollback-lock"

    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public var owner: String
        public var runId: String
        public var expires: Date
        public var description: String { "\(owner) (run \(runId), until \(expires.formatted(.iso8601)))" }
    }

    /// Another run holds the lock.
    public struct Held: Error, Sendable {
        public var holder: Holder
    }

    /// The server did not answer a write of the lock document within `replyLimit`: another run's open transaction
    /// holds it (a run stopped in the middle of a batch). MongoDB aborts such a transaction after
    /// `transactionLifetimeLimitSeconds` (60 s by default), so a later attempt gets the lock. Nothing was changed.
    public struct Unanswered: Error, Sendable, CustomStringConvertible {
        public var seconds: Double
        public var description: String {
            "the server did not answer the rollback lock's write within \(seconds.formatted()) s: an open transaction of "
                + "another run (one stopped mid-batch) holds the lock; MongoDB aborts it after "
                + "transactionLifetimeLimitSeconds (60 s by default), so try again in a minute"
        }
    }

    /// How long a write of the lock document may wait for its reply (the lock is a single small document). The
    /// driver retries a write once after a timeout, so taking the lock gives up after about twice this.
    public static let replyLimit: Duration = .seconds(15)

    /// This run's lock expired or was taken over while it worked: it must not write again. `holder` is who holds it
    /// now (nil when nobody does).
    public struct Lost: Error, Sendable, CustomStringConvertible {
        public var runId: String
        public var holder: Holder?
        public var description: String {
            "the rollback lock of run \(runId) " + (holder.map { "was taken over by \($0)" } ?? "expired")
        }
    }

    public let owner: String
    public let runId: String
    public let ttl: Duration

    public init(owner: String, runId: String, ttl: Duration) {
        self.owner = owner
        self.runId = runId
        self.ttl = ttl
    }

    /// Takes the lock (or throws `Held`), runs `body` while renewing it every third of its lifetime, then stops the
    /// renewal, waits for it, and releases the lock, whatever `body` did. Nothing of the renewal is still talking to
    /// the server when this returns, so the process can exit safely. The renewal never revives an expired lock: the
    /// writes of `body` are fenced by `confirm`, which fails once the lock has expired or changed hands.
    public func holding<T: Sendable>(in pool: MongoPool, database: String, _ body: () async throws -> T) async throws -> T {
        let lock = self
        // The lock's own writes (take, renew, release) never wait longer than `replyLimit` for a reply, whatever the
        // data operations may: a lock document that another run's open transaction holds must not hang this run.
        var settings = pool.settings
        settings.operationTimeout = min(settings.operationTimeout ?? Self.replyLimit, Self.replyLimit)
        settings.operationTimeoutSource = "the rollback lock's own limit"
        let lockPool = try MongoPool(settings)
        let started = ContinuousClock.now
        do {
            if let holder = try await lockPool.run({ try lock.acquire($0.database(database)) }) { throw Held(holder: holder) }
        } catch let error as MongoError {
            guard case .timeout = error else { throw error }
            throw Unanswered(seconds: (ContinuousClock.now - started).inSeconds.rounded())
        }
        let renewal = Task {
            while true {
                do { try await Task.sleep(for: lock.ttl / 3) } catch { return }
                _ = try? await lockPool.run { try lock.renew($0.database(database)) }
            }
        }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        renewal.cancel()
        await renewal.value
        _ = try? await lockPool.run { try lock.release($0.database(database)) }
        return try result.get()
    }

    /// Takes the lock, or returns who holds it.
    public func acquire(_ database: MongoDatabase, now: Date = Date()) throws -> Holder? {
        let admin = database.collection(History.collection)
        let document = lockDocument(now: now)
        do {
            try admin.insertMany([document])
            return nil
        } catch {
            guard error.serverCode == 11000 else { throw error }
        }
        // Someone holds it (a duplicate _id): who, and until when?
        guard let current = try admin.find(["_id": .string(Self.id)]).next() else { return try acquire(database, now: now) }
        let holder = Self.holder(current)
        guard holder.expires <= now else { return holder }
        // Expired: take it over, unless someone else did so first.
        let taken = try admin.bulkWrite([.replaceOne(
            filter: ["_id": .string(Self.id), "run_id": .string(holder.runId), "expires_at": current["expires_at"] ?? .null],
            replacement: document.merging(["taken_over_from": .string(holder.runId)]))])
        return taken.modified == 1 ? nil : try acquire(database, now: now)
    }

    /// Pushes the expiry forward while the lock is still this run's and alive; false when it is not.
    @discardableResult
    public func renew(_ database: MongoDatabase, now: Date = Date(), session: MongoSession? = nil) throws -> Bool {
        let result = try database.collection(History.collection).updateMany(
            ["_id": .string(Self.id), "run_id": .string(runId), "expires_at": ["$gt": .date(now)]],
            ["$set": ["expires_at": .date(now.addingTimeInterval(ttl.inSeconds))]], session: session)
        return result.matched == 1
    }

    /// The fence before every batch of writes: renews the lock, or throws `Lost` when it has expired or another run
    /// holds it. In a transaction (`session`), the renewal is part of the batch, so a takeover that commits first
    /// makes the batch fail as a whole.
    public func confirm(_ database: MongoDatabase, session: MongoSession? = nil, now: Date = Date()) throws {
        guard try !renew(database, now: now, session: session) else { return }
        let current = try database.collection(History.collection).find(["_id": .string(Self.id)]).next()
        throw Lost(runId: runId, holder: current.map(Self.holder).flatMap { $0.runId == runId ? nil : $0 })
    }

    public func release(_ database: MongoDatabase) throws {
        try database.collection(History.collection).bulkWrite([
            .deleteOne(filter: ["_id": .string(Self.id), "run_id": .string(runId)]),
        ])
    }

    /// Who holds the lock now (expired or not), or nil when nobody does.
    public static func current(in database: MongoDatabase) throws -> Holder? {
        try database.collection(History.collection).find(["_id": .string(id)]).next().map(holder)
    }

    static func holder(_ lock: BSONDocument) -> Holder {
        Holder(owner: lock["owner"]?.stringValue ?? "?", runId: lock["run_id"]?.stringValue ?? "?",
               expires: lock["expires_at"]?.dateValue ?? .distantFuture)
    }

    private func lockDocument(now: Date) -> BSONDocument {
        ["_id": .string(Self.id), "type": "rollback-lock", "owner": .string(owner), "run_id": .string(runId),
         "acquired_at": .date(now), "expires_at": .date(now.addingTimeInterval(ttl.inSeconds))]
    }
}

extension BSONDocument {
    func merging(_ other: BSONDocument) -> BSONDocument {
        var merged = self
        for (key, value) in other { merged[key] = value }
        return merged
    }
}
