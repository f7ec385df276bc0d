#!/usr/bin/env python3
"""The scale benchmark of scale.py at one large size, in stages that fit a time budget, on kept storage, so that a
run of many hours can be spread over several sittings.

    .venv/bin/python Benchmarks/staged_scale.py --state DIR --budget SECONDS [--orders N] [--rollgate PATH]
                                                [--json FILE]

DIR holds two server storages, `storage-rollgate/` and `storage-pymongo/`, and `state.json`: the figures of every
stage finished so far. Each invocation starts SecantusDB servers on the kept storages (as scripts/test_server.py
does), runs the next stages in order while the stage's expected time fits what is left of --budget, records each
stage in state.json as soon as it finishes, and stops the servers. Run it again to go on (--orders, default
1,000,000, is kept in state.json). Stages, in order:

1. `seed`: `rollgate seed --orders N --seed 42 --state applied --drop` into database bench_scale on the rollgate
   storage.
2. `copy`: with the servers stopped, the rollgate storage is copied to the pymongo storage: both sides start from
   the same documents.
3. `plan-rollgate`: `rollgate plan 19-23,25,26 --no-history` on the rollgate storage. Its per-step estimates are
   what the rollback is measured against.
4. `rollback-rollgate-S` for S = 26, 25, 23, 22, 21, 20, 19: `rollgate rollback S` on the rollgate storage, one
   step per command, in the order `rollgate rollback 19-23,25,26` takes them.
5. `plan-pymongo`, `audit-rollgate`, `audit-pymongo` on the pymongo storage (still as seeded): scale.py's pymongo
   plan and both audits.
6. `rollback-pymongo-S` for the same steps: scale.py's pymongo rollback of step S on the pymongo storage.

Expected times: the plan's estimate × 1.5 for a rollback step (either side); for the other stages a rate per order
measured on this test server at 100,000 and 1,000,000 orders, × 1.5. A stage that was started and never finished
(the process was killed) is run again and flagged in the report: a rollback step rerun on half-changed data is not
a fair time.
When every stage is done, prints scale.py's table for this size (the rollback row is the sum of the steps; peak
RSS is the largest step's) and rollback_scale.py's table of each step against its estimate; --json FILE writes
the state with both reports' inputs. Exits 1 if a stage fails or the two sides disagree, 0 otherwise (also when
stages are left for the next invocation; it says which).
"""
import argparse
import json
import os
import shutil
import sys
import time

import rollback_scale
import scale
from bench_common import ROOT, Failure, add_common_arguments, mib, require_rollgate, seed_applied, server_peak_rss

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import test_server  # noqa: E402  (scripts/ is not a package)

SIDES = ("rollgate", "pymongo")
# Seconds per order of each stage on this test server, from the 100,000- and 1,000,000-order runs (before × 1.5).
RATES = {"seed": 1.3e-3, "copy": 0.2e-3, "plan-rollgate": 1.4e-3, "plan-pymongo": 1.4e-3,
         "audit-rollgate": 1.3e-3, "audit-pymongo": 1.8e-3}
MARGIN = 1.5
DEFAULT_ORDERS = 1_000_000


def rollback_steps() -> list:
    """26, 25, 23, 22, 21, 20, 19: the order `rollgate rollback 19-23,25,26` takes them."""
    return sorted(scale.step_numbers(scale.STEPS), reverse=True)


def stage_names() -> list:
    return (["seed", "copy", "plan-rollgate"] + [f"rollback-rollgate-{s}" for s in rollback_steps()]
            + ["plan-pymongo", "audit-rollgate", "audit-pymongo"] + [f"rollback-pymongo-{s}" for s in rollback_steps()])


class Servers:
    """One SecantusDB server per side on its kept storage, started when first needed."""

    def __init__(self, directory: str):
        self.directory, self.running = directory, {}

    def storage(self, side: str) -> str:
        return os.path.join(self.directory, f"storage-{side}")

    def uri(self, side: str) -> str:
        if side not in self.running:
            server = test_server.Server(self.storage(side), os.path.join(self.directory, "server.log"))
            self.running[side] = server
            # Reopening a large storage takes a while; a server that exits instead stops the run at once.
            test_server.wait_for_ping(server.uri, timeout=600, process=server.process)
        return self.running[side].uri

    def peak_rss(self) -> dict:
        return {side: server_peak_rss(server.uri) for side, server in self.running.items()}

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()
        self.running = {}


