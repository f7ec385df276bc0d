#!/usr/bin/env python3
"""What the test server charges for the update shape a safe rollback needs, with RollGate out of the picture.

    .venv/bin/python Benchmarks/id_update_shapes.py --rollgate ROLLGATE [--orders N] [--shapes a,b,...]

Issue 14's rollback changes only documents whose pre-image is in its backup, so it updates them by `_id`
(`{_id: {$in: [20 ids]}}` per statement, in a transaction per batch of 1,000). The old code ran one filtered
`updateMany` per operation, which the server answers with a collection scan. This script measures both shapes in plain
pymongo on the same documents, each on a fresh SecantusDB server seeded by `ROLLGATE seed --orders N --state applied`:

- treatment: unset `items` on every delivery (step 26's change, about 85,500 documents at 100,000 orders) with
  - `scan`: one `update_many({items: {$exists: true}})` (the old shape);
  - `ids-txn-K`: the ids read first, then per 1,000 one transaction of statements of K `_id`s (the new shape);
  - `ids-K`: the same statements without transactions;
  - `none`: no treatment (the baseline for the probe);
- probe: then one `update_many` that unsets `order_id` on every billing record (a collection the treatment did not
  touch, about 59,000 documents), timed the same way. It shows whether the treatment left the server slower.

Prints a Markdown table: shape, treatment seconds, probe seconds, probe ÷ the baseline's probe. Exit 1 if a shape
changed a different number of documents than the others.
"""
import argparse
import os
import sys
import tempfile
import time

import pymongo
from pymongo import UpdateMany

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import test_server  # noqa: E402
from bench_common import seed_applied, table  # noqa: E402

DATABASE = "bench_id_shapes"
BATCH = 1000


def treat(client: pymongo.MongoClient, shape: str) -> int:
    deliveries = client[DATABASE].delivery_statuses
    unset = {"$unset": {"items": ""}}
    if shape == "none":
        return 0
    if shape == "scan":
        return deliveries.update_many({"items": {"$exists": True}}, unset).modified_count
    kind, _, k = shape.rpartition("-")
    k = int(k)
    ids = [d["_id"] for d in deliveries.find({"items": {"$exists": True}}, {"_id": 1})]
    changed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        statements = [UpdateMany({"_id": {"$in": chunk[i:i + k]}}, unset) for i in range(0, len(chunk), k)]
        if kind == "ids-txn":
            with client.start_session() as session, session.start_transaction():
                changed += deliveries.bulk_write(statements, session=session).modified_count
        else:
            changed += deliveries.bulk_write(statements).modified_count
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollgate", required=True, help="the rollgate executable that seeds each server")
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_ORDERS", "100000")))
    parser.add_argument("--shapes", default="none,scan,ids-txn-20,ids-20,ids-txn-5,ids-txn-200")
    args = parser.parse_args()
    rows, changed, baseline = [], {}, None
    for shape in args.shapes.split(","):
        server = test_server.Server(":memory:", os.path.join(tempfile.gettempdir(), f"id-shapes-{shape}.log"))
        try:
            test_server.wait_for_ping(server.uri, process=server.process)
            seed_applied(args.rollgate, server.uri, DATABASE, args.orders)
            client = pymongo.MongoClient(server.uri)
            started = time.perf_counter()
            changed[shape] = treat(client, shape)
            treatment = time.perf_counter() - started
            started = time.perf_counter()
            client[DATABASE].billing_records.update_many({"order_id": {"$exists": True}}, {"$unset": {"order_id": ""}})
            probe = time.perf_counter() - started
        finally:
            server.stop()
        baseline = probe if shape == "none" else baseline
        rows.append([shape, f"{changed[shape]:,}", f"{treatment:.1f}", f"{probe:.1f}",
                     f"{probe / baseline:.2f}" if baseline else ""])
        print(f"id-update-shapes: {shape}: treatment {treatment:.1f} s, probe {probe:.1f} s", file=sys.stderr)
    print(f"#### Update shapes on the test server, {args.orders:,} orders\n")
    print("\n".join(table(["shape", "documents", "treatment s", "probe after it s", "probe ÷ baseline"], "lrrrr", rows)))
    counts = {n for shape, n in changed.items() if shape != "none"}
    return 1 if len(counts) > 1 else 0


if __name__ == "__main__":
    sys.exit(main())
