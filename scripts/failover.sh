#!/usr/bin/env bash
# The failover test of issue 16 for longer than CI runs it: three `mesh-validator serve` processes
# on one throwaway PostgreSQL cluster, the leader SIGKILLed at a random moment in each of ROUNDS
# rounds (default 30), then every check of Tests/ValidatorTests/FailoverTests.swift. Prints the
# takeover times (SIGKILL to a survivor answering role: leader) and their min/median/max.
#
# Usage: bash scripts/failover.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-30}"
bash scripts/setup.sh >/dev/null
swift build --build-tests -Xswiftc -warnings-as-errors >/dev/null
pg_env="$(bash scripts/postgres.sh start)"
eval "$pg_env"
trap 'bash scripts/postgres.sh stop "$MESH_POSTGRES_DIR"' EXIT
export MESH_REQUIRE_POSTGRES=1 MESH_FAILOVER_ROUNDS="$rounds"
[ -n "${2:-}" ] && export MESH_FAILOVER_SEED="$2"
report="$(mktemp /tmp/failover-report.XXXXXX.json)"
export MESH_FAILOVER_REPORT="$report"
swift test --skip-build --filter FailoverTests 2>&1 | grep -E "^failover|✔|✘|↳ [^/]"
python3 - "$report" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
t = sorted(r["takeoverSeconds"])
print(f"seed {r['seed']}: {len(t)} takeovers, min {t[0]:.2f} s, median {statistics.median(t):.2f} s, max {t[-1]:.2f} s")
PY
