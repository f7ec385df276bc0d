#!/usr/bin/env python3
"""Compare `rollgate audit` with a plain pymongo script that asks the same questions one by one, on the same server.

    scripts/test_server.py -- .venv/bin/python Benchmarks/audit_vs_pymongo.py [--orders N] [--rollgate PATH]

1. Seeds database bench_audit with `rollgate seed --orders N --state applied --drop`.
2. Runs `rollgate audit` on it with the default --concurrency 4, then with --concurrency 1. Each run is timed from
   outside (and under /usr/bin/time -v for peak RSS when GNU time is installed). Exit 0 and 1 (gating findings,
   e.g. latency on the test server) both count as a completed audit; any other status is a failure.
3. Runs this script again as a child process (--baseline) that reads the rule files in checks/ and asks every
   question of the applied-state audit with its own pymongo call, one after another: count_documents per field,
   per format field (+ find().limit(3) for examples) and per count filter; one aggregate with $count per count
   pipeline; list_indexes per collection; both sides of the link read in full; for each query probe $sample,
   explain (executionStats), the warm-up and the timed finds. Timed the same way as rollgate.
4. Counts each run's server round trips (serverStatus opcounters before and after; pymongo also counts its own
   commands with a command listener), checks that both sides got the same answers, and prints a Markdown table.
Exits non-zero if a side fails or the answers disagree.
"""
import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

import pymongo
from bson.regex import Regex
from pymongo import monitoring

import bench_common
from bench_common import CHECKS, Failure, add_common_arguments, require_rollgate, require_server, table

DATABASE = "bench_audit"
# The longest one probe may run, the same on both sides: rollgate's --probe-timeout, pymongo's maxTimeMS. Not
# rollgate's default of 120 s but its maximum: on this test server one probe over 1,000,000 orders takes minutes, and
# a probe the client gives up on still runs on the server (SecantusDB does not enforce maxTimeMS) and holds up every
# probe after it. The benchmarks measure the work, not the cut.
PROBE_TIMEOUT_SECONDS = 3600
MAX_TIME_MS = PROBE_TIMEOUT_SECONDS * 1000
# rollgate audit's exit statuses: 0 passed, 1 gating findings (both are completed audits), 2 invalid input, 3 server.
AUDIT_COMPLETED = (0, 1)
# Probe kinds in the order the report lists them.
KINDS = ["fields", "format", "count filter", "count pipeline", "index", "link", "query"]


# MARK: Timing child processes

def timed(command: list) -> tuple:
    """Runs `command` (stderr passed through); returns (exit status, stdout, wall seconds, peak RSS KiB or None)."""
    return bench_common.timed(command)[:4]


class ServerOps:
    """Operations the server has counted (serverStatus opcounters), to count a run's round trips from outside.
    Handshakes and the clients' monitoring heartbeats are included; the serverStatus calls themselves are not."""

    def __init__(self, uri: str):
        self.client = pymongo.MongoClient(uri)
        first = self.read_raw()
        self.overhead = self.read_raw() - first  # what one serverStatus adds by itself

    def read_raw(self) -> int:
        counters = self.client.admin.command("serverStatus").get("opcounters", {})
        return sum(int(counters.get(key, 0)) for key in ("insert", "query", "update", "delete", "getmore", "command"))

    def around(self, run):
        """Calls run(); returns (its result, server operations it caused)."""
        before = self.read_raw()
        result = run()
        return result, self.read_raw() - before - self.overhead

    def close(self):
        self.client.close()


# MARK: rollgate

def seed(binary: str, uri: str, orders: int) -> dict:
    command = [binary, "seed", "--uri", uri, "--db", DATABASE, "--orders", str(orders), "--seed", "42",
               "--state", "applied", "--drop", "--json"]
    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise Failure(f"rollgate seed exited with status {result.returncode}")
    summary = json.loads(result.stdout)
    summary["wall_seconds"] = time.perf_counter() - started
    return summary


