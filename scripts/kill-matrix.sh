#!/usr/bin/env bash
# The full kill -9 matrix of issue 14: 30 kill points over a rollback of 19-23,25,26 and its re-apply, each finished
# and compared document for document with the original (CI runs 3 of them). About 30 minutes on a 2-core machine.
# Usage: scripts/kill-matrix.sh [points]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build --build-tests
ROLLGATE_KILL_POINTS="${1:-30}" exec .venv/bin/python scripts/test_server.py -- swift test --skip-build --filter KillMatrixTests
