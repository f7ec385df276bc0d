#!/usr/bin/env python3
"""Issue 14's before/after benchmark: `rollback 19-23,25,26` at N orders by three sides in one run, on one server:
rollgate built from before the change (3a7c3bf), rollgate built from the backup-driven, batched, lock-fenced code,
and the plain pymongo equivalent of Benchmarks/scale.py.

    scripts/test_server.py -- .venv/bin/python Benchmarks/rollback_before_after.py --old OLD_ROLLGATE
        --new NEW_ROLLGATE [--orders N] [--sides old,new,pymongo] [--rollback-args "--lock-ttl 3600"]
        [--log-level debug] [--json FILE]

--old and --new default to $ROLLGATE_OLD_BIN and $ROLLGATE_NEW_BIN; --orders to $BENCH_ORDERS, else 100000;
--sides (which sides, in the order they run) to $BENCH_SIDES, else old,new,pymongo.
For each side, in database bench_before_after, on a fresh SecantusDB server of its own (this server slows down as
it runs, so a shared one penalises whichever side runs later; --shared-server uses the --uri server for every side):
1. The database is dropped and reseeded with `NEW_ROLLGATE seed --orders N --seed 42 --state applied --drop --json`
   (the same binary seeds for every side, so every side starts from identical data), timed from outside.
2. The side rolls back the steps 19-23,25,26, highest first:
   - old / new: `rollgate rollback 19-23,25,26 --checks checks --operator bench --approval FILE --report-dir TMP`
     (the approval file grants 21 ops, 23 finance, 25 compliance; --rollback-args or $BENCH_ROLLBACK_ARGS adds
     options to both, e.g. "--lock-ttl 3600"), with ROLLGATE_LOG_LEVEL=debug (--log-level) and
     stderr on a pseudo-terminal, so that rollgate prints its progress lines; the script timestamps every stderr
     line as it arrives. From report.json it reads, per step, the first finding's `seconds`, `figures.documents`,
     `figures.backupEntries` and verdict. Any exit status but 0 fails the side.
   - pymongo: `scale.py --child rollback` (full pre-image backup with a manifest and a checksum, named backups,
     update_many per operation, in one transaction when the step changes at most 10,000 documents and the server
     has transactions, then the verify counts), which reports each step's seconds and documents changed.
   Every side runs under /usr/bin/time -v (wall clock from outside, peak RSS and CPU when GNU time is installed).
A side that fails is reported as failed and the next side still runs.
Prints Markdown: per step the documents changed by each side (DISAGREE when they differ), each side's seconds,
new ÷ old and new ÷ pymongo; a whole-run table (wall clock, the sum of the step times, CPU, peak RSS, and the
ratios); then where each rollgate side's time goes per step: the "step N phases" debug lines if the binary logs them
(3a7c3bf does: count, backup, apply, verify), and the progress timeline from the timestamped stderr (for the new
code: its batches of 1,000, the time before the first batch is saved and changed, and after the last).
With --json FILE also writes every figure (with both rollgate report.json files and the stderr timelines) to FILE.
Exits 1 if a side fails or the sides' documents disagree, 2 for bad arguments.
"""
import argparse
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import test_server  # noqa: E402  (scripts/test_server.py: the Server class, to give each side a fresh server)
import rollback_scale
import scale
from bench_common import (CHECKS, GNU_TIME, Failure, gnu_time_available, mib, seed_applied, server_peak_rss, table,
                          timed)

DATABASE = "bench_before_after"
STEPS = "19-23,25,26"
SIDES = ("old", "new", "pymongo")
SCALE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale.py")
# The progress lines rollgate prints when stderr is a terminal.
STEP_LINE = re.compile(r"^step (\d+): ")
NEW_BATCH_LINE = re.compile(r"^  (\S+): (\d+) backed up and changed$")   # the new code, once per batch
OLD_BACKUP_DONE = re.compile(r"^  backup (\S+): (\d+) entries$")          # 3a7c3bf, when its backup is complete
OLD_CHANGED_LINE = re.compile(r"^  (\S+): (\d+) documents changed$")      # 3a7c3bf, once per operation
PHASES_LINE = re.compile(r"step (\d+) phases")
PHASE_FIGURE = re.compile(r"([A-Za-z][\w ]*?) s=(-?[\d.]+(?:e-?\d+)?)")
PHASE_ORDER = ("count", "named copies", "read", "lock", "backup", "apply", "batch", "verify")


# MARK: Running a command with its stderr timestamped

