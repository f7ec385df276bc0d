#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the rule-file parser, the approval-file reader and the STEPS parser.
# Optional and local: CI runs the bounded fuzzer in Tests/CatalogTests/RuleFileFuzzTests.swift instead.
# Usage: scripts/fuzz-libfuzzer.sh [seconds, default 60]
# Builds Catalog and its dependencies instrumented in .build-fuzz, links scripts/fuzz_harness.swift against them and
# runs it on a corpus seeded from checks/ and the hostile corpus; a crashing input is written to .build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build=.build-fuzz/debug
swift build --build-path .build-fuzz --target Catalog \
    -Xswiftc -sanitize=fuzzer -Xswiftc -enable-testing -Xcc -fsanitize=fuzzer-no-link
cyaml=.build-fuzz/checkouts/Yams/Sources/CYaml/include
# shellcheck disable=SC2046
swiftc -sanitize=fuzzer -parse-as-library -I "$build/Modules" \
    -Xcc -fmodule-map-file=Sources/CMongoc/module.modulemap -Xcc -fmodule-map-file="$cyaml/module.modulemap" \
    -Xcc -I"$cyaml" $(pkg-config --cflags-only-I libmongoc-1.0 | sed 's/-I/-Xcc -I/g') \
    scripts/fuzz_harness.swift $(find "$build"/{Catalog,Mongo,Findings,Yams,CYaml,Logging}.build -name '*.o') \
    $(pkg-config --libs libmongoc-1.0) -o .build-fuzz/fuzz-catalog
corpus=.build-fuzz/corpus
mkdir -p "$corpus" .build-fuzz/crashes
for file in checks/*.yaml Tests/CatalogTests/Hostile/*/*.yaml; do cp "$file" "$corpus/$(echo "$file" | tr / _)"; done
exec .build-fuzz/fuzz-catalog -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix=.build-fuzz/crashes/ "$corpus"
