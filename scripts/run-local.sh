#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds RollGate, starts a local test server,
# generates the EarlyBird data and runs RollGate against it, leaving its output in reports/.
# Usage: scripts/run-local.sh            (ORDERS=100000 SEED=7 STATE=defects scripts/run-local.sh to vary)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product rollgate
mkdir -p reports

export ORDERS="${ORDERS:-10000}" SEED="${SEED:-42}" STATE="${STATE:-applied}"
exec .venv/bin/python scripts/test_server.py -- bash -c '
  set -euo pipefail
  export ROLLGATE_URI="$ROLLGATE_TEST_URI"
  rollgate=.build/release/rollgate
  "$rollgate" seed --orders "$ORDERS" --seed "$SEED" --state "$STATE" | tee reports/seed.txt
  echo
  "$rollgate" doctor | tee reports/doctor.txt
  "$rollgate" doctor --json > reports/doctor.json
  echo
  echo "Reports written to reports/: $(cd reports && ls | grep -v README.md | tr "\n" " ")"
'
