import BSONCore
import Findings
import Foundation
import Yams

/// Reads one rule file (`checks/step-NN-*.yaml`) into a `StepRule`, strictly: unknown keys, wrong types, bad filters
/// and unknown placeholders are errors with file and line.
struct RuleFileParser {
    let file: String

    static let topKeys = ["step", "title", "added", "kind", "severity", "approval", "depends_on", "probes", "rollback",
                          "impact", "examples", "rationale", "references"]

    func parse(_ text: String) throws(CatalogError) -> StepRule {
        let top = try YAMLValue.root(of: text, file: file).mapping()
        try top.finish(allowed: Self.topKeys)
        let step = try top.required("step").int()
        guard (1...999).contains(step) else { throw try top.required("step").invalid("step must be between 1 and 999") }

        var probes: [ProbeRule] = []
        for item in try top.required("probes").list() {
            let probe = try parseProbe(item)
            if probes.contains(where: { $0.id == probe.id }) {
                throw CatalogError.duplicateId(item.location, id: probe.id, in: "probes")
            }
            probes.append(probe)
        }

        var rule = StepRule(
            step: step,
            title: try top.required("title").nonEmptyString(),
            added: try top["added"]?.strings() ?? [],
            kind: try top.required("kind").oneOf(StepKind.self),
            severity: try top.required("severity").oneOf(Severity.self),
            approval: try top["approval"].map { (value) throws(CatalogError) in try value.oneOf(ApprovalRole.self) },
            dependsOn: try top["depends_on"]?.ints() ?? [],
            probes: probes,
            rollback: try parseRollback(top.required("rollback")),
            impact: try top["impact"]?.list().map { (item) throws(CatalogError) in try parseImpact(item) } ?? [],
            examples: try top["examples"]?.list().map { (item) throws(CatalogError) in try parseExample(item) } ?? [],
            source: top.value.location)
        rule.rationale = try top["rationale"]?.nonEmptyString()
        rule.references = try top["references"]?.strings() ?? []

        for example in rule.examples where rule.probe(example.probe) == nil {
            throw CatalogError.invalidValue(example.source, path: "examples",
                                            reason: "no probe with id \(example.probe.quoted) in this file")
        }
        for case .performance(let queries) in rule.impact {
            for id in queries where rule.probe(id) == nil {
                throw CatalogError.invalidValue(rule.source, path: "impact", reason: "no query probe \(id.quoted)")
            }
        }
        return rule
    }

    // MARK: Probes

