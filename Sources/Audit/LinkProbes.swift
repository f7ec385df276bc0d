import Catalog
import Findings
import Mongo

/// `link`: two collections pointing at each other (step 21). Both sides are streamed once with a projection and
/// joined in memory by id (two small maps: users and customers, about one per twenty orders), so the check costs two
/// collection scans whatever the server's `$lookup` strategy.
enum LinkCheck {
    static func run(_ probe: LinkProbe, maker: FindingMaker, database: MongoDatabase, timeout: Duration) -> Finding {
        let start = ContinuousClock.now
        do {
            let left = try links(probe.left, database: database, timeout: timeout)
            let right = try links(probe.right, database: database, timeout: timeout)
            let leftUnlinked = left.values.filter { $0 == nil }.count
            var dangling = 0, mismatched = 0
            for (id, link) in left {
                guard let link else { continue }
                guard let back = right[link] else { dangling += 1; continue }
                if back != id { mismatched += 1 }
            }
            var rightDangling = 0
            for (id, link) in right {
                guard let link else { continue }
                if left[link] == nil { rightDangling += 1 } else if left[link]! != id { mismatched += 1 }
            }
            let problems = leftUnlinked + dangling + mismatched + rightDangling
            let l = probe.left, r = probe.right
            var parts: [String] = []
            if leftUnlinked > 0 { parts.append("\(grouped(leftUnlinked)) \(l.collection) without \(l.link)") }
            if dangling > 0 { parts.append("\(grouped(dangling)) \(l.collection).\(l.link) pointing at no \(r.collection)") }
            if rightDangling > 0 { parts.append("\(grouped(rightDangling)) \(r.collection).\(r.link) pointing at no \(l.collection)") }
            if mismatched > 0 { parts.append("\(grouped(mismatched)) links that do not point back") }
            return maker.make(
                FindingCode.consistency, verdict: problems == 0 ? .passed : .failed,
                measured: problems == 0
                    ? "\(grouped(left.count)) \(l.collection) and \(grouped(right.count)) \(r.collection) agree both ways"
                    : parts.joined(separator: "; "),
                expected: "every \(l.collection).\(l.link) names a \(r.collection) whose \(r.link) names it back",
                figures: ["checked": Double(left.count + right.count), "unlinked": Double(leftUnlinked),
                          "dangling": Double(dangling + rightDangling), "mismatched": Double(mismatched)],
                seconds: start.secondsElapsed)
        } catch {
            return maker.error(error, seconds: start.secondsElapsed)
        }
    }

    /// id → link (nil when the link is missing or null) for the documents of one side.
    private static func links(_ side: LinkProbe.Side, database: MongoDatabase,
                              timeout: Duration) throws -> [String: String?] {
        var result: [String: String?] = [:]
        let cursor = try database.collection(side.collection).find(side.where_, options: FindOptions(
            projection: ["_id": 0, side.id: 1, side.link: 1], batchSize: 5_000, maxTime: timeout))
        try cursor.forEach { document in
            guard let id = describeValue(document[side.id]) else { return }
            result[id] = describeValue(document[side.link]).map { Optional($0) } ?? .some(nil)
        }
        return result
    }
}
