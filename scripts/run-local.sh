#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds RollGate, starts a local test server,
# generates the EarlyBird data and audits it with RollGate, leaving the reports (junit.xml, report.md, report.json)
# and the seed summary in reports/.
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
  "$rollgate" doctor > reports/doctor.txt
  "$rollgate" doctor --json > reports/doctor.json
  echo
  status=0
  "$rollgate" audit --report-dir reports || status=$?
  echo
  echo "Reports written to reports/: $(cd reports && ls | grep -v README.md | tr "\n" " ")"
  # 1 means the audit found something (expected for STATE=none or defects); anything else is a failure.
  [ "$status" -le 1 ] || exit "$status"
'
