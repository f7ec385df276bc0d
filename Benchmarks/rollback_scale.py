#!/usr/bin/env python3
"""Measure `rollgate rollback` for real against the time `rollgate plan` estimates for it, on one server.

    scripts/test_server.py -- .venv/bin/python Benchmarks/rollback_scale.py [--orders N] [--rollgate PATH]
                                                                             [--json FILE]

Two scenarios, one after the other, on the same server and database bench_rollback:
(a) step 23 alone; (b) the data steps 19-23,25,26 (rolled back highest first: 26, 25, 23, 22, 21, 20, 19).
--scenarios a or b runs one of them ($BENCH_SCENARIOS works too).
For each scenario:
1. Seeds with `rollgate seed --orders N --seed 42 --state applied --drop --json` (so (b) starts from fresh data),
   timed from outside.
2. Runs `rollgate plan STEPS --checks checks --no-history --report-dir TMP` and reads each step's
   `estimateSeconds` and planned documents from report.json. Any exit status but 0 is a failure.
3. Runs `rollgate rollback STEPS --checks checks --operator bench --approval FILE --report-dir TMP` (the approval
   file grants 21 ops, 23 finance, 25 compliance), timed from outside and under /usr/bin/time -v for peak RSS and
   CPU time when GNU time is installed. Any exit status but 0 is a failure. From report.json it reads, per step, the
   first finding's `seconds`, `figures.documents` and `figures.backupEntries`.
Prints one Markdown table per scenario (step, documents changed, backup entries, planner estimate, actual seconds,
actual ÷ estimate) with totals, peak RSS and the throughput per 100,000 orders.
With --json FILE, also writes every measurement (with the plan and rollback report.json of each scenario) to FILE.
Exits non-zero if a seed, a plan or a rollback fails.
"""
import argparse
import json
import os
import sys
import tempfile
import time

from bench_common import (seed_applied, run_with_report, CHECKS, Failure, add_common_arguments, mib, require_rollgate, require_server,
                          server_peak_rss, table, timed)

DATABASE = "bench_rollback"
SCENARIOS = [("a", "23"), ("b", "19-23,25,26")]
APPROVALS = [(21, "ops"), (23, "finance"), (25, "compliance")]


# MARK: rollgate

def plan(binary: str, uri: str, steps: str, database: str = DATABASE) -> dict:
    """`rollgate plan STEPS`; returns wall seconds and, per step, the estimate and the documents it would change."""
    command = [binary, "plan", steps, "--uri", uri, "--db", database, "--checks", CHECKS, "--no-history"]
    wall, rss, _, report = run_with_report(command, f"rollgate plan {steps}")
    entries = report.get("plan")
    if not isinstance(entries, list) or not entries:
        raise Failure(f"rollgate plan {steps}: report.json has no `plan` array (or it is empty)")
    estimates = {}
    for entry in entries:
        if "estimateSeconds" not in entry or "operations" not in entry:
            raise Failure(f"rollgate plan {steps}: plan entry {entry.get('step', '?')} lacks estimateSeconds or operations")
        estimates[entry["step"]] = {
            "estimate": entry["estimateSeconds"],
            "documents": sum(o["documents"] for o in entry["operations"] if o["type"] != "drop_index")}
    return {"wall": wall, "rss": rss, "seconds": report.get("seconds"), "steps": estimates, "report": report}


def approval_file(directory: str) -> str:
    path = os.path.join(directory, "approvals.yaml")
    with open(path, "w") as file:
        file.write("approvals:\n")
        for step, role in APPROVALS:
            file.write(f"  - step: {step}\n    role: {role}\n    approver: Bench\n    ticket: B-{step}\n"
                       f"    reason: benchmark\n    expires: 2099-01-01T00:00:00Z\n")
    return path


def rollback(binary: str, uri: str, steps: str, database: str = DATABASE) -> dict:
    """`rollgate rollback STEPS`; returns wall seconds, peak RSS, CPU and, per step, seconds, documents, backups."""
    with tempfile.TemporaryDirectory(prefix="rollgate-rollback-approval-") as directory:
        command = [binary, "rollback", steps, "--uri", uri, "--db", database, "--checks", CHECKS,
                   "--operator", "bench", "--approval", approval_file(directory)]
        wall, rss, cpu, report = run_with_report(command, f"rollgate rollback {steps}")
    measured = []
    for step in report.get("steps", []):
        findings = step.get("findings") or []
        if not findings:
            raise Failure(f"rollgate rollback {steps}: step {step.get('step', '?')} has no finding in report.json")
        finding = findings[0]
        figures = finding.get("figures") or {}
        measured.append({"step": step["step"], "verdict": finding.get("verdict"), "seconds": finding.get("seconds", 0.0),
                         "documents": figures.get("documents", 0), "backup": figures.get("backupEntries", 0)})
    if not measured:
        raise Failure(f"rollgate rollback {steps}: report.json has no steps")
    return {"wall": wall, "rss": rss, "cpu": cpu, "seconds": report.get("seconds"), "steps": measured,
            "report": report}


# MARK: Report

def ratio(actual: float, estimate: float) -> str:
    return f"{actual / estimate:.2f}" if estimate > 0 else "—"