def run_audit(binary: str, uri: str, concurrency: int, ops, database: str = DATABASE) -> dict:
    """One `rollgate audit`; returns wall seconds, peak RSS, round trips (None without `ops`, a ServerOps) and the
    parsed report.json."""
    with tempfile.TemporaryDirectory(prefix="rollgate-audit-bench-") as report_dir:
        command = [binary, "audit", "--uri", uri, "--db", database, "--checks", CHECKS, "--report-dir", report_dir,
                   "--concurrency", str(concurrency), "--probe-timeout", str(PROBE_TIMEOUT_SECONDS)]
        (status, stdout, wall, rss), trips = ops.around(lambda: timed(command)) if ops else (timed(command), None)
        if status not in AUDIT_COMPLETED:
            sys.stderr.write(stdout)
            raise Failure(f"rollgate audit --concurrency {concurrency} exited with status {status}")
        with open(os.path.join(report_dir, "report.json")) as file:
            report = json.load(file)
    findings = [(step["step"], finding) for step in report["steps"] for finding in step["findings"]]
    latency = sum(f["seconds"] for _, f in findings if f["check"].endswith(".latency"))
    return {"wall": wall, "rss": rss, "trips": trips, "status": status, "seconds": report["seconds"],
            "query_seconds": latency, "findings": findings,
            "verdicts": Counter(f["verdict"] for _, f in findings),
            "errors": [f"step {step} {f['check']}: {f['message']}" for step, f in findings if f["verdict"] == "error"]}


# MARK: pymongo, one question at a time (the --baseline child process)

def load_catalog() -> list:
    """(step, probe) for every probe in checks/, in file order."""
    return [(rule["step"], probe) for rule in bench_common.load_rules() for probe in rule.get("probes", [])]


def resolve(value, today: dt.datetime, samples: dict):
    """`value` with every "{{name}}" string replaced, as rollgate's Placeholder.resolve does: now, today, tomorrow,
    days_ago:N, days_ahead:N (UTC days), and sampled values."""
    if isinstance(value, dict):
        return {key: resolve(item, today, samples) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, today, samples) for item in value]
    if not (isinstance(value, str) and value.startswith("{{") and value.endswith("}}") and len(value) > 4):
        return value
    name = value[2:-2].strip()
    if name == "now":
        return dt.datetime.now(dt.timezone.utc)
    if name == "today":
        return today
    if name == "tomorrow":
        return today + dt.timedelta(days=1)
    for prefix, sign in (("days_ago:", -1), ("days_ahead:", 1)):
        if name.startswith(prefix):
            return today + dt.timedelta(days=sign * int(name[len(prefix):]))
    return samples.get(name, value)


def bad_value_filter(field: str, pattern: str) -> dict:
    """Documents whose field holds a value (not missing, not null) that does not match; a dotted field names a
    field in an array of documents, as in rollgate's format probe."""
    condition = {"$exists": True, "$ne": None, "$not": Regex(pattern)}
    if "." not in field:
        return {field: condition}
    array, inner = field.split(".", 1)
    return {array: {"$elemMatch": {inner: condition}}}


def text(value):
    """An id as rollgate's link check compares it: strings as they are, missing or null as None."""
    return None if value is None else value if isinstance(value, str) else str(value)


def percentile(values: list, p: float) -> float:
    """Nearest-rank percentile, as rollgate computes it."""
    ordered = sorted(values)
    rank = min(max(math.ceil(p * len(ordered)), 1), len(ordered))
    return ordered[rank - 1]


class CommandCounter(monitoring.CommandListener):
    """Counts the commands pymongo sends (each one a round trip), by name."""

    def __init__(self):
        self.commands = Counter()

    def started(self, event):
        self.commands[event.command_name] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


