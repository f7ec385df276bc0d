#!/usr/bin/env python3
"""Compare `rollgate seed` with a plain pymongo loader on the same server.

    scripts/test_server.py -- .venv/bin/python Benchmarks/seed_vs_pymongo.py [--orders N] [--rollgate PATH]

1. Runs `rollgate seed --orders N` into database bench_rollgate, timed from outside (and under /usr/bin/time -v
   for peak RSS when GNU time is installed).
2. Inserts the same number of documents per collection, of similar shape and size, into bench_pymongo with
   insert_many in batches of 1000, then creates the same eight indexes. Generation, inserts and indexes are timed
   separately.
3. Checks both databases hold the expected counts and indexes, and prints a Markdown table.
Exits non-zero if either side fails.
"""
import argparse
import datetime as dt
import json
import random
import sys
import time
import uuid

import pymongo

from bench_common import Failure, add_common_arguments, mib, require_rollgate, require_server, table, timed

BATCH = 1000

# Step 30's eight indexes, as rollgate creates them: (collection, keys, name).
INDEXES = [
    ("orders", [("user_id", 1)], "user_id_1"),
    ("orders", [("customer_id", 1)], "customer_id_1"),
    ("orders", [("delivery_date", -1)], "delivery_date_-1"),
    ("subscriptions_v2", [("customer_id", 1)], "customer_id_1"),
    ("subscriptions_v2", [("status", 1)], "status_1"),
    ("delivery_statuses", [("customer_id", 1), ("delivery_date", -1)], "customer_id_1_delivery_date_-1"),
    ("billing_records", [("customer_id", 1)], "customer_id_1"),
    ("billing_records", [("period_date", -1)], "period_date_-1"),
]


# MARK: rollgate

def run_rollgate(binary: str, uri: str, orders: int, seed: int) -> dict:
    """Runs the seeder; returns its JSON summary plus wall_seconds and peak_rss_kib (None if not measured)."""
    command = [binary, "seed", "--uri", uri, "--db", "bench_rollgate", "--orders", str(orders), "--seed", str(seed),
               "--state", "applied", "--batch-size", str(BATCH), "--drop", "--json"]
    # stderr is passed through: rollgate's progress bar and error messages stay visible.
    status, stdout, wall, rss, _ = timed(command)
    if status != 0:
        raise Failure(f"rollgate seed exited with status {status}")
    try:
        summary = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise Failure(f"rollgate seed printed no JSON summary ({error}): {stdout[:200]!r}")
    summary["wall_seconds"] = wall
    summary["peak_rss_kib"] = rss
    return summary


# MARK: pymongo documents, shaped like rollgate's `applied` state

PRODUCTS = [(str(uuid.UUID(int=n + 1, version=4)), price)
            for n, price in enumerate([68.0, 28.0, 62.0, 45.0, 74.0, 90.0, 45.0, 48.0, 56.0, 310.0, 25.0, 52.0])]
NAMES = ["Aarav Sharma", "Priya Iyer", "Rohan Reddy", "Ananya Nair", "Vikram Patel", "Kavya Gupta", "Arjun Rao"]
DEVICES = ["Mozilla/5.0 (Linux; Android 13; SM-A145F) Chrome/119.0", "EarlyBird-Android/2.4.1 (Redmi Note 12)",
           "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1", "EarlyBird-iOS/2.4.0 (iPhone14,5)"]


