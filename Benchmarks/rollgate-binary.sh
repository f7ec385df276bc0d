# Sourced by the Benchmarks/*.sh wrappers: sets $rollgate to $ROLLGATE_BIN, or builds rollgate in release mode in
# $BENCH_SCRATCH_PATH (default: $default_scratch, which the wrapper sets) and points at that build.
rollgate="${ROLLGATE_BIN:-}"
if [ -z "$rollgate" ]; then
  scratch="${BENCH_SCRATCH_PATH:-$default_scratch}"
  swift build -c release --product rollgate --scratch-path "$scratch" >&2
  rollgate="$scratch/release/rollgate"
fi

# --json FILE for the scripts that save their raw figures, when $BENCH_JSON is set.
json=()
if [ -n "${BENCH_JSON:-}" ]; then
  json=(--json "$BENCH_JSON")
fi
