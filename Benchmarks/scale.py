#!/usr/bin/env python3
"""Scale benchmark: `rollgate audit`, `plan` and `rollback` at several sizes, each against its plain pymongo
equivalent in the same run, on one server: time, peak memory and growth.

    scripts/test_server.py -- .venv/bin/python Benchmarks/scale.py [--sizes "10000 100000 1000000"]
                              [--operations audit,plan,rollback] [--rollgate PATH] [--json FILE]

For each size N, in the order given, in database bench_scale (dropped first, so each size starts from nothing):
1. Seed: `rollgate seed --orders N --seed 42 --state applied --drop --json`.
2. audit: `rollgate audit --checks checks` (default --concurrency 4), then the pymongo baseline of
   audit_vs_pymongo.py (the same questions, one call each), in a child process. Their answers are compared.
3. plan: `rollgate plan 19-23,25,26 --checks checks --no-history`, then a pymongo child that reads the same rule
   files and asks, per step: count_documents per operation, one $match + $group with $bsonSize per backed-up
   collection and per named backup, and the step's impacts (counts, sums, the compliance $group, step 23's revenue
   $facet). Documents per operation, backup documents and bytes and the impact figures are compared with the plan's
   report.json.
4. rollback: `rollgate rollback 19-23,25,26 --operator bench --approval FILE`, then the database is dropped and
   reseeded, then a pymongo child rolls back the same steps with the same safety, highest step first: count each
   operation; stream the pre-images of each collection (the operations' filters, $or'ed) sorted by _id into a backup
   collection with insert_many in batches of 1000, wrapped as {_id: {c, id}, collection, document}, under a
   manifest written incomplete first and complete last, with a checksum; the guide's named backups with $out; then
   update_many per operation (in one transaction when the step changes at most 10,000 documents and the server has
   transactions, as rollgate does); then count the verify filters. Documents changed per step are compared.
Every rollgate run and every pymongo child runs under /usr/bin/time -v (wall clock from outside, peak RSS).
Prints a Markdown table (size × operation: seconds and peak RSS of both sides, their ratio, seconds per 100,000
orders) and a growth table (from each size to the next: time ratio ÷ size ratio, ≤ 1.1 is linear or better; RSS
ratio). --json FILE writes every raw figure. Exits non-zero if any run fails or the two sides' answers disagree.
"""
import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time

import audit_vs_pymongo
import rollback_scale
from bench_common import (Failure, add_common_arguments, load_rules, mib, parse_sizes, require_rollgate,
                          require_server, seed_applied, server_peak_rss, table, timed)

DATABASE = "bench_scale"
DEFAULT_SIZES = "10000 100000 1000000"
OPERATIONS = ("audit", "plan", "rollback")
STEPS = "19-23,25,26"
# The pymongo rollback's batch size, and rollgate's default --transaction-limit.
BATCH = 1_000
TRANSACTION_LIMIT = 10_000
# rollgate's plan gives each query --timeout 300 s.
MAX_TIME_MS = 300_000


def step_numbers(spec: str) -> list:
    """"19-23,25,26" → [19, 20, 21, 22, 23, 25, 26]."""
    numbers = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        numbers += range(int(first), int(last or first) + 1)
    return numbers


def selected_rules(spec: str) -> list:
    """The rule files of the steps in `spec`, highest step first (the order both tools roll back in)."""
    wanted = set(step_numbers(spec))
    return sorted((r for r in load_rules() if r["step"] in wanted), key=lambda r: -r["step"])


def document_operations(rule: dict) -> list:
    return [o for o in rule.get("rollback", {}).get("operations", []) if o["type"] != "drop_index"]


def filters_by_collection(rule: dict) -> list:
    """(collection, filter) per collection the step changes, sorted by name: one operation's filter, or the $or of
    several, as rollgate's planner and backup build it."""
    grouped = {}
    for operation in document_operations(rule):
        grouped.setdefault(operation["collection"], []).append(operation["filter"])
    return [(c, f[0] if len(f) == 1 else {"$or": f}) for c, f in sorted(grouped.items())]


