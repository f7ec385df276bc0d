#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts the test servers (plain, SCRAM, TLS), runs every test.
# Usage: scripts/test.sh [extra `swift test` arguments, e.g. --filter BSONTests]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build --build-tests
exec .venv/bin/python scripts/test_server.py --auth --tls -- swift test --skip-build "$@"
