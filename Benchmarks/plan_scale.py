#!/usr/bin/env python3
"""Measure how `rollgate plan all` grows with the size of the data, on one server.

    scripts/test_server.py -- .venv/bin/python Benchmarks/plan_scale.py [--sizes "100000 1000000"] [--rollgate PATH]
                                                                         [--json FILE]

For each size N, in the order given, on the same server:
1. Seeds database bench_plan with `rollgate seed --orders N --seed 42 --state applied --drop --json` (so each size
   replaces the one before), timed from outside.
2. Runs `rollgate plan all --checks checks --no-history --report-dir TMP`, timed from outside and under
   /usr/bin/time -v for peak RSS and CPU time when GNU time is installed. Any exit status but 0 is a failure, and
   so is a report.json without a `plan` array with one entry per planned step.
3. Reads the per-step figures from report.json: documents each step's operations would change, indexes it would
   drop, the backup's documents and bytes, and the planner's own time estimate.
Prints a Markdown report: one row per size (orders, documents, seed seconds, plan-all seconds, peak RSS, seconds
per 100,000 orders), the growth from the smallest to the largest size, and the per-step figures per size.
With --json FILE, also writes every measurement (including the whole plan of each size) to FILE.
Exits non-zero if a seed or a plan fails.
"""
import argparse
import json
import math
import os
import sys
import time

from bench_common import (seed_applied, run_with_report, CHECKS, Failure, add_common_arguments, mib, parse_sizes, require_rollgate,
                          require_server, server_peak_rss, table, timed)

DATABASE = "bench_plan"
DEFAULT_SIZES = "100000 1000000"


# MARK: rollgate

def check_plan(report: dict) -> list:
    """The `plan` array of report.json, after checking it holds one complete entry per planned step."""
    plan = report.get("plan")
    if not isinstance(plan, list) or not plan:
        raise Failure("report.json has no `plan` array (or it is empty)")
    for entry in plan:
        missing = [key for key in ("step", "operations", "backup", "estimateSeconds", "impacts") if key not in entry]
        if missing:
            raise Failure(f"report.json: plan entry {entry.get('step', '?')} lacks {', '.join(missing)}")
    if len(plan) != len(report.get("steps", [])):
        raise Failure(f"report.json: {len(plan)} plan entries for {len(report.get('steps', []))} steps")
    return plan


def step_figures(entry: dict) -> dict:
    """The per-step figures the report shows: what changes, what is backed up, the planner's estimate."""
    operations = entry["operations"]
    return {"step": entry["step"], "title": entry["title"], "kind": entry["kind"],
            "changed": sum(o["documents"] for o in operations if o["type"] != "drop_index"),
            "index_drops": sum(o["documents"] for o in operations if o["type"] == "drop_index"),
            "operations": len(operations),
            "backup_documents": sum(p["documents"] for p in entry["backup"]["parts"]),
            "backup_bytes": sum(p["bytes"] for p in entry["backup"]["parts"]),
            "estimate": entry["estimateSeconds"], "blocked": bool(entry.get("blockers"))}


def plan(binary: str, uri: str) -> dict:
    """One `rollgate plan all`; returns wall seconds, peak RSS, the tool's own seconds and the per-step figures."""
    command = [binary, "plan", "all", "--uri", uri, "--db", DATABASE, "--checks", CHECKS, "--no-history"]
    wall, rss, cpu, report = run_with_report(command, "rollgate plan all")
    entries = check_plan(report)
    return {"wall": wall, "rss": rss, "cpu": cpu, "seconds": report.get("seconds"),
            "steps": [step_figures(e) for e in entries], "plan": entries}


# MARK: Report

def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f}"


def growth(small: dict, large: dict) -> str:
    """The growth line from the smallest to the largest size: time against data, memory."""
    data = large["orders"] / small["orders"]
    documents = large["documents"] / small["documents"]
    time_ratio = large["plan"]["wall"] / small["plan"]["wall"]
    exponent = math.log(time_ratio) / math.log(data) if data > 1 and time_ratio > 0 else float("nan")
    words = "linear or better" if time_ratio <= data * 1.05 else "worse than linear"
    line = (f"Growth {small['orders']:,} → {large['orders']:,} orders: data ×{data:.1f} (documents ×{documents:.2f}); "
            f"plan-all time ×{time_ratio:.2f} (exponent {exponent:.2f}, {words}); ")
    small_rss, large_rss = small["plan"]["rss"], large["plan"]["rss"]
    if small_rss and large_rss:
        ratio = large_rss / small_rss
        line += (f"peak RSS ×{ratio:.2f} ({mib(small_rss)} → {mib(large_rss)} MiB, "
                 f"{'flat' if ratio <= 1.25 else 'growing with the data'}); ")
    else:
        line += "peak RSS not measured; "
    estimates = [sum(s["estimate"] for s in run["plan"]["steps"]) for run in (small, large)]
    estimate = estimates[1] / max(estimates[0], 1e-9)
    seeded = large["seed"]["wall"] / small["seed"]["wall"]
    return line + f"planner's total estimate ×{estimate:.2f}; seed time ×{seeded:.2f}."