class Generator:
    """Random documents per collection, with ids drawn from pools so references look real."""

    def __init__(self, seed: int, customers: int):
        self.rng = random.Random(seed)
        self.today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        self.customers = [(self.uuid(), self.uuid(), self.rng.choice(NAMES)) for _ in range(max(1, customers))]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day(self, low: int, high: int) -> dt.datetime:
        return self.today + dt.timedelta(days=self.rng.randint(low, high))

    def customer(self):
        return self.rng.choice(self.customers)

    def users(self, n: int) -> dict:
        _, user_id, name = self.customers[n % len(self.customers)]
        return {"id": user_id, "email": f"{name.lower().replace(' ', '.')}{n}@example.in", "name": name,
                "role": "customer", "created_at": self.day(-400, -181), "customer_v2_id": self.uuid()}

    def customers_v2(self, n: int) -> dict:
        customer_id, user_id, name = self.customers[n % len(self.customers)]
        return {"id": customer_id, "name": name, "phone": f"+91 9{self.rng.randrange(10**9):09d}",
                "address": f"{self.rng.randint(1, 999)}, Koramangala 5th Block, Bengaluru 5600{self.rng.randint(1, 99):02d}",
                "created_at": self.day(-400, -181), "user_id": user_id}

    def subscriptions_v2(self, n: int) -> dict:
        product_id, price = self.rng.choice(PRODUCTS[:4])
        return {"id": self.uuid(), "customer_id": self.customer()[0], "product_id": product_id,
                "quantity": self.rng.randint(1, 2), "price": price,
                "status": self.rng.choice(["active", "active", "active", "paused", "cancelled"])}

    def orders(self, n: int) -> dict:
        customer_id, user_id, _ = self.customer()
        items = [{"product_id": product_id, "quantity": self.rng.randint(1, 2), "price": price}
                 for product_id, price in self.rng.sample(PRODUCTS, self.rng.randint(1, 2))]
        delivery_date = self.day(-180, -1)
        delivered = self.rng.random() < 0.85
        order = {"id": self.uuid(), "user_id": user_id, "customer_id": customer_id, "items": items,
                 "total_amount": sum(item["price"] * item["quantity"] for item in items),
                 "status": "DELIVERED" if delivered else self.rng.choice(["CANCELLED", "PENDING"]),
                 "delivery_date": delivery_date, "created_at": delivery_date - dt.timedelta(hours=24),
                 "subscription_id": self.uuid() if self.rng.random() < 0.4 else None}
        if delivered:
            order["delivered_at"] = delivery_date + dt.timedelta(hours=7)
            order["delivery_confirmed"] = True
        order["billed"] = delivered
        return order

    def delivery_statuses(self, n: int) -> dict:
        customer_id, user_id, name = self.customer()
        delivery_date = self.day(-180, -1)
        return {"id": self.uuid(), "customer_id": customer_id, "delivery_date": delivery_date, "status": "delivered",
                "order_id": self.uuid(), "confirmed_by_user_id": user_id, "confirmed_by_name": name,
                "confirmed_at": delivery_date + dt.timedelta(hours=7), "confirmation_method": "delivery_boy",
                "ip_address": ".".join(str(self.rng.randint(1, 254)) for _ in range(4)),
                "device_info": self.rng.choice(DEVICES),
                "items": [{"product_id": product_id, "ordered_qty": 1, "delivered_qty": 1, "status": "full"}
                          for product_id, _ in self.rng.sample(PRODUCTS, self.rng.randint(1, 2))]}

    def billing_records(self, n: int) -> dict:
        record = {"id": self.uuid(), "customer_id": self.customer()[0],
                  "period_date": self.day(-180, 0).replace(day=1), "amount": round(self.rng.uniform(25, 4000), 2)}
        # Monthly subscription bills carry no order_id; about a third of rollgate's are of that kind.
        if self.rng.random() < 0.7:
            record["order_id"] = self.uuid()
        return record