def report(orders: int, runs: list) -> str:
    lines = []
    for run in runs:
        planned, done = run["plan"]["steps"], run["rollback"]
        rows = []
        for step in done["steps"]:
            estimate = planned.get(step["step"], {}).get("estimate", 0.0)
            rows.append((str(step["step"]), f"{step['documents']:,}", f"{step['backup']:,}", f"{estimate:.1f}",
                         f"{step['seconds']:.1f}", ratio(step["seconds"], estimate)))
        documents = sum(s["documents"] for s in done["steps"])
        backups = sum(s["backup"] for s in done["steps"])
        estimate = sum(planned.get(s["step"], {}).get("estimate", 0.0) for s in done["steps"])
        actual = sum(s["seconds"] for s in done["steps"])
        rows.append(("**all**", f"**{documents:,}**", f"**{backups:,}**", f"**{estimate:.1f}**", f"**{actual:.1f}**",
                     f"**{ratio(actual, estimate)}**"))
        lines += [f"### ({run['scenario']}) `rollgate rollback {run['steps']}` at {orders:,} orders "
                  f"({run['documents']:,} documents)", ""]
        lines += table(["step", "documents changed", "backup entries", "planner estimate s", "actual s",
                        "actual ÷ estimate"], "rrrrrr", rows)
        per_100k = 100_000 / orders
        notes = [f"Rollback wall clock {done['wall']:.1f} s (its own `seconds` {done['seconds']:.1f}"
                 if done["seconds"] is not None else f"Rollback wall clock {done['wall']:.1f} s (",
                 f"CPU {done['cpu']:.1f} s" if done["cpu"] is not None else None,
                 f"peak RSS {mib(done['rss'])} MiB)."]
        lines += ["", ", ".join(n for n in notes if n)]
        lines.append(f"Per 100,000 orders: {done['wall'] * per_100k:.1f} s of rollback wall clock, "
                     f"{documents / max(done['wall'], 1e-9):,.0f} documents changed per second, "
                     f"{estimate * per_100k:.1f} s estimated.")
        mismatched = [f"step {s['step']}: planned {planned[s['step']]['documents']:,}, changed {s['documents']:,}"
                      for s in done["steps"] if s["step"] in planned and planned[s["step"]]["documents"] != s["documents"]]
        other = [f"step {s['step']} {s['verdict']}" for s in done["steps"] if s["verdict"] != "passed"]
        lines.append(f"Seed {run['seed']['wall']:.1f} s; plan {run['plan']['wall']:.1f} s"
                     + (f"; server peak RSS so far (VmHWM) {mib(run['server_rss'])} MiB" if run["server_rss"] else "")
                     + ". Planned documents " + ("equal the changed documents for every step." if not mismatched
                                                 else "differ: " + "; ".join(mismatched) + ".")
                     + (" Verdicts other than passed: " + ", ".join(other) + "." if other else ""))
        lines.append("")
    return "\n".join(lines).rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_ORDERS") or 100_000),
                        help="orders to seed (default $BENCH_ORDERS, else 100000)")
    add_common_arguments(parser)
    parser.add_argument("--json", help="also write every measurement, with the reports, to this file")
    parser.add_argument("--scenarios", default=os.environ.get("BENCH_SCENARIOS") or "ab",
                        help="which scenarios to run: a, b or ab (default $BENCH_SCENARIOS, else ab); at 1,000,000 "
                             "orders b alone takes hours and still times step 23 as one of its rows")
    args = parser.parse_args()
    if not args.scenarios or set(args.scenarios) - {"a", "b"}:
        parser.error("--scenarios takes a, b or ab")
    require_server(parser, args)
    require_rollgate(parser, args)
    if args.orders <= 0:
        parser.error("--orders must be positive")

    runs = []
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr)

    try:
        for scenario, steps in [(name, steps) for name, steps in SCENARIOS if name in args.scenarios]:
            progress(f"({scenario}) rollgate seed --orders {args.orders} --state applied --drop ...")
            seeded = seed_applied(args.rollgate, args.uri, DATABASE, args.orders)
            progress(f"({scenario}) rollgate plan {steps} ...")
            planned = plan(args.rollgate, args.uri, steps)
            # Each step's estimate goes to stderr at once, so that a run stopped midway still pairs the finished
            # steps (whose times the history in the database keeps) with their estimates.
            for number, step in planned["steps"].items():
                progress(f"  step {number}: estimate {step['estimate']:.1f} s")
            progress(f"  estimate {sum(s['estimate'] for s in planned['steps'].values()):.1f} s; "
                     f"rollgate rollback {steps} ...")
            done = rollback(args.rollgate, args.uri, steps)
            progress(f"  {done['wall']:.1f} s, peak RSS {mib(done['rss'])} MiB")
            runs.append({"scenario": scenario, "steps": steps, "orders": args.orders,
                         "documents": sum(seeded["documents"].values()), "seed": seeded, "plan": planned,
                         "rollback": done, "server_rss": server_peak_rss(args.uri)})
    except (Failure, json.JSONDecodeError) as failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        if runs:
            print("(partial: the scenarios before the failure)\n\n" + report(args.orders, runs))
        return 1
    finally:
        if args.json and runs:
            with open(args.json, "w") as file:
                json.dump(runs, file, indent=1)
    print(report(args.orders, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