    private func parseProbe(_ value: YAMLValue) throws(CatalogError) -> ProbeRule {
        let map = try value.mapping()
        let type = try map.required("type").string()
        let common = ["id", "title", "type", "severity", "when"]
        let kind: ProbeKind
        switch type {
        case "fields":
            try map.finish(allowed: common + ["collection", "fields", "where"])
            kind = .fields(FieldsProbe(collection: try collection(map), fields: try map.required("fields").strings(),
                                       where_: try filter(map["where"]) ?? [:]))
        case "index":
            try map.finish(allowed: common + ["collection", "keys", "name", "options"])
            let keys = try map.required("keys").document()
            for (field, direction) in keys where ![BSON.int32(1), .int32(-1), "text", "hashed", "2dsphere"].contains(direction) {
                throw try map.required("keys").invalid("direction of \(field.quoted) must be 1, -1, text, hashed or 2dsphere")
            }
            kind = .index(IndexProbe(collection: try collection(map), keys: keys,
                                     name: try map.required("name").nonEmptyString(),
                                     options: try passThrough(map["options"]) ?? [:]))
        case "query":
            try map.finish(allowed: common + ["collection", "filter", "sort", "limit", "index", "budget_ms", "sample",
                                              "runs", "warmup", "max_examined_per_returned"])
            var sample: [String: String] = [:]
            if let sampleValue = map["sample"] {
                for (parameter, field) in try sampleValue.document() {
                    guard case .string(let name) = field else {
                        throw sampleValue.invalid("sample maps a parameter name to a field name")
                    }
                    sample[parameter] = name
                }
            }
            let filterDocument = try filter(map.required("filter"), sampled: Set(sample.keys)) ?? [:]
            kind = .query(QueryProbe(
                collection: try collection(map), filter: filterDocument, sort: try passThrough(map["sort"]),
                limit: try positive(map["limit"]), index: try map.required("index").nonEmptyString(),
                budgetMs: try map.required("budget_ms").number(), sample: sample,
                runs: try positive(map["runs"]) ?? QueryProbe.defaultRuns,
                warmup: try map["warmup"]?.int() ?? QueryProbe.defaultWarmup,
                maxExaminedPerReturned: try map["max_examined_per_returned"]?.number() ?? 2))
        case "link":
            try map.finish(allowed: common + ["left", "right"])
            kind = .link(LinkProbe(left: try linkSide(map.required("left")), right: try linkSide(map.required("right"))))
        case "count":
            try map.finish(allowed: common + ["collection", "filter", "pipeline", "max"])
            let filterDocument = try filter(map["filter"])
            let pipeline = try self.pipeline(map["pipeline"])
            guard (filterDocument == nil) != (pipeline == nil) else {
                throw value.invalid("a count probe has either 'filter' or 'pipeline', not both or neither")
            }
            kind = .count(CountProbe(collection: try collection(map), filter: filterDocument, pipeline: pipeline,
                                     max: try map["max"]?.int() ?? 0))
        case "format":
            try map.finish(allowed: common + ["pattern", "fields"])
            let patternValue = try map.required("pattern")
            let pattern = try patternValue.nonEmptyString()
            // Swift's regex parser recurses into every bracket: 5,000 of them overflow the stack.
            guard pattern.count <= 1_000, Self.nesting(of: pattern) <= 50 else {
                throw patternValue.invalid("a pattern is at most 1,000 characters and 50 brackets deep")
            }
            guard (try? Regex(pattern)) != nil else { throw patternValue.invalid("not a valid regular expression") }
            let fieldsValue = try map.required("fields")
            let fieldsMap = try fieldsValue.mapping()
            kind = .format(FormatProbe(pattern: pattern, fields: try fieldsMap.keys.map { (name) throws(CatalogError) in
                (collection: name, fields: try fieldsMap.required(name).strings())
            }))
        case "http":
            try map.finish(allowed: common + ["protected_endpoints", "wrong_role_token_env", "openapi"])
            let openapi = try map["openapi"]?.mapping()
            try openapi?.finish(allowed: ["path", "tags", "absent_tags"])
            kind = .http(HTTPProbe(
                protectedEndpoints: try map["protected_endpoints"]?.list().map { (item) throws(CatalogError) in try endpoint(item) } ?? [],
                wrongRoleTokenVariable: try map["wrong_role_token_env"]?.nonEmptyString(),
                openAPIPath: try openapi?.required("path").nonEmptyString(),
                openAPITags: try openapi?.required("tags").strings() ?? [],
                openAPIAbsentTags: try openapi?["absent_tags"]?.strings() ?? []))
        default:
            throw try map.required("type").invalid(
                "unknown probe type \(type.quoted) (expected one of: fields, index, query, link, count, format, http)")
        }
        return ProbeRule(id: try map.required("id").nonEmptyString(), title: try map.required("title").nonEmptyString(),
                         severity: try map["severity"].map { (v) throws(CatalogError) in try v.oneOf(Severity.self) },
                         when: try map["when"].map { (v) throws(CatalogError) in try v.oneOf(ProbeWhen.self) }
                             ?? ProbeWhen.defaultValue(for: kind),
                         kind: kind, source: value.location)
    }

    private func linkSide(_ value: YAMLValue) throws(CatalogError) -> LinkProbe.Side {
        let map = try value.mapping()
        try map.finish(allowed: ["collection", "id", "link", "where"])
        return LinkProbe.Side(collection: try collection(map), id: try map.required("id").nonEmptyString(),
                              link: try map.required("link").nonEmptyString(), where_: try filter(map["where"]) ?? [:])
    }

    private func endpoint(_ value: YAMLValue) throws(CatalogError) -> HTTPProbe.Endpoint {
        let map = try value.mapping()
        try map.finish(allowed: ["method", "path"])
        let method = try map.required("method").string().uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else {
            throw try map.required("method").invalid("\(method.quoted) is not an HTTP method")
        }
        let path = try map.required("path").nonEmptyString()
        guard path.hasPrefix("/") else { throw try map.required("path").invalid("an endpoint path starts with /") }
        return HTTPProbe.Endpoint(method: method, path: path)
    }

    // MARK: Rollback and impact