def update_document(operation: dict) -> dict:
    if operation["type"] == "unset":
        return {"$unset": {field: "" for field in operation["fields"]}}
    return operation["update"]


# MARK: pymongo children (run as `scale.py --child KIND`, so GNU time measures their peak RSS)

def child_plan(db, today: dt.datetime, spec: str = STEPS) -> dict:
    """The plan's questions, one call each; returns per step the operation counts, backup parts and impacts."""
    now = dt.datetime.now(dt.timezone.utc)
    steps = {}
    for rule in selected_rules(spec):
        operations = [db[o["collection"]].count_documents(audit_vs_pymongo.resolve(o["filter"], today, {}),
                                                          maxTimeMS=MAX_TIME_MS)
                      for o in document_operations(rule)]
        parts = {}
        for collection, filter_ in filters_by_collection(rule):
            parts[collection] = backup_size(db, collection, filter_, None)
        for backup in rule["rollback"].get("backup", []):
            if backup.get("indexes"):
                parts[f"{backup['collection']} index specifications"] = [len(list(db[backup["collection"]].list_indexes())), None]
            elif backup.get("name"):
                parts[backup["name"]] = backup_size(db, backup["collection"], backup["filter"], backup.get("projection"))
        impacts = [price(db, impact, today, now) for impact in rule.get("impact", [])]
        steps[str(rule["step"])] = {"operations": operations, "backup": parts, "impacts": impacts}
    return {"steps": steps}


def backup_size(db, collection: str, filter_: dict, projection) -> list:
    pipeline = [{"$match": filter_}] + ([{"$project": projection}] if projection else []) + [
        {"$group": {"_id": None, "n": {"$sum": 1}, "bytes": {"$sum": {"$bsonSize": "$$ROOT"}}}}]
    rows = list(db[collection].aggregate(pipeline, allowDiskUse=True, maxTimeMS=MAX_TIME_MS))
    return [rows[0]["n"], rows[0]["bytes"]] if rows else [0, 0]


