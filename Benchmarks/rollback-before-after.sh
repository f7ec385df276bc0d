#!/usr/bin/env bash
# Issue 14's before/after benchmark: `rollback 19-23,25,26` at N orders, in one run on one SecantusDB test server,
# by rollgate built from 3a7c3bf (before the backup-driven, batched, lock-fenced rollback), by rollgate built from
# this working tree, and by the plain pymongo equivalent; each side on freshly seeded, identical data. Prints per
# step the documents each side changed (DISAGREE when they differ), each side's seconds, new ÷ old and new ÷ pymongo,
# the whole run's wall clock, CPU and peak RSS, and where the rollgate sides' time goes. Run from anywhere after
# scripts/bootstrap.sh:
#   Benchmarks/rollback-before-after.sh [ORDERS] [OLD_ROLLGATE] [NEW_ROLLGATE]    (default: $BENCH_ORDERS, else 100000)
# OLD_ROLLGATE (else $ROLLGATE_OLD_BIN): the "before" executable. When neither is given, the wrapper builds it in
#   release mode in a git worktree of $BENCH_OLD_COMMIT (default 3a7c3bf) at $BENCH_OLD_WORKTREE (default
#   ../old-3a7c3bf, beside the repository), adding the worktree first if it is missing.
# NEW_ROLLGATE (else $ROLLGATE_NEW_BIN, else $ROLLGATE_BIN): the "after" executable, which also seeds every side.
#   When none is given, the wrapper builds this working tree in release mode in $BENCH_SCRATCH_PATH (default
#   .build-release-bench, so a locked .build does not block).
# BENCH_OLD_CHECKS=DIR: the old side's rule files (default the worktree's checks/ when the wrapper builds it, else
#   checks/); the old parser refuses keys added since 3a7c3bf, and the rollback sections have not changed.
# BENCH_SIDES=old,new,pymongo chooses the sides and the order they run in (default that one).
# BENCH_ROLLBACK_ARGS="--lock-ttl 3600" adds options to both rollgate rollbacks (default none: their defaults).
# BENCH_LOG_LEVEL=LEVEL sets ROLLGATE_LOG_LEVEL for both rollgate sides (default debug: 3a7c3bf logs "step N phases").
# BENCH_JSON=FILE also writes every figure (both report.json files, the timestamped stderr lines) to FILE.
# At 100,000 orders on 2 vCPUs the old and the pymongo side each took about 9 minutes before (Benchmarks/README.md,
# "Scale"), plus a seed per side; the new side's time is what this measures. Progress goes to stderr, the Markdown
# report to stdout. Exit status 1 when a side fails or the sides' documents disagree.
set -euo pipefail
cd "$(dirname "$0")/.."

orders="${1:-${BENCH_ORDERS:-100000}}"
old="${2:-${ROLLGATE_OLD_BIN:-}}"
new="${3:-${ROLLGATE_NEW_BIN:-${ROLLGATE_BIN:-}}}"

if [ -z "$old" ]; then
  commit="${BENCH_OLD_COMMIT:-3a7c3bf}"
  worktree="${BENCH_OLD_WORKTREE:-$(cd .. && pwd)/old-$commit}"
  if [ ! -d "$worktree" ]; then
    git worktree add --detach "$worktree" "$commit" >&2
  fi
  if [ "$(git -C "$worktree" rev-parse HEAD)" != "$(git rev-parse "$commit^{commit}")" ]; then
    echo "rollback-before-after: $worktree is not at $commit; set BENCH_OLD_WORKTREE or ROLLGATE_OLD_BIN" >&2
    exit 2
  fi
  (cd "$worktree" && swift build -c release --product rollgate --scratch-path "$worktree/.build" >&2)
  old="$worktree/.build/release/rollgate"
  # The old parser refuses keys added to the rule files since; its own rule files roll back the same way.
  export BENCH_OLD_CHECKS="${BENCH_OLD_CHECKS:-$worktree/checks}"
fi

if [ -z "$new" ]; then
  ROLLGATE_BIN=""
  default_scratch=.build-release-bench
  source Benchmarks/rollgate-binary.sh
  new="$rollgate"
fi
json=()
if [ -n "${BENCH_JSON:-}" ]; then json=(--json "$BENCH_JSON"); fi

# The pymongo side reads the rule files in checks/ with PyYAML, which scripts/bootstrap.sh does not install.
if ! .venv/bin/python -c "import yaml" 2>/dev/null; then
  echo "rollback-before-after: installing PyYAML into .venv" >&2
  .venv/bin/pip install -q --disable-pip-version-check pyyaml >&2
fi

exec .venv/bin/python scripts/test_server.py -- \
  .venv/bin/python Benchmarks/rollback_before_after.py --orders "$orders" --old "$old" --new "$new" "${json[@]}"
