#!/usr/bin/env bash
# The main job: installs what is missing, builds in release mode, and runs the validator demo
# (a validator on a temporary SQLite ledger settling real shard jobs with one faulty node).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product mesh-validator
exec .build/release/mesh-validator demo "$@"
