#!/usr/bin/env bash
# Builds rollgate in release mode and measures `rollgate plan 23,25 --export`: rows written and peak memory at each
# size, without and with the export, all on one SecantusDB test server. Run from anywhere after scripts/bootstrap.sh:
#   Benchmarks/plan-export.sh [SIZES...]          (default: $BENCH_SIZES, else "100000 1000000"; about 30 minutes)
# ROLLGATE_BIN=/path/to/rollgate skips the build; BENCH_SCRATCH_PATH=DIR picks the scratch directory (.build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${*:-${BENCH_SIZES:-100000 1000000}}"
default_scratch=.build-bench
source Benchmarks/rollgate-binary.sh

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/plan_export.py --sizes "$sizes" --rollgate "$rollgate"