def price(db, impact: dict, today: dt.datetime, now: dt.datetime) -> dict:
    """One impact declaration priced as rollgate's ImpactPricer does, server-side; {kind, value, figures}."""
    kind, collection = impact["type"], db[impact.get("collection", "orders")]
    resolve = lambda value: audit_vs_pymongo.resolve(value, today, {})  # noqa: E731
    if kind == "count":
        return {"kind": kind, "value": collection.count_documents(resolve(impact["filter"]), maxTimeMS=MAX_TIME_MS),
                "figures": {}}
    if kind == "sum":
        rows = list(collection.aggregate(resolve(impact["pipeline"]), allowDiskUse=True, maxTimeMS=MAX_TIME_MS))
        row = rows[0] if rows else {}
        return {"kind": kind, "value": row.get("value", 0), "figures": {"count": row.get("count", 0)}}
    if kind == "compliance":
        fields = impact["fields"]
        present = lambda name: {"$ne": [{"$type": f"${name}"}, "missing"]}  # noqa: E731
        personal = [f["name"] for f in fields if f.get("personal_data")]
        group = {"_id": f"${impact['group_by']}", "records": {"$sum": 1},
                 "personalData": {"$sum": {"$cond": [{"$or": [present(n) for n in personal]}, 1, 0]}}}
        for index, field in enumerate(fields):
            group[f"f{index}"] = {"$sum": {"$cond": [present(field["name"]), 1, 0]}}
        rows = list(collection.aggregate([{"$match": resolve(impact["filter"])}, {"$group": group},
                                          {"$sort": {"_id": 1}}], allowDiskUse=True, maxTimeMS=MAX_TIME_MS))
        figures = {f"field.{field['name']}": sum(r[f"f{i}"] for r in rows) for i, field in enumerate(fields)}
        figures["personalData"] = sum(r["personalData"] for r in rows)
        return {"kind": kind, "value": sum(r["records"] for r in rows), "figures": figures}
    if kind == "revenue":
        amount_field, date_field = impact["amount_field"], impact["date_field"]
        amount = {"$ifNull": [f"${amount_field}", float(impact["default_amount"])]}
        no_amount = {"$cond": [{"$in": [{"$type": f"${amount_field}"}, ["missing", "null"]]}, 1, 0]}
        totals = {"orders": {"$sum": 1}, "rupees": {"$sum": amount}, "withoutAmount": {"$sum": no_amount}}
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        month, year = month_start.month - 5, month_start.year
        if month <= 0:
            month, year = month + 12, year - 1
        six_months = month_start.replace(year=year, month=month)
        rows = list(collection.aggregate([
            {"$match": resolve(impact["filter"])},
            {"$facet": {
                "last30": [{"$match": {date_field: {"$gte": now - dt.timedelta(days=30)}}},
                           {"$group": {"_id": None, **totals}}],
                "months": [{"$match": {date_field: {"$gte": six_months}}},
                           {"$group": {"_id": {"$dateToString": {"format": "%Y-%m", "date": f"${date_field}"}}, **totals}},
                           {"$sort": {"_id": 1}}],
                "all": [{"$group": {"_id": None, **totals}}]}}], allowDiskUse=True, maxTimeMS=MAX_TIME_MS))
        facet = rows[0] if rows else {}
        overall = (facet.get("all") or [{}])[0]
        last30 = (facet.get("last30") or [{}])[0]
        guide = collection.count_documents(resolve(impact["guide_filter"]), maxTimeMS=MAX_TIME_MS)
        return {"kind": kind, "value": last30.get("rupees", 0),
                "figures": {"orders": overall.get("orders", 0), "rupeesAllTime": overall.get("rupees", 0),
                            "withoutAmount": overall.get("withoutAmount", 0), "guideCount": guide}}
    return {"kind": kind, "value": None, "figures": {}, "skipped": True}


def child_rollback(client, db, today: dt.datetime, spec: str = STEPS) -> dict:
    """Rolls back the steps highest first with rollgate's safety (counts, full pre-image backup with a manifest and
    a checksum, named backups, operations, verification); returns per step what it changed and backed up."""
    from bson.raw_bson import RawBSONDocument

    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    transactions = "setName" in client.admin.command("hello")
    steps = []
    for rule in selected_rules(spec):
        started = time.perf_counter()
        operations = document_operations(rule)
        counts = [db[o["collection"]].count_documents(o["filter"], maxTimeMS=MAX_TIME_MS) for o in operations]
        if not any(counts):
            steps.append({"step": rule["step"], "documents": 0, "backup": 0, "seconds": time.perf_counter() - started,
                          "verify": [], "note": "already rolled back"})
            continue
        store = db[f"pymongo_backup_{rule['step']}_{run_id}"]
        manifest = {"type": "rollback-backup", "step": rule["step"], "run_id": run_id, "operator": "bench",
                    "created_at": dt.datetime.now(dt.timezone.utc), "complete": False, "operations": operations}
        store.replace_one({"_id": "manifest"}, manifest, upsert=True)
        checksum, copied, backed = 0, {}, 0
        for collection, filter_ in filters_by_collection(rule):
            batch, copied[collection] = [], 0
            cursor = db.get_collection(collection, codec_options=db.codec_options.with_options(
                document_class=RawBSONDocument)).find(filter_, sort=[("_id", 1)], batch_size=BATCH)
            for document in cursor:
                checksum = (checksum + int.from_bytes(hashlib.blake2b(document.raw, digest_size=8).digest(), "little")) \
                    % (1 << 64)
                batch.append({"_id": {"c": collection, "id": document["_id"]}, "collection": collection,
                              "document": document})
                if len(batch) == BATCH:
                    copied[collection] += len(store.insert_many(batch).inserted_ids)
                    batch = []
            if batch:
                copied[collection] += len(store.insert_many(batch).inserted_ids)
            backed += copied[collection]
        for backup in rule["rollback"].get("backup", []):
            if backup.get("name"):
                pipeline = [{"$match": backup["filter"]}] + (
                    [{"$project": backup["projection"]}] if backup.get("projection") else []) + [{"$out": backup["name"]}]
                list(db[backup["collection"]].aggregate(pipeline, allowDiskUse=True))
        store.replace_one({"_id": "manifest"}, {**manifest, "complete": True, "counts": copied,
                                                "checksum": f"{backed}:{checksum:x}"}, upsert=True)

        def apply(session=None):
            return [db[o["collection"]].update_many(o["filter"], update_document(o), session=session).modified_count
                    for o in operations]

        transactional = transactions and sum(counts) <= TRANSACTION_LIMIT
        if transactional:
            with client.start_session() as session:
                changed = session.with_transaction(apply)
        else:
            changed = apply()
        verify = []
        for rule_ in rule["rollback"].get("verify", []):
            found = db[rule_["collection"]].count_documents(rule_["filter"], maxTimeMS=MAX_TIME_MS)
            verify.append({"collection": rule_["collection"], "expect": rule_.get("expect", 0), "found": found})
        steps.append({"step": rule["step"], "documents": sum(changed), "operations": changed, "backup": backed,
                      "transaction": transactional, "seconds": time.perf_counter() - started, "verify": verify})
    return {"steps": steps}