    private func parseRollback(_ value: YAMLValue) throws(CatalogError) -> RollbackRule {
        let map = try value.mapping()
        try map.finish(allowed: ["recommended", "reason", "manual", "backup", "operations", "verify"])
        let backups = try map["backup"]?.list().map { (item) throws(CatalogError) -> BackupRule in
            let backup = try item.mapping()
            try backup.finish(allowed: ["collection", "filter", "projection", "name", "indexes"])
            return BackupRule(collection: try collection(backup), filter: try filter(backup["filter"]) ?? [:],
                              projection: try passThrough(backup["projection"]),
                              name: try backup["name"]?.nonEmptyString(), indexes: try backup["indexes"]?.bool() ?? false)
        } ?? []
        let operations = try map["operations"]?.list().map { (item) throws(CatalogError) in try parseOperation(item) } ?? []
        let verify = try map["verify"]?.list().map { (item) throws(CatalogError) -> VerifyRule in
            let rule = try item.mapping()
            try rule.finish(allowed: ["collection", "filter", "expect"])
            return VerifyRule(collection: try collection(rule), filter: try filter(rule.required("filter")) ?? [:],
                              expect: try rule.required("expect").int())
        } ?? []
        return RollbackRule(recommended: try map["recommended"]?.bool() ?? true, reason: try map["reason"]?.nonEmptyString(),
                            manual: try map["manual"]?.strings() ?? [], backups: backups, operations: operations,
                            verify: verify)
    }

    private func parseOperation(_ value: YAMLValue) throws(CatalogError) -> OperationRule {
        let map = try value.mapping()
        let type = try map.required("type").string()
        switch type {
        case "unset":
            try map.finish(allowed: ["type", "collection", "filter", "fields"])
            return .unset(collection: try collection(map), filter: try filter(map.required("filter")) ?? [:],
                          fields: try map.required("fields").strings())
        case "update":
            try map.finish(allowed: ["type", "collection", "filter", "update"])
            let updateValue = try map.required("update")
            let update = try updateValue.document()
            try FilterValidator.refuseForbidden(in: update, at: updateValue)
            guard !update.isEmpty, update.keys.allSatisfy({ ["$set", "$unset"].contains($0) }) else {
                throw updateValue.invalid("an update uses only $set and $unset")
            }
            return .update(collection: try collection(map), filter: try filter(map.required("filter")) ?? [:],
                           update: update)
        case "drop_index":
            try map.finish(allowed: ["type", "collection", "name"])
            return .dropIndex(collection: try collection(map), name: try map.required("name").nonEmptyString())
        default:
            throw try map.required("type").invalid("unknown operation \(type.quoted) (expected unset, update or drop_index)")
        }
    }

    private func parseImpact(_ value: YAMLValue) throws(CatalogError) -> ImpactRule {
        let map = try value.mapping()
        let type = try map.required("type").string()
        switch type {
        case "count":
            try map.finish(allowed: ["type", "title", "collection", "filter"])
            return .count(title: try map.required("title").nonEmptyString(), collection: try collection(map),
                          filter: try filter(map.required("filter")) ?? [:])
        case "sum":
            try map.finish(allowed: ["type", "title", "collection", "pipeline", "unit"])
            let unitValue = try map.required("unit")
            guard let unit = SumUnit(rawValue: try unitValue.nonEmptyString()) else {
                throw unitValue.invalid("unit is rupees or documents")
            }
            return .sum(title: try map.required("title").nonEmptyString(), collection: try collection(map),
                        pipeline: try pipeline(map.required("pipeline")) ?? [], unit: unit)
        case "revenue":
            try map.finish(allowed: ["type", "title", "window_days", "collection", "filter", "guide_filter", "amount_field",
                                     "default_amount", "date_field", "id_field", "customer_field", "note"])
            let windowValue = try map.required("window_days")
            let windowDays = try windowValue.int()
            guard RevenueImpact.windowRange.contains(windowDays) else {
                throw windowValue.invalid("window_days must be between \(RevenueImpact.windowRange.lowerBound) and "
                    + "\(RevenueImpact.windowRange.upperBound)")
            }
            return .revenue(RevenueImpact(
                title: try map.required("title").nonEmptyString(), windowDays: windowDays,
                collection: try collection(map), filter: try filter(map.required("filter")) ?? [:],
                guideFilter: try filter(map.required("guide_filter")) ?? [:],
                amountField: try map.required("amount_field").nonEmptyString(),
                defaultAmount: try map.required("default_amount").number(),
                dateField: try map.required("date_field").nonEmptyString(),
                idField: try map["id_field"]?.nonEmptyString() ?? "id",
                customerField: try map.required("customer_field").nonEmptyString(),
                note: try map.required("note").nonEmptyString()))
        case "compliance":
            try map.finish(allowed: ["type", "title", "impact_title", "collection", "filter", "group_by", "fields", "id_field"])
            let fields = try map.required("fields").list().map { (item) throws(CatalogError) -> ComplianceImpact.Field in
                let field = try item.mapping()
                try field.finish(allowed: ["name", "personal_data"])
                return .init(name: try field.required("name").nonEmptyString(),
                             personalData: try field["personal_data"]?.bool() ?? false)
            }
            return .compliance(ComplianceImpact(title: try map["title"]?.nonEmptyString() ?? "audit fields",
                                                impactTitle: try map["impact_title"]?.nonEmptyString()
                                                    ?? "records that would lose their audit data",
                                                collection: try collection(map), filter: try filter(map.required("filter")) ?? [:],
                                                groupBy: try map.required("group_by").nonEmptyString(), fields: fields,
                                                idField: try map["id_field"]?.nonEmptyString() ?? "id"))
        case "security":
            try map.finish(allowed: ["type", "endpoints"])
            return .security(endpoints: try map.required("endpoints").list().map { (item) throws(CatalogError) in try endpoint(item) })
        case "performance":
            try map.finish(allowed: ["type", "queries"])
            return .performance(queries: try map.required("queries").strings())
        default:
            throw try map.required("type").invalid(
                "unknown impact \(type.quoted) (expected count, sum, revenue, compliance, security or performance)")
        }
    }

