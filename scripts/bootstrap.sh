#!/usr/bin/env bash
# Installs what RollGate needs on a fresh Debian machine: the C libraries (libmongoc, libbson, libxml2),
# pkg-config, openssl (for the TLS test server's certificates), cmark-gfm (the tests render every Markdown report with
# it), and a Python venv with the SecantusDB test server, pymongo, FastAPI and uvicorn. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(libmongoc-dev libbson-dev libxml2-dev pkg-config python3-venv openssl cmark-gfm)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "bootstrap: swift is not on PATH (Swift 6.x needed)" >&2; exit 1; }

# The test server, pymongo for the benchmarks and test harness, FastAPI and uvicorn for the stand-in of EarlyBird's
# API that the HTTP checks are tested against (scripts/stub_api.py).
python_packages=("secantusdb==0.7.0b3" "pymongo>=4.6" "fastapi==0.165.0" "uvicorn==0.55.0")
if [ ! -x .venv/bin/secantusd-py ] || ! .venv/bin/python -c "import pymongo, fastapi, uvicorn" 2>/dev/null; then
  echo "bootstrap: installing ${python_packages[*]} into .venv" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