def child_main(kind: str, uri: str, database: str, spec: str = STEPS) -> int:
    """The pymongo side of one operation, as a child process: prints a JSON summary on stdout."""
    if kind == "audit":
        return audit_vs_pymongo.baseline_main(uri, database)
    import pymongo

    started = time.perf_counter()
    client = pymongo.MongoClient(uri)
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    result = (child_plan(client[database], today, spec) if kind == "plan"
              else child_rollback(client, client[database], today, spec))
    result["seconds"] = time.perf_counter() - started
    client.close()
    json.dump(result, sys.stdout, default=str)
    return 0


def run_child(kind: str, uri: str, spec: str = STEPS) -> dict:
    """The pymongo side of `kind` for the steps in `spec`, as a timed child process; its JSON summary with `wall`,
    `rss` and `cpu` added."""
    command = [sys.executable, os.path.abspath(__file__), "--child", kind, "--uri", uri, "--db", DATABASE,
               "--steps", spec]
    status, stdout, wall, rss, cpu = timed(command)
    if status != 0:
        raise Failure(f"the pymongo {kind} exited with status {status}")
    summary = json.loads(stdout)
    summary.update(wall=wall, rss=rss, cpu=cpu)
    return summary


# MARK: rollgate, and the comparisons

def rollgate_audit(binary: str, uri: str) -> dict:
    audit = audit_vs_pymongo.run_audit(binary, uri, 4, None, database=DATABASE)
    audit["findings"] = [[step, finding] for step, finding in audit["findings"]]
    return audit


def compare_audit(audit: dict, baseline: dict) -> tuple:
    """(figures compared, disagreements), by audit_vs_pymongo's comparison."""
    try:
        return audit_vs_pymongo.compare(audit, baseline), []
    except Failure as failure:
        return None, [str(failure)]


def close(a, b) -> bool:
    return a is not None and b is not None and abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))


