import Catalog
import Findings
import Mongo

/// `link`: two collections pointing at each other (step 21), checked in constant memory however many documents
/// there are. Each side is read once, as an aggregation that turns every document into keyed records, sorted by key on
/// the server; the two sorted streams are merged here, one key at a time:
/// - a document with id `a` and link `b` on the left gives the records `L:a` (the entity, with its link `b`) and `R:b`
///   (a reference to the right-hand entity `b`, from `a`);
/// - a document on the right gives `R:id` and `L:link` the same way.
/// So each key gathers one entity and the references to it, and the counts come out as a join by id would give them.
/// Ids and links are compared as the server's `$toString` of them; a value it cannot convert (an array, binary data)
/// counts as missing.
enum LinkCheck {
    static func run(_ probe: LinkProbe, maker: FindingMaker, database: MongoDatabase, timeout: Duration) -> Finding {
        let start = ContinuousClock.now
        do {
            let tally = try merge(
                LinkStream(try records(of: probe.left, as: .left, database: database, timeout: timeout)),
                LinkStream(try records(of: probe.right, as: .right, database: database, timeout: timeout)))
            let l = probe.left, r = probe.right
            var parts: [String] = []
            if tally.leftUnlinked > 0 { parts.append("\(grouped(tally.leftUnlinked)) \(l.collection) without \(l.link)") }
            if tally.leftDangling > 0 {
                parts.append("\(grouped(tally.leftDangling)) \(l.collection).\(l.link) pointing at no \(r.collection)")
            }
            if tally.rightDangling > 0 {
                parts.append("\(grouped(tally.rightDangling)) \(r.collection).\(r.link) pointing at no \(l.collection)")
            }
            if tally.mismatched > 0 { parts.append("\(grouped(tally.mismatched)) links that do not point back") }
            return maker.make(
                FindingCode.consistency, verdict: tally.problems == 0 ? .passed : .failed,
                measured: tally.problems == 0
                    ? "\(grouped(tally.leftEntities)) \(l.collection) and \(grouped(tally.rightEntities)) \(r.collection) agree both ways"
                    : parts.joined(separator: "; "),
                expected: "every \(l.collection).\(l.link) names a \(r.collection) whose \(r.link) names it back",
                figures: ["checked": Double(tally.leftEntities + tally.rightEntities),
                          "unlinked": Double(tally.leftUnlinked),
                          "dangling": Double(tally.leftDangling + tally.rightDangling),
                          "mismatched": Double(tally.mismatched)],
                seconds: start.secondsElapsed)
        } catch {
            return maker.error(error, seconds: start.secondsElapsed)
        }
    }

    enum Side: String { case left = "L", right = "R" }

    /// The counts of one merge.
    struct Tally: Equatable {
        var leftEntities = 0, rightEntities = 0
        /// Left documents without a link (the right side's own missing links are not a problem: `where` may select
        /// more documents there than are linked).
        var leftUnlinked = 0
        /// Left links naming no right document, and right links naming no left document.
        var leftDangling = 0, rightDangling = 0
        /// Links whose target points elsewhere, counted from both sides.
        var mismatched = 0
        var problems: Int { leftUnlinked + leftDangling + rightDangling + mismatched }
    }