def timed_with_stderr(command: list, env: dict, echo) -> tuple:
    """Runs `command` like bench_common.timed, with stderr on a pseudo-terminal (so rollgate prints its progress) read
    line by line: returns (exit status, stdout, wall seconds, peak RSS KiB or None, CPU seconds or None, lines),
    where lines are (seconds since the start, text). `echo(line)` decides which lines are also passed to our stderr."""
    master, slave = os.openpty()
    lines = []
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as time_log:
        if gnu_time_available():
            command = [GNU_TIME, "-v", "-o", time_log.name, *command]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave, env=env, text=True)
        os.close(slave)

        def read() -> None:
            pending = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every writer has closed the terminal
                    chunk = b""
                at = time.perf_counter() - started
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    text = raw.decode("utf-8", "replace").rstrip("\r")
                    lines.append((at, text))
                    if echo(text):
                        print(text, file=sys.stderr, flush=True)
            if pending:
                lines.append((time.perf_counter() - started, pending.decode("utf-8", "replace").rstrip("\r")))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        stdout = process.stdout.read()
        status = process.wait()
        wall = time.perf_counter() - started
        reader.join(timeout=10)
        os.close(master)
        time_report = time_log.read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_report)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", time_report)
    return (status, stdout, wall, int(rss.group(1)) if rss else None,
            sum(map(float, cpu)) if len(cpu) == 2 else None, lines)


def echo_progress(text: str) -> bool:
    """Pass rollgate's step lines, warnings and errors through; not the per-batch lines, nor debug lines."""
    if NEW_BATCH_LINE.match(text) or text.startswith("  backing up "):
        return False
    return not re.search(r"\b(debug|trace)\b", text.split(" [")[0]) or bool(PHASES_LINE.search(text))


# MARK: The sides

def rollgate_side(binary: str, checks: str, uri: str, log_level: str, extra: list) -> dict:
    """`rollgate rollback STEPS` as rollback_scale.rollback runs it, with stderr timestamped; per step: seconds,
    documents, backup entries and verdict."""
    env = dict(os.environ, ROLLGATE_LOG_LEVEL=log_level)
    with tempfile.TemporaryDirectory(prefix="rollgate-before-after-") as directory:
        report_dir = os.path.join(directory, "report")
        os.mkdir(report_dir)
        command = [binary, "rollback", STEPS, "--uri", uri, "--db", DATABASE, "--checks", checks,
                   "--operator", "bench", "--approval", rollback_scale.approval_file(directory),
                   "--report-dir", report_dir, *extra]
        status, stdout, wall, rss, cpu, lines = timed_with_stderr(command, env, echo_progress)
        if status != 0:
            sys.stderr.write(stdout)
            raise Failure(f"{binary} rollback {STEPS} exited with status {status}")
        try:
            with open(os.path.join(report_dir, "report.json")) as file:
                report = json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise Failure(f"{binary} rollback wrote no readable report.json: {error}")
    steps = []
    for step in report.get("steps", []):
        findings = step.get("findings") or []
        if not findings:
            raise Failure(f"{binary} rollback: step {step.get('step', '?')} has no finding in report.json")
        figures = findings[0].get("figures") or {}
        steps.append({"step": step["step"], "verdict": findings[0].get("verdict"),
                      "seconds": findings[0].get("seconds", 0.0), "documents": int(figures.get("documents", 0)),
                      "backup": int(figures.get("backupEntries", 0))})
    if not steps:
        raise Failure(f"{binary} rollback: report.json has no steps")
    return {"wall": wall, "rss": rss, "cpu": cpu, "seconds": report.get("seconds"), "steps": steps,
            "stderr": lines, "phases": phases(lines), "timeline": timeline(lines, wall), "report": report}


def pymongo_side(uri: str) -> dict:
    """scale.py's pymongo rollback of STEPS as a timed child process (as scale.run_child, in this database)."""
    command = [sys.executable, SCALE, "--child", "rollback", "--uri", uri, "--db", DATABASE, "--steps", STEPS]
    status, stdout, wall, rss, cpu = timed(command)
    if status != 0:
        raise Failure(f"the pymongo rollback exited with status {status}")
    summary = json.loads(stdout)
    steps = [{"step": s["step"], "seconds": s["seconds"], "documents": s["documents"], "backup": s["backup"],
              "verdict": "passed" if all(v["found"] == v["expect"] for v in s.get("verify", [])) else "failed",
              "verify": s.get("verify", []), "transaction": s.get("transaction")} for s in summary["steps"]]
    return {"wall": wall, "rss": rss, "cpu": cpu, "seconds": summary.get("seconds"), "steps": steps}


# MARK: Where the time goes