def compare_plan(report: dict, answers: dict) -> tuple:
    """(figures compared, disagreements) between rollgate's plan report.json and the pymongo plan."""
    compared, wrong = 0, []
    for entry in report.get("plan", []):
        step = str(entry["step"])
        theirs = answers["steps"].get(step)
        if theirs is None:
            wrong.append(f"step {step}: pymongo did not plan it")
            continue
        ours = [o["documents"] for o in entry["operations"] if o["type"] != "drop_index"]
        compared += len(ours)
        if ours != theirs["operations"]:
            wrong.append(f"step {step} documents per operation: rollgate {ours}, pymongo {theirs['operations']}")
        for part in entry["backup"]["parts"]:
            mine = theirs["backup"].get(part["name"])
            if mine is None:
                wrong.append(f"step {step} backup {part['name']}: pymongo has no such part")
                continue
            for name, value, other in (("documents", part["documents"], mine[0]), ("bytes", part["bytes"], mine[1])):
                if other is None:
                    continue
                compared += 1
                if not close(value, other):
                    wrong.append(f"step {step} backup {part['name']} {name}: rollgate {value}, pymongo {other}")
        for index, (impact, mine) in enumerate(zip(entry["impacts"], theirs["impacts"])):
            if mine.get("skipped"):
                continue
            # The revenue's last-30-days value and months depend on the clock; its all-time figures do not.
            pairs = [] if impact["kind"] == "revenue" else [("value", impact["value"], mine["value"])]
            pairs += [(name, impact["figures"].get(name), value) for name, value in mine["figures"].items()]
            for name, value, other in pairs:
                compared += 1
                if not close(value, other):
                    wrong.append(f"step {step} impact {index + 1} ({impact['kind']}) {name}: rollgate {value}, "
                                 f"pymongo {other}")
    return compared, wrong


def compare_rollback(done: dict, theirs: dict) -> tuple:
    compared, wrong = 0, []
    mine = {s["step"]: s for s in theirs["steps"]}
    for step in done["steps"]:
        other = mine.get(step["step"])
        compared += 1
        if other is None or other["documents"] != step["documents"]:
            wrong.append(f"step {step['step']} documents changed: rollgate {step['documents']}, "
                         f"pymongo {other and other['documents']}")
        if step["verdict"] != "passed":
            wrong.append(f"step {step['step']}: rollgate's verdict is {step['verdict']}")
    for step in theirs["steps"]:
        failed = [v for v in step.get("verify", []) if v["found"] != v["expect"]]
        if failed:
            wrong.append(f"step {step['step']}: pymongo's verification failed: {failed}")
    return compared, wrong


def drop_database(uri: str, database: str = DATABASE) -> None:
    import pymongo

    client = pymongo.MongoClient(uri)
    try:
        client.drop_database(database)
    finally:
        client.close()


# MARK: One size

def run_size(binary: str, uri: str, orders: int, operations: list, progress) -> dict:
    run = {"orders": orders, "operations": {}, "disagreements": []}
    drop_database(uri)
    progress(f"{orders:,} orders: rollgate seed ...")
    run["seed"] = seed_applied(binary, uri, DATABASE, orders)
    run["documents"] = sum(run["seed"]["documents"].values())
    progress(f"  {run['seed']['wall']:.1f} s, {run['documents']:,} documents")

    def side(label: str, work):
        progress(f"{orders:,} orders: {label} ...")
        result = work()
        progress(f"  {result['wall']:.1f} s, peak RSS {mib(result['rss'])} MiB")
        return result

    if "audit" in operations:
        audit = side("rollgate audit", lambda: rollgate_audit(binary, uri))
        baseline = side("pymongo audit (one question at a time)", lambda: run_child("audit", uri))
        compared, wrong = compare_audit(audit, baseline)
        run["operations"]["audit"] = {"rollgate": audit, "pymongo": baseline, "compared": compared}
        run["disagreements"] += [f"audit: {w}" for w in wrong]
    if "plan" in operations:
        planned = side(f"rollgate plan {STEPS}", lambda: rollback_scale.plan(binary, uri, STEPS, database=DATABASE))
        answers = side("pymongo plan", lambda: run_child("plan", uri))
        compared, wrong = compare_plan(planned["report"], answers)
        run["operations"]["plan"] = {"rollgate": planned, "pymongo": answers, "compared": compared}
        run["disagreements"] += [f"plan: {w}" for w in wrong]
    if "rollback" in operations:
        done = side(f"rollgate rollback {STEPS}", lambda: rollback_scale.rollback(binary, uri, STEPS, database=DATABASE))
        drop_database(uri)
        progress(f"{orders:,} orders: reseed for the pymongo rollback ...")
        run["reseed"] = seed_applied(binary, uri, DATABASE, orders)
        theirs = side("pymongo rollback", lambda: run_child("rollback", uri))
        compared, wrong = compare_rollback(done, theirs)
        run["operations"]["rollback"] = {"rollgate": done, "pymongo": theirs, "compared": compared}
        run["disagreements"] += [f"rollback: {w}" for w in wrong]
    run["server_rss"] = server_peak_rss(uri)
    for line in run["disagreements"]:
        progress(f"DISAGREE {line}")
    return run