    private func parseExample(_ value: YAMLValue) throws(CatalogError) -> ProbeExample {
        let map = try value.mapping()
        try map.finish(allowed: ["probe", "pass", "fail", "with"])
        guard (map["pass"] == nil) != (map["fail"] == nil) else {
            throw value.invalid("an example has either 'pass' or 'fail'")
        }
        var context: [(collection: String, documents: [BSONDocument])] = []
        if let with = map["with"] {
            let contextMap = try with.mapping()
            for name in contextMap.keys {
                let documents = try contextMap.required(name).list().map { (doc) throws(CatalogError) in try doc.document() }
                context.append((collection: name, documents: documents))
            }
        }
        let example = if let pass = map["pass"] { pass } else { try map.required("fail") }
        return ProbeExample(probe: try map.required("probe").nonEmptyString(), passes: map["pass"] != nil,
                            document: try example.document(), context: context,
                            source: value.location)
    }

    // MARK: Shared pieces

    func collection(_ map: YAMLMapping) throws(CatalogError) -> String {
        let value = try map.required("collection")
        let name = try value.nonEmptyString()
        guard !name.hasPrefix("system."), !name.contains("$"), !name.contains("\0") else {
            throw value.invalid("\(name.quoted) is not a valid collection name")
        }
        return name
    }

    func filter(_ value: YAMLValue?, sampled: Set<String> = []) throws(CatalogError) -> BSONDocument? {
        guard let value else { return nil }
        let document = try value.document()
        try FilterValidator.validate(filter: document, at: value)
        try Placeholder.validate(.document(document), sampled: sampled, at: value)
        return document
    }

    /// A sort, projection or index options: sent as written, so only checked for operators that write or run code.
    private func passThrough(_ value: YAMLValue?) throws(CatalogError) -> BSONDocument? {
        guard let value else { return nil }
        let document = try value.document()
        try FilterValidator.refuseForbidden(in: document, at: value)
        return document
    }

    private func pipeline(_ value: YAMLValue?) throws(CatalogError) -> [BSON]? {
        guard let value else { return nil }
        let items = try value.list()
        let stages = try items.map { (item) throws(CatalogError) in try item.bson() }
        try FilterValidator.validate(pipeline: Array(zip(stages, items)))
        try Placeholder.validate(.array(stages), sampled: [], at: value)
        return stages
    }

    /// How deeply a regular expression nests, counting every unescaped `(` and `[` (a `[` inside a class counts too,
    /// which only makes the bound stricter).
    static func nesting(of pattern: String) -> Int {
        var depth = 0, deepest = 0, escaped = false
        for character in pattern {
            if escaped {
                escaped = false
                continue
            }
            switch character {
            case "\\": escaped = true
            case "(", "[":
                depth += 1
                deepest = max(deepest, depth)
            case ")", "]": depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }

    private func positive(_ value: YAMLValue?) throws(CatalogError) -> Int? {
        guard let value else { return nil }
        let number = try value.int()
        guard number > 0 else { throw value.invalid("must be a positive integer") }
        return number
    }
}
