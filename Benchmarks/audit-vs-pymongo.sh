#!/usr/bin/env bash
# Builds rollgate in release mode and compares `rollgate audit` (with --concurrency 4 and 1) with a plain pymongo
# script asking the same questions one by one, on one SecantusDB test server. Run from anywhere after
# scripts/bootstrap.sh:
#   Benchmarks/audit-vs-pymongo.sh [ORDERS]       (default: $BENCH_ORDERS, else 100000)
# ROLLGATE_BIN=/path/to/rollgate skips the build and benchmarks that executable instead.
# BENCH_SCRATCH_PATH=.build-bench builds in another scratch directory (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."

orders="${1:-${BENCH_ORDERS:-100000}}"
default_scratch=.build
source Benchmarks/rollgate-binary.sh

# The pymongo side reads the rule files in checks/ with PyYAML, which scripts/bootstrap.sh does not install.
if ! .venv/bin/python -c "import yaml" 2>/dev/null; then
  echo "audit-vs-pymongo: installing PyYAML into .venv" >&2
  .venv/bin/pip install -q --disable-pip-version-check pyyaml >&2
fi

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/audit_vs_pymongo.py --orders "$orders" --rollgate "$rollgate"
