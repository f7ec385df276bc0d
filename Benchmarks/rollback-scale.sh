#!/usr/bin/env bash
# Builds rollgate in release mode and measures `rollgate rollback` against the time `rollgate plan` estimates for
# it: step 23 alone, then the data steps 19-23,25,26, each on freshly seeded data, all on one SecantusDB test
# server. Run from anywhere after scripts/bootstrap.sh:
#   Benchmarks/rollback-scale.sh [ORDERS]          (default: $BENCH_ORDERS, else 100000)
# ROLLGATE_BIN=/path/to/rollgate skips the build and benchmarks that executable instead.
# BENCH_SCRATCH_PATH=DIR builds in that scratch directory (default .build-bench, so a locked .build does not block).
# BENCH_SCENARIOS=a or b runs only step 23 alone (a) or only the data steps (b); default both.
# BENCH_JSON=FILE also writes every measurement, with the plan and rollback reports, to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

orders="${1:-${BENCH_ORDERS:-100000}}"
default_scratch=.build-bench
source Benchmarks/rollgate-binary.sh

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/rollback_scale.py --orders "$orders" --rollgate "$rollgate" "${json[@]}"
