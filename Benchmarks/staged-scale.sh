#!/usr/bin/env bash
# The scale benchmark of scale.sh at one large size, in stages that fit a time budget, on storage kept in STATE_DIR,
# so that a run of many hours can be spread over several sittings (Benchmarks/staged_scale.py says what each stage
# does). Run it again with the same STATE_DIR to go on; it prints the report once every stage is done.
#   Benchmarks/staged-scale.sh STATE_DIR BUDGET_SECONDS [ORDERS]
# ORDERS (default 1000000) is kept in STATE_DIR, so later sittings need not repeat it.
# The first sitting builds rollgate in release mode (or takes $ROLLGATE_BIN) and copies it into STATE_DIR; later
# sittings use that copy, so every stage measures the same executable.
# BENCH_JSON=FILE also writes every raw figure to FILE when the last stage is done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
  echo "usage: Benchmarks/staged-scale.sh STATE_DIR BUDGET_SECONDS [ORDERS]" >&2
  exit 2
fi
state="$1" budget="$2"
orders=()
if [ $# -ge 3 ]; then
  orders=(--orders "$3")
fi
mkdir -p "$state"
if [ ! -x "$state/rollgate" ]; then
  default_scratch=.build-bench
  source Benchmarks/rollgate-binary.sh
  cp "$rollgate" "$state/rollgate"
fi
json=()
if [ -n "${BENCH_JSON:-}" ]; then
  json=(--json "$BENCH_JSON")
fi

# The pymongo side reads the rule files in checks/ with PyYAML, which scripts/bootstrap.sh does not install.
if ! .venv/bin/python -c "import yaml" 2>/dev/null; then
  echo "staged-scale: installing PyYAML into .venv" >&2
  .venv/bin/pip install -q --disable-pip-version-check pyyaml >&2
fi

exec .venv/bin/python Benchmarks/staged_scale.py --state "$state" --budget "$budget" "${orders[@]}" \
  --rollgate "$state/rollgate" "${json[@]}"
