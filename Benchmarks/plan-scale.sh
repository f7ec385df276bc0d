#!/usr/bin/env bash
# Builds rollgate in release mode and measures how `rollgate plan all` grows with the data: for each size, seeds
# that many orders and runs the dry run, all on one SecantusDB test server. Run from anywhere after
# scripts/bootstrap.sh:
#   Benchmarks/plan-scale.sh [SIZES...]           (default: $BENCH_SIZES, else "100000 1000000")
#   Benchmarks/plan-scale.sh 2000 20000           (or "2000 20000" as one argument)
# ROLLGATE_BIN=/path/to/rollgate skips the build and benchmarks that executable instead.
# BENCH_SCRATCH_PATH=DIR builds in that scratch directory (default .build-bench, so a locked .build does not block).
# BENCH_JSON=FILE also writes every measurement, with each size's whole plan, to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${*:-${BENCH_SIZES:-100000 1000000}}"
default_scratch=.build-bench
source Benchmarks/rollgate-binary.sh

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/plan_scale.py --sizes "$sizes" --rollgate "$rollgate" "${json[@]}"