class Baseline:
    """Asks the audit's questions one at a time and records answers, time and calls per probe kind."""

    def __init__(self, uri: str, database: str = DATABASE):
        self.counter = CommandCounter()
        self.client = pymongo.MongoClient(uri, event_listeners=[self.counter])
        self.db = self.client[database]
        self.today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        self.seconds = Counter()
        self.calls = Counter()
        self.answers = {}
        self.latency = {}
        self.errors = []

    def call(self, kind: str, operation):
        """One pymongo call, timed under its probe kind."""
        started = time.perf_counter()
        try:
            return operation()
        finally:
            self.seconds[kind] += time.perf_counter() - started
            self.calls[kind] += 1

    def count(self, kind: str, collection: str, filter_: dict) -> int:
        return self.call(kind, lambda: self.db[collection].count_documents(filter_, maxTimeMS=MAX_TIME_MS))

    def run(self, probes: list) -> None:
        indexes = {}
        for step, probe in probes:
            kind, when = probe["type"], probe.get("when")
            # The audit expects `applied`: rolled-back-only probes are skipped, HTTP probes need --api-url.
            if when == "rolled-back" or kind == "http":
                continue
            key = f"{step} {probe['id']}"
            try:
                if kind == "fields":
                    where = probe.get("where") or {}
                    figures = {"total": self.count("fields", probe["collection"], where)}
                    for field in probe["fields"]:
                        figures[f"carrying.{field}"] = self.count(
                            "fields", probe["collection"], {**where, field: {"$exists": True}})
                    self.answers[key] = figures
                elif kind == "format":
                    for collection, fields in probe["fields"].items():
                        figures = {}
                        for field in fields:
                            bad = bad_value_filter(field, probe["pattern"])
                            figures[f"bad.{field}"] = self.count("format", collection, bad)
                            self.call("format", lambda: list(self.db[collection].find(
                                bad, {"_id": 0, field: 1}, limit=3, max_time_ms=MAX_TIME_MS)))
                        self.answers[f"{step} {probe['id']}.{collection}"] = figures
                elif kind == "count" and "filter" in probe:
                    filter_ = resolve(probe["filter"], self.today, {})
                    self.answers[key] = {"count": self.count("count filter", probe["collection"], filter_)}
                elif kind == "count":
                    pipeline = resolve(probe["pipeline"], self.today, {}) + [{"$count": "n"}]
                    rows = self.call("count pipeline", lambda: list(self.db[probe["collection"]].aggregate(
                        pipeline, allowDiskUse=True, maxTimeMS=MAX_TIME_MS)))
                    self.answers[key] = {"count": rows[0]["n"] if rows else 0}
                elif kind == "index":
                    collection = probe["collection"]
                    if collection not in indexes:
                        indexes[collection] = self.call("index", lambda: list(self.db[collection].list_indexes()))
                    keys = list(probe["keys"].items())
                    match = next((i for i in indexes[collection] if list(i["key"].items()) == keys), None)
                    self.answers[key] = {"passed": int(match is not None and match["name"] == probe["name"])}
                elif kind == "link":
                    self.answers[key] = self.link(probe)
                elif kind == "query":
                    self.query(key, probe)
            except pymongo.errors.PyMongoError as error:
                self.errors.append(f"step {key}: {error}")

    def side(self, side: dict) -> dict:
        cursor = self.db[side["collection"]].find(side.get("where") or {}, {"_id": 0, side["id"]: 1, side["link"]: 1},
                                                  max_time_ms=MAX_TIME_MS)
        documents = self.call("link", lambda: list(cursor))
        return {text(doc.get(side["id"])): text(doc.get(side["link"])) for doc in documents
                if text(doc.get(side["id"])) is not None}

    def link(self, probe: dict) -> dict:
        left, right = self.side(probe["left"]), self.side(probe["right"])
        unlinked = sum(1 for link in left.values() if link is None)
        dangling = mismatched = 0
        for id_, link in left.items():
            if link is None:
                continue
            if link not in right:
                dangling += 1
            elif right[link] != id_:
                mismatched += 1
        for id_, link in right.items():
            if link is None:
                continue
            if link not in left:
                dangling += 1
            elif left[link] != id_:
                mismatched += 1
        return {"checked": len(left) + len(right), "unlinked": unlinked, "dangling": dangling, "mismatched": mismatched}

    def query(self, key: str, probe: dict) -> None:
        collection = self.db[probe["collection"]]
        samples = {}
        for parameter, field in sorted((probe.get("sample") or {}).items()):
            rows = self.call("query", lambda: list(collection.aggregate(
                [{"$match": {field: {"$exists": True, "$ne": None}}}, {"$sample": {"size": 1}},
                 {"$project": {"_id": 0, "v": f"${field}"}}], maxTimeMS=MAX_TIME_MS)))
            if not rows:
                self.errors.append(f"step {key}: no document has {field} to sample")
                return
            samples[parameter] = rows[0]["v"]
        filter_ = resolve(probe["filter"], self.today, samples)
        sort = list((probe.get("sort") or {}).items()) or None
        limit = probe.get("limit", 0)
        find = {"find": probe["collection"], "filter": filter_, "maxTimeMS": MAX_TIME_MS}
        if sort:
            find["sort"] = dict(sort)
        if limit:
            find["limit"] = limit
        explain = self.call("query", lambda: self.db.command("explain", find, verbosity="executionStats"))
        stages = json.dumps(explain.get("executionStats", {}).get("executionStages", {}), default=str)
        self.answers[f"{key}.plan"] = {"ixscan": int('"IXSCAN"' in stages and '"COLLSCAN"' not in stages)}
        for _ in range(probe.get("warmup", 3)):
            self.call("query", lambda: list(collection.find(filter_, sort=sort, limit=limit, max_time_ms=MAX_TIME_MS)))
        timings = []
        for _ in range(probe.get("runs", 20)):
            started = time.perf_counter()
            self.call("query", lambda: list(collection.find(filter_, sort=sort, limit=limit, max_time_ms=MAX_TIME_MS)))
            timings.append((time.perf_counter() - started) * 1000)
        self.latency[probe["id"]] = {"p50Ms": percentile(timings, 0.50), "p95Ms": percentile(timings, 0.95)}