def phases(lines: list) -> dict:
    """The "step N phases" debug lines (3a7c3bf logs count, backup, apply and verify seconds): {step: {phase: s}}."""
    found = {}
    for _, text in lines:
        match = PHASES_LINE.search(text)
        if match:
            found[int(match.group(1))] = {name.strip(): float(value) for name, value in PHASE_FIGURE.findall(text)
                                          if name.strip() != "step"}
    return found


def timeline(lines: list, wall: float) -> dict:
    """Per step, from the timestamped progress lines: when the step line came, when the next step's line (or the end
    of the process) came, and its batch lines (new code) or backup-done and documents-changed lines (3a7c3bf)."""
    steps, current = {}, None
    for at, text in lines:
        match = STEP_LINE.match(text)
        if match:
            current = int(match.group(1))
            steps[current] = {"start": at, "end": wall, "batches": [], "backupDone": None, "changed": []}
            continue
        if current is None:
            continue
        if match := NEW_BATCH_LINE.match(text):
            steps[current]["batches"].append((at, match.group(1), int(match.group(2))))
        elif match := OLD_BACKUP_DONE.match(text):
            steps[current]["backupDone"] = at
        elif match := OLD_CHANGED_LINE.match(text):
            steps[current]["changed"].append((at, match.group(1), int(match.group(2))))
    ordered = sorted(steps.values(), key=lambda s: s["start"])
    for step, following in zip(ordered, ordered[1:]):
        step["end"] = following["start"]
    return steps


def breakdown_lines(label: str, done: dict) -> list:
    """Markdown for where one rollgate side's time went, per step: its phases if it logs them, else its timeline."""
    lines = []
    logged = done["phases"]
    if logged:
        found = {name for figures in logged.values() for name in figures}
        names = [n for n in PHASE_ORDER if n in found] + sorted(found - set(PHASE_ORDER))
        rows = [[str(step), *(f"{figures.get(n, 0.0):.2f}" for n in names),
                 f"{next((s['seconds'] for s in done['steps'] if s['step'] == step), 0.0):.2f}"]
                for step, figures in sorted(logged.items(), reverse=True)]
        lines += [f"**{label}: its \"step N phases\" debug lines** (seconds)", ""]
        lines += table(["step", *names, "step total (report)"], "r" * (len(names) + 2), rows) + [""]
    steps = done["timeline"]
    if any(s["batches"] for s in steps.values()):
        rows = []
        for number, step in sorted(steps.items(), reverse=True):
            batches = step["batches"]
            if not batches:
                rows.append([str(number), "0", "—", "—", "—", f"{step['end'] - step['start']:.2f}"])
                continue
            first, last = batches[0][0], batches[-1][0]
            gaps = [b[0] - a[0] for a, b in zip(batches, batches[1:])]
            per = ", ".join(f"{c} {sum(1 for b in batches if b[1] == c)}" for c in dict.fromkeys(b[1] for b in batches))
            rows.append([str(number), f"{len(batches)} ({per})", f"{first - step['start']:.2f}",
                         f"{last - first:.2f}", f"{sum(gaps) / len(gaps):.3f}" if gaps else "—",
                         f"{step['end'] - last:.2f}"])
        lines += [f"**{label}: timeline of its progress lines** (seconds, timestamped as they reached the script; "
                  "a batch line comes once a batch of up to 1,000 pre-images is saved and its documents changed; "
                  "in a one-transaction step the lines come before the commit, which falls in the last column)", ""]
        lines += table(["step", "batches (per collection)", "step line → first batch", "first → last batch",
                        "mean s per batch", "last batch → next step (verify, history)"], "rlrrrr", rows) + [""]
    elif not logged:
        lines += [f"**{label}**: no phase lines and no batch progress lines on stderr; per-step totals only.", ""]
    return lines


# MARK: Report

def ratio(a, b) -> str:
    return f"{a / b:.2f}" if a is not None and b else "—"


