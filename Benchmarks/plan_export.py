#!/usr/bin/env python3
"""Measure `rollgate plan 23,25 --export DIR`: memory stays flat however many orders it writes.

    scripts/test_server.py -- .venv/bin/python Benchmarks/plan_export.py [--sizes "100000 1000000"] [--rollgate PATH]

For each size N, in the order given, on the same server:
1. Seeds database bench_export with `rollgate seed --orders N --seed 42 --state applied --drop --json`.
2. Runs `rollgate plan 23,25 --no-history` twice under /usr/bin/time -v: once without and once with
   `--export DIR`, so the export's own cost shows beside the plan's.
3. Checks the export against the plan: the orders file has one row per order the plan counts and adds up to its
   `rupeesAllTime` to the paisa, and the audit file has one row per record the plan counts (Python's csv module
   reads both).
Prints a Markdown table: orders, rows exported, bytes written, wall seconds and peak RSS without and with the
export, and the growth of the peak RSS from the smallest to the largest size. Exits non-zero if anything fails.
"""
import argparse
import csv
import json
import os
import sys
import tempfile

from bench_common import (CHECKS, Failure, add_common_arguments, mib, parse_sizes, require_rollgate, require_server,
                          seed_applied, table, timed)

DATABASE = "bench_export"
DEFAULT_SIZES = "100000 1000000"


def plan(binary: str, uri: str, export_dir=None) -> dict:
    with tempfile.TemporaryDirectory(prefix="rollgate-bench-") as reports:
        command = [binary, "plan", "23,25", "--uri", uri, "--db", DATABASE, "--checks", CHECKS, "--no-history",
                   "--report-dir", reports]
        if export_dir:
            command += ["--export", export_dir]
        status, stdout, wall, rss, cpu = timed(command)
        if status != 0:
            sys.stderr.write(stdout)
            raise Failure(f"rollgate plan 23,25{' --export' if export_dir else ''} exited with status {status}")
        with open(os.path.join(reports, "report.json")) as file:
            report = json.load(file)
    return {"wall": wall, "rss": rss, "cpu": cpu, "report": report}


def impact(report: dict, step: int, kind: str) -> dict:
    entry = next(e for e in report["plan"] if e["step"] == step)
    return next(i for i in entry["impacts"] if i["kind"] == kind)


def check_export(report: dict, export_dir: str) -> dict:
    """Rows and bytes of the two files, after checking them against the plan's own figures."""
    revenue = impact(report, 23, "revenue")["figures"]
    records = impact(report, 25, "compliance")["value"]
    orders_file = os.path.join(export_dir, "step-23-unbilled-orders.csv")
    audit_file = os.path.join(export_dir, "step-25-delivery_statuses-losing-audit-data.csv")
    rows, paise = 0, 0
    with open(orders_file, newline="") as file:
        for row in csv.DictReader(file):
            rows += 1
            paise += round(float(row["amount"]) * 100)
    if rows != revenue["orders"]:
        raise Failure(f"{rows} exported orders, the plan counts {revenue['orders']:.0f}")
    if paise != round(revenue["rupeesAllTime"] * 100):
        raise Failure(f"exported orders add up to ₹{paise / 100:.2f}, the plan says ₹{revenue['rupeesAllTime']:.2f}")
    with open(audit_file, newline="") as file:
        audit_rows = sum(1 for _ in csv.DictReader(file))
    if audit_rows != records:
        raise Failure(f"{audit_rows} exported audit records, the plan counts {records:.0f}")
    return {"orders": rows, "audit": audit_rows,
            "bytes": os.path.getsize(orders_file) + os.path.getsize(audit_file)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--sizes", nargs="+", default=[DEFAULT_SIZES], help="order counts")
    args = parser.parse_args()
    require_server(parser, args)
    require_rollgate(parser, args)
    runs = []
    try:
        for orders in parse_sizes(args.sizes):
            print(f"seeding {orders:,} orders…", file=sys.stderr)
            seed = seed_applied(args.rollgate, args.uri, DATABASE, orders)
            print("plan 23,25 without and with --export…", file=sys.stderr)
            bare = plan(args.rollgate, args.uri)
            with tempfile.TemporaryDirectory(prefix="rollgate-export-") as export_dir:
                exported = plan(args.rollgate, args.uri, export_dir)
                files = check_export(exported["report"], export_dir)
            runs.append({"orders": orders, "seed": seed["wall"], "bare": bare, "export": exported, "files": files})
    except Failure as failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        if not runs:
            return 1
    sizes = ", ".join(f"{r['orders']:,}" for r in runs)
    lines = [f"### `rollgate plan 23,25 --export` at {sizes} orders", ""]
    lines += table(["orders", "orders exported", "audit records exported", "MB written", "plan s", "plan + export s",
                    "plan peak RSS MiB", "plan + export peak RSS MiB"], "rrrrrrrr",
                   [(f"{r['orders']:,}", f"{r['files']['orders']:,}", f"{r['files']['audit']:,}",
                     f"{r['files']['bytes'] / 1e6:,.1f}", f"{r['bare']['wall']:.1f}", f"{r['export']['wall']:.1f}",
                     mib(r["bare"]["rss"]), mib(r["export"]["rss"])) for r in runs])
    if len(runs) > 1 and runs[0]["export"]["rss"] and runs[-1]["export"]["rss"]:
        ratio = runs[-1]["export"]["rss"] / runs[0]["export"]["rss"]
        rows = runs[-1]["files"]["orders"] / runs[0]["files"]["orders"]
        lines += ["", f"Rows ×{rows:.1f}, peak RSS with the export ×{ratio:.2f} "
                      f"({'flat' if ratio <= 1.25 else 'growing with the data'})."]
    print("\n".join(lines))
    return 0 if len(runs) == len(parse_sizes(args.sizes)) else 1


if __name__ == "__main__":
    sys.exit(main())