def baseline_main(uri: str, database: str = DATABASE) -> int:
    """The --baseline child: asks the questions in `database`, prints a JSON summary on stdout."""
    started = time.perf_counter()
    baseline = Baseline(uri, database)
    baseline.run(load_catalog())
    seconds = time.perf_counter() - started
    baseline.client.close()
    json.dump({"seconds": seconds, "kind_seconds": baseline.seconds, "calls": baseline.calls,
               "commands": baseline.counter.commands, "answers": baseline.answers, "latency": baseline.latency,
               "errors": baseline.errors}, sys.stdout)
    return 0


def run_baseline(uri: str, ops: ServerOps) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--baseline", "--uri", uri]
    (status, stdout, wall, rss), trips = ops.around(lambda: timed(command))
    if status != 0:
        raise Failure(f"the pymongo baseline exited with status {status}")
    summary = json.loads(stdout)
    summary.update(wall=wall, rss=rss, trips=trips)
    return summary


# MARK: Checks and report

def compare(audit: dict, baseline: dict) -> int:
    """Checks that pymongo's answers equal rollgate's figures; returns how many figures were compared."""
    # Index checks carry no figures: their verdict is compared instead.
    found = {f"{step} {finding['check']}": {**finding["figures"], "passed": int(finding["verdict"] == "passed")}
             for step, finding in audit["findings"]}
    compared, wrong = 0, []
    for key, figures in baseline["answers"].items():
        if key not in found:
            wrong.append(f"{key}: rollgate reported no such check")
            continue
        for name, value in figures.items():
            theirs = found[key].get(name)
            compared += 1
            if theirs is None or float(theirs) != float(value):
                wrong.append(f"{key} {name}: rollgate {theirs}, pymongo {value}")
    if wrong:
        raise Failure("rollgate and pymongo disagree:\n  " + "\n  ".join(wrong))
    return compared


def mib(kib):
    return bench_common.mib(kib, " MiB")