# MARK: Report

def ratio(a, b) -> str:
    return f"{a / b:.2f}" if a is not None and b else "—"


def growth_rows(runs: list, operations: list) -> list:
    rows = []
    ordered = sorted(runs, key=lambda r: r["orders"])
    for small, large in zip(ordered, ordered[1:]):
        size = large["orders"] / small["orders"]
        for operation in operations:
            a, b = small["operations"].get(operation), large["operations"].get(operation)
            if not a or not b:
                continue
            cells = [f"{small['orders']:,} → {large['orders']:,}", operation, f"×{size:.1f}"]
            verdicts = []
            for who in ("rollgate", "pymongo"):
                time_ratio = b[who]["wall"] / a[who]["wall"]
                cells += [f"×{time_ratio:.2f}", f"{time_ratio / size:.2f}"]
                verdicts.append(time_ratio / size)
            for who in ("rollgate", "pymongo"):
                cells.append(f"×{b[who]['rss'] / a[who]['rss']:.2f}" if a[who]["rss"] and b[who]["rss"] else "—")
            rss = (b["rollgate"]["rss"] / a["rollgate"]["rss"]) if a["rollgate"]["rss"] and b["rollgate"]["rss"] else None
            cells.append(("linear or better" if verdicts[0] <= 1.1 else "worse than linear") + ", memory "
                         + ("not measured" if rss is None else "flat" if rss <= 1.25 else "growing"))
            rows.append(cells)
    return rows