def report(orders: int, runs: dict, sides: list, failures: dict, binaries: dict) -> tuple:
    """(Markdown, disagreements)."""
    done = {side: runs[side]["rollback"] for side in sides if side in runs}
    by_step = {side: {s["step"]: s for s in result["steps"]} for side, result in done.items()}
    numbers = sorted({n for steps in by_step.values() for n in steps}, reverse=True)
    names = {"old": "old (before the change)", "new": "new (after)", "pymongo": "pymongo"}
    lines = [f"### `rollback {STEPS}` at {orders:,} orders: " + ", ".join(names[s] for s in sides), ""]
    lines += ["; ".join(f"{side}: `{binaries[side]}`" for side in sides if side in binaries) + ".", ""]
    disagreements = []
    rows = []
    for number in numbers:
        cells = [str(number)]
        counts = {side: by_step[side].get(number, {}).get("documents") for side in sides if side in by_step}
        for side in sides:
            cells.append(f"{counts[side]:,}" if counts.get(side) is not None else "—")
        present = [c for c in counts.values() if c is not None]
        agree = len(present) == len(counts) and len(set(present)) == 1
        if not agree:
            disagreements.append(f"step {number} documents changed: "
                                 + ", ".join(f"{side} {counts[side]}" for side in counts))
        cells.append("**DISAGREE**" if not agree else "yes" if len(present) > 1 else "—")
        seconds = {side: by_step[side].get(number, {}).get("seconds") for side in sides if side in by_step}
        for side in sides:
            cells.append(f"{seconds[side]:.2f}" if seconds.get(side) is not None else "—")
        cells += [ratio(seconds.get("new"), seconds.get("old")), ratio(seconds.get("new"), seconds.get("pymongo"))]
        rows.append(cells)
    totals = {side: sum(s["seconds"] for s in result["steps"]) for side, result in done.items()}
    documents = {side: sum(s["documents"] for s in result["steps"]) for side, result in done.items()}
    rows.append(["**all**", *(f"**{documents[s]:,}**" if s in documents else "—" for s in sides), "",
                 *(f"**{totals[s]:.2f}**" if s in totals else "—" for s in sides),
                 f"**{ratio(totals.get('new'), totals.get('old'))}**",
                 f"**{ratio(totals.get('new'), totals.get('pymongo'))}**"])
    header = ["step", *(f"documents {s}" for s in sides), "agree", *(f"{s} s" for s in sides), "new ÷ old",
              "new ÷ pymongo"]
    lines += table(header, "r" * (1 + len(sides)) + "l" + "r" * (len(sides) + 2), rows)

    lines += ["", "Whole run (wall clock and peak RSS measured from outside, under /usr/bin/time -v):", ""]
    metrics = [("wall clock s", lambda r: r["wall"], lambda v: f"{v:.1f}"),
               ("sum of the step times s", lambda r: sum(s["seconds"] for s in r["steps"]), lambda v: f"{v:.1f}"),
               ("CPU (user + system) s", lambda r: r["cpu"], lambda v: f"{v:.1f}"),
               ("peak RSS MiB", lambda r: r["rss"], lambda v: mib(v)),
               ("seed before it s", None, None)]
    rows = []
    for name, get, show in metrics:
        if get is None:
            rows.append([name, *(f"{runs[s]['seed']['wall']:.1f}" if s in runs else "—" for s in sides), "", ""])
            continue
        values = {side: get(result) for side, result in done.items()}
        rows.append([name, *(show(values[s]) if values.get(s) is not None else "—" for s in sides),
                     ratio(values.get("new"), values.get("old")), ratio(values.get("new"), values.get("pymongo"))])
    lines += table(["", *sides, "new ÷ old", "new ÷ pymongo"], "l" + "r" * (len(sides) + 2), rows)

    notes = []
    for side in sides:
        if side in failures:
            notes.append(f"- **{side} failed**: {failures[side]}")
            continue
        if side not in done:
            continue
        other = [f"step {s['step']} {s['verdict']}" for s in done[side]["steps"] if s["verdict"] != "passed"]
        if other:
            notes.append(f"- {side}: verdicts other than passed: " + ", ".join(other))
            disagreements += [f"{side} step {o}" for o in other]
        unequal = [f"step {s['step']} changed {s['documents']:,}, backed up {s['backup']:,}"
                   for s in done[side]["steps"] if s["backup"] != s["documents"]]
        if unequal:
            notes.append(f"- {side}: backup entries differ from documents changed: " + "; ".join(unequal))
        if side == "pymongo":
            notes.append("- pymongo: one transaction for steps "
                         + (", ".join(str(s["step"]) for s in done[side]["steps"] if s.get("transaction")) or "none"))
        if runs[side].get("server_rss"):
            notes.append(f"- server peak RSS (VmHWM) after {side}: {mib(runs[side]['server_rss'])} MiB")
    if notes:
        lines += [""] + notes
    for side in ("old", "new"):
        if side in done:
            lines += ["", f"#### Where the time goes: {side}", ""] + breakdown_lines(side, done[side])
    for line in disagreements:
        lines.append(f"DISAGREE {line}")
    return "\n".join(lines).rstrip(), disagreements


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", default=os.environ.get("ROLLGATE_OLD_BIN"),
                        help="rollgate built from before the change, 3a7c3bf (default $ROLLGATE_OLD_BIN)")
    parser.add_argument("--new", default=os.environ.get("ROLLGATE_NEW_BIN"),
                        help="rollgate built from the new code (default $ROLLGATE_NEW_BIN); it also seeds every side")
    parser.add_argument("--uri", default=os.environ.get("ROLLGATE_TEST_URI"),
                        help="server to use (default $ROLLGATE_TEST_URI, set by scripts/test_server.py)")
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_ORDERS") or 100_000),
                        help="orders to seed (default $BENCH_ORDERS, else 100000)")
    parser.add_argument("--sides", default=os.environ.get("BENCH_SIDES") or ",".join(SIDES),
                        help="sides to run, comma-separated, in this order (default $BENCH_SIDES, else old,new,pymongo)")
    parser.add_argument("--log-level", default=os.environ.get("BENCH_LOG_LEVEL") or "debug",
                        help="ROLLGATE_LOG_LEVEL for both rollgate sides (default debug: 3a7c3bf logs its phases there)")
    parser.add_argument("--rollback-args", default=os.environ.get("BENCH_ROLLBACK_ARGS") or "",
                        help="more options for both rollgate rollbacks, one string, e.g. \"--lock-ttl 3600\" "
                             "(default $BENCH_ROLLBACK_ARGS, else none)")
    parser.add_argument("--old-checks", default=os.environ.get("BENCH_OLD_CHECKS") or CHECKS,
                        help="rule files for the old side, whose parser may not know keys added since (default "
                             "$BENCH_OLD_CHECKS, else checks/); their rollback sections must equal the new ones")
    parser.add_argument("--shared-server", dest="fresh_server", action="store_false",
                        help="run every side on the --uri server one after the other (default: each side on a fresh "
                             "SecantusDB server of its own, since this server gets slower as it runs and a shared one "
                             "penalises the later sides)")
    parser.add_argument("--json", help="also write every figure, with the reports and stderr timelines, to this file")
    args = parser.parse_args()
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    if not sides or set(sides) - set(SIDES) or len(set(sides)) != len(sides):
        parser.error("--sides takes a comma-separated list of old, new, pymongo, each once")
    if not args.uri:
        parser.error("no server: run under scripts/test_server.py or pass --uri")
    if args.orders <= 0:
        parser.error("--orders must be positive")
    for name in ("old", "new"):
        path = getattr(args, name)
        if (name in sides or name == "new") and not (path and os.access(path, os.X_OK)):
            parser.error(f"--{name} ({path or 'not set'}) is not an executable rollgate")

    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    runs, failures = {}, {}
    for side in sides:
        server = None
        try:
            uri = args.uri
            if args.fresh_server:
                server = test_server.Server(":memory:", os.path.join(tempfile.gettempdir(), f"rollback-before-after-{side}.log"))
                test_server.wait_for_ping(server.uri, process=server.process)
                uri = server.uri
            scale.drop_database(uri, DATABASE)
            progress(f"{side}: seed --orders {args.orders} --state applied --drop ...")
            seeded = seed_applied(args.new, uri, DATABASE, args.orders)
            progress(f"  {seeded['wall']:.1f} s, {sum(seeded['documents'].values()):,} documents; "
                     f"{side}: rollback {STEPS} ...")
            checks = args.old_checks if side == "old" else CHECKS
            done = (pymongo_side(uri) if side == "pymongo"
                    else rollgate_side(getattr(args, side), checks, uri, args.log_level, shlex.split(args.rollback_args)))
            progress(f"  {side}: {done['wall']:.1f} s, peak RSS {mib(done['rss'])} MiB")
            runs[side] = {"seed": seeded, "rollback": done, "server_rss": server_peak_rss(uri)}
        except Exception as failure:  # a failed side is reported, and the next side still runs
            failures[side] = f"{type(failure).__name__}: {failure}"
            progress(f"  {side} FAILED: {failures[side]}")
        finally:
            if server is not None:
                server.stop()
    text, disagreements = report(args.orders, runs, sides, failures, {"old": args.old, "new": args.new})
    print(text)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"orders": args.orders, "steps": STEPS, "sides": sides, "binaries": {"old": args.old, "new": args.new},
                       "rollbackArgs": args.rollback_args,
                       "date": dt.datetime.now(dt.timezone.utc).isoformat(), "runs": runs, "failures": failures,
                       "disagreements": disagreements}, file, indent=1, default=str)
    for line in disagreements:
        progress(f"DISAGREE {line}")
    return 1 if failures or disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