def report(runs: list) -> str:
    sizes = ", ".join(f"{run['orders']:,}" for run in runs)
    lines = [f"### `rollgate plan all` at {sizes} orders", ""]
    lines += table(["orders", "documents in the database", "seed seconds", "plan-all seconds", "peak RSS MiB",
                    "plan-all seconds per 100k orders"], "rrrrrr",
                   [(f"{run['orders']:,}", f"{run['documents']:,}", f"{run['seed']['wall']:.1f}",
                     f"{run['plan']['wall']:.1f}", mib(run["plan"]["rss"]),
                     f"{run['plan']['wall'] / run['orders'] * 100_000:.1f}") for run in runs])
    lines.append("")
    if len(runs) > 1:
        ordered = sorted(runs, key=lambda r: r["orders"])
        lines.append(growth(ordered[0], ordered[-1]))
        if len(ordered) > 2:
            for small, large in zip(ordered, ordered[1:]):
                lines.append("- " + growth(small, large))
        lines.append("")
    notes = []
    for run in runs:
        extra = [f"plan's own `seconds` {run['plan']['seconds']:.1f}" if run["plan"]["seconds"] is not None else None,
                 f"plan's CPU time (user + system) {run['plan']['cpu']:.1f} s" if run["plan"]["cpu"] is not None else None,
                 f"seed's own `seconds` {run['seed']['seconds']:.1f}",
                 f"seed peak RSS {mib(run['seed']['rss'])} MiB" if run["seed"]["rss"] else None,
                 f"server peak RSS so far (VmHWM) {mib(run['server_rss'])} MiB" if run["server_rss"] else None]
        notes.append(f"{run['orders']:,} orders: " + ", ".join(e for e in extra if e) + ".")
    lines += notes + [""]

    # Per-step figures: one row per step, one group of columns per size.
    header = "| step | kind |" + "".join(
        f" changed, {r['orders']:,} | backup docs, {r['orders']:,} | backup MB, {r['orders']:,} |"
        f" estimate s, {r['orders']:,} |" for r in runs)
    lines += ["Per step, from report.json (changed: documents the operations would change; index drops are "
              "not counted; estimate: the planner's own forecast of the rollback's time):", "",
              header, "|---:|---|" + "---:|" * (4 * len(runs))]
    by_step = [{s["step"]: s for s in run["plan"]["steps"]} for run in runs]
    for step in runs[0]["plan"]["steps"]:
        number = step["step"]
        kind = step["kind"] + (f", {step['index_drops']} index drops" if step["index_drops"] else "")
        cells = []
        for figures in by_step:
            s = figures.get(number)
            cells.append(" — | — | — | — |" if s is None else
                         f" {s['changed']:,} | {s['backup_documents']:,} | {megabytes(s['backup_bytes'])} | "
                         f"{s['estimate']:.1f} |")
        lines.append(f"| {number} | {kind} |" + "".join(cells))
    totals = "".join(
        f" **{sum(s['changed'] for s in r['plan']['steps']):,}** | "
        f"**{sum(s['backup_documents'] for s in r['plan']['steps']):,}** | "
        f"**{megabytes(sum(s['backup_bytes'] for s in r['plan']['steps']))}** | "
        f"**{sum(s['estimate'] for s in r['plan']['steps']):.1f}** |" for r in runs)
    lines.append("| all | |" + totals)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=[os.environ.get("BENCH_SIZES") or DEFAULT_SIZES],
                        help=f'orders to seed, one run each (default $BENCH_SIZES, else "{DEFAULT_SIZES}")')
    add_common_arguments(parser)
    parser.add_argument("--json", help="also write every measurement, with each size's whole plan, to this file")
    args = parser.parse_args()
    require_server(parser, args)
    require_rollgate(parser, args)
    try:
        sizes = parse_sizes(args.sizes)
    except (ValueError, argparse.ArgumentTypeError) as error:
        parser.error(f"--sizes: {error}")

    runs = []
    started = time.perf_counter()
    try:
        for orders in sizes:
            print(f"[{time.perf_counter() - started:7.1f} s] rollgate seed --orders {orders} --state applied ...",
                  file=sys.stderr)
            seeded = seed_applied(args.rollgate, args.uri, DATABASE, orders)
            print(f"  {seeded['wall']:.1f} s", file=sys.stderr)
            print(f"[{time.perf_counter() - started:7.1f} s] rollgate plan all ...", file=sys.stderr)
            planned = plan(args.rollgate, args.uri)
            print(f"  {planned['wall']:.1f} s, peak RSS {mib(planned['rss'])} MiB", file=sys.stderr)
            runs.append({"orders": orders, "documents": sum(seeded["documents"].values()), "seed": seeded,
                         "plan": planned, "server_rss": server_peak_rss(args.uri)})
    except (Failure, json.JSONDecodeError) as failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        if runs:
            print("(partial: the sizes before the failure)\n\n" + report(runs))
        return 1
    finally:
        if args.json and runs:
            with open(args.json, "w") as file:
                json.dump(runs, file, indent=1)
    print(report(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
