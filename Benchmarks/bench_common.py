"""Helpers the benchmark scripts in Benchmarks/ share: timing a child process under GNU time, finding the rollgate
executable and the server, reading a server's peak memory, and formatting Markdown tables.

The scripts are run as `python Benchmarks/NAME.py`, so this directory is on sys.path and `import bench_common` works.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKS = os.path.join(ROOT, "checks")
GNU_TIME = "/usr/bin/time"


class Failure(Exception):
    """A part of a benchmark failed; the message says which and why."""


# MARK: Rule files

def load_rules() -> list:
    """Every step's rule file in checks/ as a dict, in file-name order; procedure.yaml, which is no step, is left out
    (PyYAML: the wrappers install it into .venv when it is missing)."""
    import yaml

    rules = []
    for name in sorted(os.listdir(CHECKS)):
        if name.endswith((".yaml", ".yml")) and name not in ("procedure.yaml", "procedure.yml"):
            with open(os.path.join(CHECKS, name)) as file:
                rules.append(yaml.safe_load(file))
    return rules


# MARK: Seeding

def seed_applied(binary: str, uri: str, database: str, orders: int) -> dict:
    """`rollgate seed --state applied --drop` under GNU time: its JSON summary plus `wall` seconds and peak `rss`."""
    command = [binary, "seed", "--uri", uri, "--db", database, "--orders", str(orders), "--seed", "42",
               "--state", "applied", "--drop", "--json"]
    status, stdout, wall, rss, _ = timed(command)
    if status != 0:
        raise Failure(f"rollgate seed --orders {orders} exited with status {status}")
    summary = json.loads(stdout)
    summary.update(wall=wall, rss=rss)
    return summary


# MARK: Timing child processes

def gnu_time_available() -> bool:
    """True if /usr/bin/time is GNU time (accepts -v); peak memory is skipped otherwise."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    probe = subprocess.run([GNU_TIME, "-v", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return probe.returncode == 0


def timed(command: list) -> tuple:
    """Runs `command` (stderr passed through, so progress and errors stay visible); returns (exit status, stdout,
    wall seconds, peak RSS KiB or None, CPU seconds (user + system) or None). RSS and CPU come from GNU time when it
    is installed."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as time_log:
        if gnu_time_available():
            command = [GNU_TIME, "-v", "-o", time_log.name, *command]
        started = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        wall = time.perf_counter() - started
        time_report = time_log.read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_report)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", time_report)
    return (result.returncode, result.stdout, wall, int(rss.group(1)) if rss else None,
            sum(map(float, cpu)) if len(cpu) == 2 else None)


def server_peak_rss(uri: str):
    """Peak RSS (KiB, VmHWM) of the local server process listening on the URI's port, or None if not found.
    Linux only; test_server.py starts secantusd-py with `--port PORT` on its command line."""
    port = re.search(r":(\d+)(?:/|$)", uri.split("@")[-1])
    if not port or not os.path.isdir("/proc"):
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                args = file.read().split(b"\0")
            if b"--port" not in args or args[args.index(b"--port") + 1] != port.group(1).encode():
                continue
            with open(f"/proc/{pid}/status") as file:
                peak = re.search(r"VmHWM:\s+(\d+) kB", file.read())
            return int(peak.group(1)) if peak else None
        except (OSError, IndexError):
            continue
    return None


# MARK: Command line

def add_common_arguments(parser) -> None:
    """--rollgate and --uri, as every benchmark takes them."""
    parser.add_argument("--rollgate", default=os.path.join(ROOT, ".build", "release", "rollgate"),
                        help="rollgate executable (default .build/release/rollgate)")
    parser.add_argument("--uri", default=os.environ.get("ROLLGATE_TEST_URI"),
                        help="server to use (default $ROLLGATE_TEST_URI, set by scripts/test_server.py)")


def parse_sizes(values: list) -> list:
    """Order counts from arguments like "2000 20000" or "2000,20000" (one or several strings)."""
    sizes = [int(v) for value in values for v in re.split(r"[\s,]+", value.strip()) if v]
    if not sizes or any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive order counts")
    return sizes


def require_server(parser, args) -> None:
    """Exits with a usage error if no server URI was given."""
    if not args.uri:
        parser.error("no server: run under scripts/test_server.py or pass --uri")


def require_rollgate(parser, args) -> None:
    """Exits with a usage error if the rollgate executable is missing."""
    if not os.access(args.rollgate, os.X_OK):
        parser.error(f"{args.rollgate} is not executable: build it with `swift build -c release`")


# MARK: Report formatting

def mib(kib, unit: str = "") -> str:
    """KiB as MiB with one decimal (and `unit` appended), or "not measured" for None."""
    return f"{kib / 1024:.1f}{unit}" if kib is not None else "not measured"


def table(header: list, align: str, rows: list) -> list:
    """A Markdown table as lines: `header` cells, `align` one character per column ("l" left, "r" right), then
    `rows` of already formatted cells."""
    rule = {"l": "---", "r": "---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule[a] for a in align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def run_with_report(command: list, what: str) -> tuple:
    """Runs a rollgate command that writes report.json into --report-dir; returns (wall, rss, cpu, report)."""
    with tempfile.TemporaryDirectory(prefix="rollgate-bench-") as report_dir:
        status, stdout, wall, rss, cpu = timed([*command, "--report-dir", report_dir])
        if status != 0:
            sys.stderr.write(stdout)
            raise Failure(f"{what} exited with status {status}")
        try:
            with open(os.path.join(report_dir, "report.json")) as file:
                report = json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise Failure(f"{what} wrote no readable report.json: {error}")
    return wall, rss, cpu, report