    /// One side's documents as records `{k, t, o}`, sorted by `k`: `t` 0 is the entity `k` with its link `o`, `t` 1 a
    /// reference to `k` from the document `o` of the other side.
    static func records(of side: LinkProbe.Side, as which: Side, database: MongoDatabase,
                        timeout: Duration) throws(MongoError) -> MongoCursor {
        let other: Side = which == .left ? .right : .left
        func text(_ field: String) -> BSON {
            ["$convert": ["input": .string("$" + field), "to": "string", "onError": .null, "onNull": .null]]
        }
        let pipeline: [BSON] = [
            ["$match": .document(side.where_)],
            ["$project": ["_id": 0, "i": text(side.id), "o": text(side.link)]],
            ["$match": ["i": ["$ne": .null]]],
            ["$project": ["r": [
                ["k": ["$concat": [.string(which.rawValue), "$i"]], "t": ["$literal": 0], "o": "$o"],
                ["k": ["$concat": [.string(other.rawValue), "$o"]], "t": ["$literal": 1], "o": "$i"],
            ]]],
            ["$unwind": "$r"],
            ["$replaceRoot": ["newRoot": "$r"]],
            ["$match": ["k": ["$ne": .null]]],
            ["$sort": ["k": 1]],
        ]
        return try database.collection(side.collection).aggregate(
            pipeline, options: AggregateOptions(allowDiskUse: true, batchSize: 5_000, maxTime: timeout))
    }

    /// Merges the two sorted streams key by key.
    static func merge(_ left: LinkStream, _ right: LinkStream) throws -> Tally {
        var tally = Tally()
        while let key = [left.headKey, right.headKey].compactMap({ $0 }).min(by: LinkStream.precedes) {
            let group = try left.take(key) + right.take(key)
            let entities = group.filter { $0.isEntity }
            let targetLink = entities.last?.other  // a duplicate id: the last one read, as a map would keep
            let isLeft = key.utf8.first == Side.left.rawValue.utf8.first
            if !entities.isEmpty {
                if isLeft { tally.leftEntities += 1 } else { tally.rightEntities += 1 }
                if isLeft, targetLink == nil { tally.leftUnlinked += 1 }
            }
            for reference in group where !reference.isEntity {
                if entities.isEmpty {
                    if isLeft { tally.rightDangling += 1 } else { tally.leftDangling += 1 }
                } else if !LinkStream.same(targetLink, reference.other) {
                    tally.mismatched += 1
                }
            }
        }
        return tally
    }
}

/// A sorted stream of link records, read one key at a time. It checks the server's order as it goes: the merge is
/// only right if both streams are sorted as `precedes` compares (UTF-8 bytes, MongoDB's simple collation).
final class LinkStream {
    struct Record {
        var isEntity: Bool
        var other: String?
    }

    private let nextDocument: () throws -> BSONDocument?
    private var head: (key: String, record: Record)?
    private var lastKey: String?

    /// Reads the first record, so that `headKey` is known from the start.
    convenience init(_ cursor: MongoCursor) throws { try self.init(next: { try cursor.next() }) }

    /// For tests: records given in order.
    convenience init(_ documents: [BSONDocument]) throws {
        var rest = documents[...]
        try self.init(next: { rest.popFirst() })
    }

    private init(next: @escaping () throws -> BSONDocument?) throws {
        nextDocument = next
        try advance()
    }

    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
    static func same(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?): a.utf8.elementsEqual(b.utf8)
        default: false
        }
    }

    /// The key of the next record; nil at the end of the stream.
    var headKey: String? { head?.key }

    /// Every record with `key` at the head of the stream.
    func take(_ key: String) throws -> [Record] {
        var taken: [Record] = []
        while let head, Self.same(head.key, key) {
            taken.append(head.record)
            try advance()
        }
        return taken
    }

    private func advance() throws {
        guard let document = try nextDocument() else { head = nil; return }
        guard case .string(let key)? = document["k"] else { throw LinkOrderError(detail: "a record without a key") }
        if let lastKey, Self.precedes(key, lastKey) {
            throw LinkOrderError(detail: "the server returned the keys out of order (a collection collation other than simple?)")
        }
        lastKey = key
        let isEntity = document["t"]?.int64Value == 0
        let other: String? = if case .string(let value)? = document["o"] { value } else { nil }
        head = (key, Record(isEntity: isEntity, other: other))
    }
}

/// The link records could not be merged.
struct LinkOrderError: Error, CustomStringConvertible {
    var detail: String
    var description: String { "cannot join the two sides of the link: \(detail)" }
}
