#!/usr/bin/env bash
# Browser tests of the web console (specs/console.md §5): headless Chromium (Debian `chromium`,
# `chromium-driver`) driven by Selenium (PyPI) against a real `mesh-validator serve` holding the
# demo's data (scripts/lib/demo-server.sh, shared with scripts/contract.sh). Tests/Browser/
# test_console.py checks that the pages render the demo's jobs and slashes, that the in-browser
# verifier says valid for the real checkpoint, entries and balances and invalid for tampered ones,
# and that Tab reaches every link. Screenshots go to .build/artifacts/console/.
#
# Usage: bash scripts/browser.sh [BINARY]        (default .build/debug/mesh-validator)
# Env:   MESH_BROWSER_KEEP=1   keep the work directory (server logs)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/.build/debug/mesh-validator}"
[ -x "$BIN" ] || { echo "browser: $BIN is not built (swift build first)" >&2; exit 2; }
command -v chromium >/dev/null && command -v chromedriver >/dev/null && python3 -c "import selenium" 2>/dev/null ||
    bash scripts/setup.sh --browser

source scripts/lib/demo-server.sh
work="$(mktemp -d /tmp/mesh-browser.XXXXXX)"
cleanup() {
    demo_server_kill
    if [ "${MESH_BROWSER_KEEP:-0}" = 1 ]; then echo "browser: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

start=$SECONDS
# A copy of the binary away from .build: the console's files are compiled into it (specs/console.md),
# so it must serve them with no resource bundle beside it.
cp "$BIN" "$work/mesh-validator"
demo_server_start "$work/mesh-validator" "$work" browser
artifacts="$PWD/.build/artifacts/console"
mkdir -p "$artifacts"
status=0
MESH_CONSOLE_URL="$demo_server_url" MESH_CONSOLE_ARTIFACTS="$artifacts" MESH_REPO="$PWD" \
    timeout 300 python3 Tests/Browser/test_console.py || status=$?
demo_server_stop browser "$work" || status=1
echo "browser: $((SECONDS - start)) s in all; screenshots in $artifacts"
exit "$status"
