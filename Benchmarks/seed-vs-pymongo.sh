#!/usr/bin/env bash
# Builds rollgate in release mode and compares `rollgate seed` with a plain pymongo loader on one SecantusDB test
# server. Run from anywhere after scripts/bootstrap.sh:
#   Benchmarks/seed-vs-pymongo.sh [ORDERS]        (default: $BENCH_ORDERS, else 100000)
# ROLLGATE_BIN=/path/to/rollgate skips the build and benchmarks that executable instead.
set -euo pipefail
cd "$(dirname "$0")/.."

orders="${1:-${BENCH_ORDERS:-100000}}"
default_scratch=.build
source Benchmarks/rollgate-binary.sh

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/seed_vs_pymongo.py --orders "$orders" --rollgate "$rollgate"