def run_pymongo(uri: str, counts: dict, seed: int) -> dict:
    """Loads bench_pymongo with `counts` documents per collection; returns the phase timings in seconds."""
    client = pymongo.MongoClient(uri)
    client.drop_database("bench_pymongo")
    db = client["bench_pymongo"]
    generator = Generator(seed, counts.get("customers_v2", 0))
    timings = {"generate": 0.0, "insert": 0.0, "indexes": 0.0}
    try:
        for collection, total in counts.items():
            make = getattr(generator, collection)
            for start in range(0, total, BATCH):
                # Each batch is generated, then inserted, so the two phases are timed apart at flat memory.
                started = time.perf_counter()
                batch = [make(n) for n in range(start, min(total, start + BATCH))]
                timings["generate"] += time.perf_counter() - started
                started = time.perf_counter()
                db[collection].insert_many(batch, ordered=False)
                timings["insert"] += time.perf_counter() - started
        started = time.perf_counter()
        for collection, keys, name in INDEXES:
            db[collection].create_index(keys, name=name)
        timings["indexes"] = time.perf_counter() - started
    except pymongo.errors.PyMongoError as error:
        raise Failure(f"pymongo load failed: {error}")
    finally:
        client.close()
    return timings


# MARK: Checks and report

def check_databases(uri: str, counts: dict) -> dict:
    """Verifies both databases hold `counts` and the eight indexes; returns the mean document size (collStats
    avgObjSize, bytes) by (database, collection)."""
    client = pymongo.MongoClient(uri)
    sizes = {}
    try:
        for name in ("bench_rollgate", "bench_pymongo"):
            db = client[name]
            for collection, expected in counts.items():
                found = db[collection].count_documents({})
                if found != expected:
                    raise Failure(f"{name}.{collection} holds {found} documents, expected {expected}")
                sizes[name, collection] = db.command("collStats", collection).get("avgObjSize", 0)
            for collection, _, index in INDEXES:
                if index not in db[collection].index_information():
                    raise Failure(f"{name}.{collection} lacks index {index}")
    finally:
        client.close()
    return sizes


def report(orders: int, counts: dict, rollgate: dict, timings: dict, sizes: dict) -> str:
    documents = sum(counts.values())
    pymongo_total = sum(timings.values())
    rows = [
        ("rollgate seed, wall clock", rollgate["wall_seconds"], ""),
        ("rollgate seed, its own `seconds`", rollgate["seconds"], ""),
        ("pymongo insert_many only", timings["insert"], f"{rollgate['wall_seconds'] / timings['insert']:.2f}"),
        ("pymongo generate + insert + indexes", pymongo_total, f"{rollgate['wall_seconds'] / pymongo_total:.2f}"),
    ]
    lines = [f"### `rollgate seed --orders {orders}` vs pymongo: {documents:,} documents", ""]
    lines += table(["run", "seconds", "documents/s", "rollgate wall ÷ pymongo"], "lrrr",
                   [(label, f"{seconds:.2f}", f"{documents / seconds:,.0f}", ratio) for label, seconds, ratio in rows])
    rss = rollgate["peak_rss_kib"]
    lines += ["", f"pymongo phases: generate {timings['generate']:.2f} s, insert_many {timings['insert']:.2f} s, "
                  f"8 indexes {timings['indexes']:.2f} s.",
              f"rollgate peak RSS: {mib(rss)} MiB." if rss is not None
              else "rollgate peak RSS: not measured (GNU time is not installed at /usr/bin/time).", ""]
    lines += table(["collection", "documents", "mean bytes/document, rollgate", "mean bytes/document, pymongo"], "lrrr",
                   [(collection, f"{count:,}", f"{sizes['bench_rollgate', collection]:.0f}",
                     f"{sizes['bench_pymongo', collection]:.0f}") for collection, count in counts.items()])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders for rollgate seed (default 100000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed for both sides (default 42)")
    add_common_arguments(parser)
    args = parser.parse_args()
    require_server(parser, args)
    require_rollgate(parser, args)

    try:
        print(f"rollgate seed --orders {args.orders} ...", file=sys.stderr)
        rollgate = run_rollgate(args.rollgate, args.uri, args.orders, args.seed)
        counts = rollgate["documents"]
        print(f"pymongo: {sum(counts.values()):,} documents ...", file=sys.stderr)
        timings = run_pymongo(args.uri, counts, args.seed)
        sizes = check_databases(args.uri, counts)
    except (Failure, pymongo.errors.PyMongoError) as failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        return 1
    print(report(args.orders, counts, rollgate, timings, sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
