#!/usr/bin/env bash
# Builds rollgate in release mode and measures `rollgate audit`, `plan 19-23,25,26` and `rollback 19-23,25,26` at
# each size, each against its plain pymongo equivalent in the same run (time, peak RSS, growth), all on one
# SecantusDB test server. Run from anywhere after scripts/bootstrap.sh:
#   Benchmarks/scale.sh [SIZES...]              (default: $BENCH_SIZES, else "10000 100000 1000000")
#   Benchmarks/scale.sh 2000 5000               (or "2000 5000" as one argument)
# ROLLGATE_BIN=/path/to/rollgate skips the build and benchmarks that executable instead.
# BENCH_SCRATCH_PATH=DIR builds in that scratch directory (default .build-bench, so a locked .build does not block).
# BENCH_OPERATIONS=audit,plan runs only those operations (default audit,plan,rollback).
# BENCH_JSON=FILE also writes every raw figure to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${*:-${BENCH_SIZES:-10000 100000 1000000}}"
default_scratch=.build-bench
source Benchmarks/rollgate-binary.sh

# The pymongo side reads the rule files in checks/ with PyYAML, which scripts/bootstrap.sh does not install.
if ! .venv/bin/python -c "import yaml" 2>/dev/null; then
  echo "scale: installing PyYAML into .venv" >&2
  .venv/bin/pip install -q --disable-pip-version-check pyyaml >&2
fi

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/scale.py --sizes "$sizes" --operations "${BENCH_OPERATIONS:-audit,plan,rollback}" \
  --rollgate "$rollgate" "${json[@]}"