class State:
    """state.json: the stages finished, the one started, the server peaks seen."""

    def __init__(self, directory: str, orders):
        self.path = os.path.join(directory, "state.json")
        if os.path.exists(self.path):
            with open(self.path) as file:
                self.data = json.load(file)
            if orders is not None and self.data["orders"] != orders:
                raise Failure(f"{self.path} is for {self.data['orders']:,} orders, not {orders:,}: use another --state")
        else:
            self.data = {"orders": orders or DEFAULT_ORDERS, "stages": {}, "started": None, "interrupted": [],
                         "server_rss": {}}

    def save(self) -> None:
        with open(self.path + ".tmp", "w") as file:
            json.dump(self.data, file, indent=1, default=str)
        os.replace(self.path + ".tmp", self.path)

    def result(self, name: str):
        return self.data["stages"].get(name)

    def plan_estimates(self) -> dict:
        """Step number → {estimate, documents} from the rollgate plan (JSON keys are strings)."""
        return {int(step): value for step, value in self.result("plan-rollgate")["steps"].items()}


def expected_seconds(name: str, state: State) -> float:
    if name.startswith("rollback-"):
        return MARGIN * state.plan_estimates()[int(name.rsplit("-", 1)[1])]["estimate"]
    return MARGIN * RATES[name] * state.data["orders"]


def run_stage(name: str, args, state: State, servers: Servers) -> dict:
    if name == "seed":
        return seed_applied(args.rollgate, servers.uri("rollgate"), scale.DATABASE, state.data["orders"])
    if name == "copy":
        servers.stop()
        started = time.perf_counter()
        shutil.rmtree(servers.storage("pymongo"), ignore_errors=True)
        shutil.copytree(servers.storage("rollgate"), servers.storage("pymongo"))
        return {"wall": time.perf_counter() - started}
    if name == "plan-rollgate":
        return rollback_scale.plan(args.rollgate, servers.uri("rollgate"), scale.STEPS, database=scale.DATABASE)
    if name == "plan-pymongo":
        return scale.run_child("plan", servers.uri("pymongo"))
    if name == "audit-rollgate":
        return scale.rollgate_audit(args.rollgate, servers.uri("pymongo"))
    if name == "audit-pymongo":
        return scale.run_child("audit", servers.uri("pymongo"))
    _, side, step = name.split("-")
    if side == "rollgate":
        return rollback_scale.rollback(args.rollgate, servers.uri("rollgate"), step, database=scale.DATABASE)
    return scale.run_child("rollback", servers.uri("pymongo"), step)


# MARK: Report

def summed_rollback(state: State, side: str) -> dict:
    """The per-step rollbacks of one side as one: walls, CPU and own seconds summed, the largest peak RSS."""
    parts = [state.result(f"rollback-{side}-{s}") for s in rollback_steps()]
    total = lambda key: sum(p[key] for p in parts) if all(p.get(key) is not None for p in parts) else None  # noqa: E731
    rss = [p["rss"] for p in parts if p.get("rss") is not None]
    return {"wall": total("wall"), "cpu": total("cpu"), "seconds": total("seconds"), "rss": max(rss) if rss else None,
            "steps": [step for p in parts for step in p["steps"]]}


def rollback_table(state: State) -> str:
    """rollback_scale.py's table: each rollgate rollback step against the plan's estimate."""
    orders, seed = state.data["orders"], state.result("seed")
    peak = state.data["server_rss"].get("rollgate")
    planned = dict(state.result("plan-rollgate"), steps=state.plan_estimates())
    run = {"scenario": "b", "steps": scale.STEPS, "documents": sum(seed["documents"].values()), "seed": seed,
           "plan": planned, "rollback": summed_rollback(state, "rollgate"), "server_rss": peak}
    return rollback_scale.report(orders, [run])


def notes(state: State) -> list:
    sittings = state.data.get("sittings", 1)
    lines = [f"Each rollback step ran as its own command (`rollgate rollback S`, pymongo one step per child), in the "
             f"order `rollgate rollback {scale.STEPS}` takes them, in {sittings} sitting{'s' if sittings != 1 else ''}"
             f"; a server restarted between sittings starts with a cold cache."]
    if state.data["interrupted"]:
        lines.append("Stages interrupted and run again (their figures are not fair times): "
                     + ", ".join(state.data["interrupted"]) + ".")
    return lines