def report(orders: int, seeded: dict, audits: dict, baseline: dict, compared: int) -> str:
    documents = sum(seeded["documents"].values())
    base = baseline["wall"]
    commands = sum(baseline["commands"].values())
    rows = []
    for concurrency, audit in audits.items():
        label = "rollgate audit" + (" (default --concurrency 4)" if concurrency == 4 else f" --concurrency {concurrency}")
        rows.append((label, f"{audit['wall']:.2f}", f"{audit['wall'] / base:.2f}", f"{audit['trips']:,}",
                     mib(audit["rss"])))
    rows.append(("pymongo, one question at a time", f"{base:.2f}", "1.00", f"{baseline['trips']:,} ({commands:,} sent)",
                 mib(baseline["rss"])))
    lines = [f"### `rollgate audit` vs pymongo one by one: {orders:,} orders, {documents:,} documents", ""]
    lines += table(["run", "seconds", "rollgate ÷ pymongo", "server operations¹", "peak RSS"], "lrrrr", rows)
    lines += ["", "¹ serverStatus opcounters over the run: every command, find and getMore, including connection handshakes "
                  f"and the drivers' monitoring heartbeats, so a longer run counts more. pymongo itself sent {commands:,} "
                  "commands (command listener)."]

    lines += ["", "Where the time goes (seconds; the latency part is $sample, explain, 3 warm-ups and 20 timed finds "
                  "for each of the 8 query probes, run one at a time on both sides):", "",
              "| part | " + " | ".join(f"rollgate --concurrency {c}" for c in audits) + " | pymongo | pymongo calls |",
              "|---|" + "---:|" * (len(audits) + 2)]
    query = baseline["kind_seconds"].get("query", 0.0)
    rest = " | ".join(f"{a['seconds'] - a['query_seconds']:.2f}" for a in audits.values())
    latency = " | ".join(f"{a['query_seconds']:.2f}" for a in audits.values())
    total = " | ".join(f"{a['seconds']:.2f}" for a in audits.values())
    lines.append(f"| everything but latency | {rest} | {baseline['seconds'] - query:.2f} | "
                 f"{sum(n for k, n in baseline['calls'].items() if k != 'query'):,} |")
    lines.append(f"| latency probes (step 30) | {latency} | {query:.2f} | {baseline['calls'].get('query', 0):,} |")
    lines.append(f"| total, own clock | {total} | {baseline['seconds']:.2f} | {sum(baseline['calls'].values()):,} |")
    lines += ["", "pymongo by probe kind: " + "; ".join(
        f"{kind} {baseline['kind_seconds'].get(kind, 0.0):.2f} s in {baseline['calls'].get(kind, 0):,} calls"
        for kind in KINDS if baseline["calls"].get(kind)) + ".",
        "pymongo commands sent: " + ", ".join(f"{name} {n:,}" for name, n in sorted(baseline["commands"].items())) + ".",
        f"Seeding (not timed in the table): {seeded['wall_seconds']:.1f} s. Answers compared: {compared} figures "
        f"from the fields, format, count, index, link and plan checks agree between rollgate and pymongo.",
        "rollgate verdicts: " + "; ".join(
            f"--concurrency {c}: exit {a['status']}, " + ", ".join(f"{n} {v}" for v, n in sorted(a["verdicts"].items()))
            for c, a in audits.items()) + "."]
    p95 = {f["check"][:-len(".latency")]: f["figures"].get("p95Ms")
           for _, f in audits[4]["findings"] if f["check"].endswith(".latency")}
    lines.append("p95 latency, rollgate / pymongo (ms): " + ", ".join(
        f"{name} {p95.get(name, float('nan')):.1f} / {values['p95Ms']:.1f}" for name, values in baseline["latency"].items()) + ".")
    for label, errors in [(f"rollgate --concurrency {c}", a["errors"]) for c, a in audits.items()] + \
                         [("pymongo", baseline["errors"])]:
        if errors:
            lines.append(f"{label} errors: " + "; ".join(errors))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders to seed (default 100000)")
    add_common_arguments(parser)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    require_server(parser, args)
    if args.baseline:
        return baseline_main(args.uri)
    require_rollgate(parser, args)

    ops = ServerOps(args.uri)
    try:
        print(f"rollgate seed --orders {args.orders} --state applied ...", file=sys.stderr)
        seeded = seed(args.rollgate, args.uri, args.orders)
        audits = {}
        for concurrency in (4, 1):
            print(f"rollgate audit --concurrency {concurrency} ...", file=sys.stderr)
            audits[concurrency] = run_audit(args.rollgate, args.uri, concurrency, ops)
            print(f"  {audits[concurrency]['wall']:.2f} s", file=sys.stderr)
        print("pymongo, one question at a time ...", file=sys.stderr)
        baseline = run_baseline(args.uri, ops)
        print(f"  {baseline['wall']:.2f} s", file=sys.stderr)
        compared = compare(audits[4], baseline)
    except (Failure, pymongo.errors.PyMongoError, json.JSONDecodeError) as failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        return 1
    finally:
        ops.close()
    print(report(args.orders, seeded, audits, baseline, compared))
    return 0


if __name__ == "__main__":
    sys.exit(main())
