#!/usr/bin/env bash
# Issue 14: what the test server charges for updating documents by `_id` (the safe rollback's shape) against one
# filtered updateMany (the old shape), in plain pymongo, each shape on a fresh SecantusDB server, with a probe after
# each that shows whether the shape left the server slower. Run after scripts/bootstrap.sh:
#   Benchmarks/id-update-shapes.sh [ORDERS]        (default $BENCH_ORDERS, else 100000; about 2 minutes a shape)
# BENCH_SHAPES=none,scan,ids-txn-20 picks the shapes (see Benchmarks/id_update_shapes.py); ROLLGATE_BIN skips the
# release build of the rollgate that seeds each server. Markdown to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
orders="${1:-${BENCH_ORDERS:-100000}}"
default_scratch=.build-release-bench
source Benchmarks/rollgate-binary.sh
shapes=()
if [ -n "${BENCH_SHAPES:-}" ]; then shapes=(--shapes "$BENCH_SHAPES"); fi
exec .venv/bin/python Benchmarks/id_update_shapes.py --rollgate "$rollgate" --orders "$orders" "${shapes[@]}"