def report(state: State) -> tuple:
    """(Markdown, disagreements) once every stage is done."""
    orders, result = state.data["orders"], state.result
    seed = result("seed")
    planned = dict(result("plan-rollgate"), steps=state.plan_estimates())
    ours, theirs = summed_rollback(state, "rollgate"), summed_rollback(state, "pymongo")
    audit_compared, audit_wrong = scale.compare_audit(result("audit-rollgate"), result("audit-pymongo"))
    plan_compared, plan_wrong = scale.compare_plan(planned["report"], result("plan-pymongo"))
    rollback_compared, rollback_wrong = scale.compare_rollback(ours, theirs)
    disagreements = ([f"audit: {w}" for w in audit_wrong] + [f"plan: {w}" for w in plan_wrong]
                     + [f"rollback: {w}" for w in rollback_wrong])
    peak = max((v for v in state.data["server_rss"].values() if v), default=None)
    run = {"orders": orders, "seed": seed, "documents": sum(seed["documents"].values()), "server_rss": peak,
           "disagreements": disagreements,
           "operations": {"audit": {"rollgate": result("audit-rollgate"), "pymongo": result("audit-pymongo"),
                                    "compared": audit_compared},
                          "plan": {"rollgate": planned, "pymongo": result("plan-pymongo"), "compared": plan_compared},
                          "rollback": {"rollgate": ours, "pymongo": theirs, "compared": rollback_compared}}}
    return "\n".join([scale.report([run], list(scale.OPERATIONS)), "", rollback_table(state), "", *notes(state)]), \
        disagreements


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", required=True, help="directory for the kept storages and state.json")
    parser.add_argument("--budget", type=float, required=True, help="seconds this invocation may take")
    parser.add_argument("--orders", type=int,
                        help="orders to seed (default: the size in state.json, else 1000000)")
    parser.add_argument("--json", help="when every stage is done, also write the state to this file")
    add_common_arguments(parser)
    args = parser.parse_args()
    require_rollgate(parser, args)
    args.rollgate = os.path.abspath(args.rollgate)
    if (args.orders is not None and args.orders <= 0) or args.budget <= 0:
        parser.error("--orders and --budget must be positive")
    os.makedirs(args.state, exist_ok=True)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    state = State(args.state, args.orders)
    if state.data["started"]:
        progress(f"stage {state.data['started']} was started and never finished: running it again, flagged")
        state.data["interrupted"].append(state.data["started"])
        state.data["started"] = None
    state.data["sittings"] = state.data.get("sittings", 0) + 1
    state.save()
    servers = Servers(args.state)
    try:
        for name in stage_names():
            if state.result(name) is not None:
                continue
            left, expected = args.budget - (time.perf_counter() - started), expected_seconds(name, state)
            if expected > left:
                progress(f"stopping before {name}: expected {expected:.0f} s, {left:.0f} s of the budget left; "
                         f"run again to go on")
                if all(state.result(f"rollback-rollgate-{s}") for s in rollback_steps()):
                    print("(partial: rollgate's rollback is done, the pymongo side is not)\n")
                    print("\n".join([rollback_table(state), "", *notes(state)]))
                return 0
            progress(f"{name} (expected up to {expected:.0f} s) ...")
            state.data["started"] = name
            state.save()
            result = run_stage(name, args, state, servers)
            for side, rss in servers.peak_rss().items():
                state.data["server_rss"][side] = max(rss or 0, state.data["server_rss"].get(side) or 0) or None
            state.data["stages"][name] = result
            state.data["started"] = None
            state.save()
            progress(f"  {result['wall']:.1f} s" + (f", peak RSS {mib(result['rss'])} MiB" if "rss" in result else ""))
    except (Failure, json.JSONDecodeError, OSError) as failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        return 1
    finally:
        servers.stop()
    text, disagreements = report(state)
    print(text)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(state.data, file, indent=1, default=str)
    for line in disagreements:
        print(f"DISAGREE {line}", file=sys.stderr)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