def report(runs: list, operations: list) -> str:
    sizes = ", ".join(f"{run['orders']:,}" for run in runs)
    lines = [f"### rollgate vs pymongo at {sizes} orders: audit, plan {STEPS}, rollback {STEPS}", ""]
    rows = []
    for run in runs:
        for operation in operations:
            result = run["operations"].get(operation)
            if not result:
                continue
            ours, theirs = result["rollgate"], result["pymongo"]
            per = 100_000 / run["orders"]
            rows.append((f"{run['orders']:,}", operation, f"{ours['wall']:.1f}", f"{theirs['wall']:.1f}",
                         ratio(ours["wall"], theirs["wall"]), mib(ours["rss"]), mib(theirs["rss"]),
                         f"{ours['wall'] * per:.1f}", f"{theirs['wall'] * per:.1f}"))
    lines += table(["orders", "operation", "rollgate s", "pymongo s", "rollgate ÷ pymongo", "rollgate peak RSS MiB",
                    "pymongo peak RSS MiB", "rollgate s per 100k orders", "pymongo s per 100k orders"],
                   "rlrrrrrrr", rows)
    growth = growth_rows(runs, operations)
    if growth:
        lines += ["", "Growth from each size to the next (time ratio ÷ size ratio: 1 is linear, ≤ 1.1 counts as linear "
                      "or better; the verdict is rollgate's):", ""]
        lines += table(["orders", "operation", "size", "rollgate time", "rollgate ÷ size", "pymongo time",
                        "pymongo ÷ size", "rollgate RSS", "pymongo RSS", "rollgate"], "llrrrrrrrl", growth)
    lines.append("")
    for run in runs:
        notes = [f"seed {run['seed']['wall']:.1f} s ({run['documents']:,} documents)"]
        if run.get("reseed"):
            notes.append(f"reseed {run['reseed']['wall']:.1f} s")
        ops = run["operations"]
        if "audit" in ops:
            a = ops["audit"]
            notes.append(f"audit exit {a['rollgate']['status']}, "
                         + ", ".join(f"{n} {v}" for v, n in sorted(a["rollgate"]["verdicts"].items()))
                         + (" (" + ", ".join(f"{step} {f['check']}" for step, f in a["rollgate"]["findings"]
                                             if f["verdict"] == "failed") + ")"
                            if a["rollgate"]["verdicts"].get("failed") else "")
                         + (f", {a['compared']} figures agree with pymongo's" if a["compared"] is not None else ""))
        if "plan" in ops:
            p = ops["plan"]
            notes.append(f"plan: {p['compared']} figures compared (documents per operation, backup documents and "
                         f"bytes, impacts)")
        if "rollback" in ops:
            r = ops["rollback"]
            ours = {s["step"]: s for s in r["rollgate"]["steps"]}
            per_step = ", ".join(f"{s['step']}: {s['documents']:,} ({ours.get(s['step'], {}).get('seconds', 0):.1f} s / "
                                 f"{s['seconds']:.1f} s)" for s in r["pymongo"]["steps"])
            notes.append(f"rollback documents changed per step (rollgate s / pymongo s): {per_step}; rollgate CPU "
                         + (f"{r['rollgate']['cpu']:.1f} s" if r["rollgate"]["cpu"] is not None else "not measured")
                         + ", pymongo CPU " + (f"{r['pymongo']['cpu']:.1f} s" if r["pymongo"]["cpu"] is not None
                                               else "not measured"))
        if run.get("server_rss"):
            notes.append(f"server peak RSS so far (VmHWM) {mib(run['server_rss'])} MiB")
        lines.append(f"- {run['orders']:,} orders: " + "; ".join(notes) + ".")
        for line in run["disagreements"]:
            lines.append(f"  - **disagreement** {line}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=[os.environ.get("BENCH_SIZES") or DEFAULT_SIZES],
                        help=f'orders to seed, one run each (default $BENCH_SIZES, else "{DEFAULT_SIZES}")')
    parser.add_argument("--operations", default="audit,plan,rollback",
                        help="which operations to compare, comma-separated (default audit,plan,rollback)")
    add_common_arguments(parser)
    parser.add_argument("--json", help="also write every raw figure to this file")
    parser.add_argument("--child", choices=OPERATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--db", default=DATABASE, help=argparse.SUPPRESS)
    parser.add_argument("--steps", default=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    require_server(parser, args)
    if args.child:
        return child_main(args.child, args.uri, args.db, args.steps)
    require_rollgate(parser, args)
    try:
        sizes = parse_sizes(args.sizes)
    except (ValueError, argparse.ArgumentTypeError) as error:
        parser.error(f"--sizes: {error}")
    operations = [o for o in OPERATIONS if o in args.operations.split(",")]
    if not operations or set(args.operations.split(",")) - set(OPERATIONS):
        parser.error("--operations takes a comma-separated list of audit, plan, rollback")

    runs, failed = [], None
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        for orders in sizes:
            runs.append(run_size(args.rollgate, args.uri, orders, operations, progress))
    except (Failure, json.JSONDecodeError, OSError) as failure:
        failed = failure
    except Exception as failure:  # a pymongo error on this side, e.g. dropping the database
        failed = failure
    finally:
        if args.json:
            with open(args.json, "w") as file:
                json.dump({"sizes": sizes, "operations": operations, "steps": STEPS, "runs": runs,
                           "failure": str(failed) if failed else None}, file, indent=1, default=str)
    if failed:
        print(f"benchmark failed: {failed}", file=sys.stderr)
    if runs:
        print(("(partial: the sizes before the failure)\n\n" if failed else "") + report(runs, operations))
    disagreements = sum(len(run["disagreements"]) for run in runs)
    if disagreements:
        print(f"{disagreements} disagreement(s) between rollgate and pymongo", file=sys.stderr)
    return 1 if failed or disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
