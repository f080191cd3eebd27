#!/usr/bin/env bash
# Contract tests: schemathesis (PyPI, 4.x CLI) against a real `mesh-validator serve` holding state —
# the demo's settled and disputed jobs, receipts, slashes, bonds and checkpoints — checking every
# response against specs/openapi.yaml (status codes, content types, response schemas and headers,
# no 5xx, schema-invalid input refused). Bounded and reproducible: a fixed example count per
# operation and a fixed seed. Exit status non-zero on any finding.
#
# Usage: bash scripts/contract.sh [BINARY]        (default .build/debug/mesh-validator)
# Env:   MESH_CONTRACT_EXAMPLES  examples per operation and phase (default 100)
#        MESH_CONTRACT_SEED      hypothesis seed (default 20261206)
#        MESH_CONTRACT_KEEP=1    keep the work directory (server log, schemathesis report)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/.build/debug/mesh-validator}"
EXAMPLES="${MESH_CONTRACT_EXAMPLES:-100}"
SEED="${MESH_CONTRACT_SEED:-20261206}"
[ -x "$BIN" ] || { echo "contract: $BIN is not built (swift build first)" >&2; exit 2; }
python3 -c "import schemathesis" 2>/dev/null || { echo "contract: schemathesis missing (bash scripts/setup.sh)" >&2; exit 2; }

source scripts/lib/demo-server.sh
work="$(mktemp -d /tmp/mesh-contract.XXXXXX)"
cleanup() {
    demo_server_kill
    if [ "${MESH_CONTRACT_KEEP:-0}" = 1 ]; then echo "contract: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# 1–2. State: the demo (tiny model) settles five jobs over HTTP and keeps its data; `serve` serves
#      that data with fresh keys (scripts/lib/demo-server.sh).
demo_server_start "$BIN" "$work" contract
url="$demo_server_url"

# 3. Real identifiers, so that half the generated requests reach existing jobs, nodes and tiles
#    and their 200 answers are checked against the schemas too: the demo's job ids (read from its
#    database), their nodes (from GET /v1/jobs/{id}), the first tile index.
cp scripts/contract.toml "$work/contract.toml"
python3 - "$work/data/validator.sqlite" "$url" >>"$work/contract.toml" <<'PY'
import json, sqlite3, sys, urllib.request
db, url = sys.argv[1], sys.argv[2]
jobs = [r[0] for r in sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT lower(hex(id)) FROM jobs")]
nodes = set()
for job in jobs:
    with urllib.request.urlopen(f"{url}/v1/jobs/{job}") as r:
        view = json.load(r)
    nodes.update(view["nodes"])
if not jobs:
    sys.exit("contract: the demo left no jobs")
toml = lambda values: "[" + ", ".join(json.dumps(v) for v in sorted(values)) + "]"
print(f"""
[dictionaries.jobs]
values = {toml(jobs)}

[dictionaries.nodes]
values = {toml(nodes)}

[dictionaries.tiles]
values = ["000"]
""")
for operation, parameter, dictionary in [
    ("GET /v1/jobs/{id}", "path.id", "jobs"),
    ("GET /v1/nodes/{pubkey}", "path.pubkey", "nodes"),
    ("GET /v1/nodes/{pubkey}/proof", "path.pubkey", "nodes"),
    ("GET /v1/nodes/{pubkey}/history", "path.pubkey", "nodes"),
    ("GET /v1/nodes/{pubkey}/receipts", "path.pubkey", "nodes"),
    ("GET /v1/slashes", "query.node", "nodes"),
    ("GET /tile/{L}/{N}", "path.N", "tiles"),
    ("GET /tile/{L}/{N}.p/{W}", "path.N", "tiles"),
    ("GET /tile/entries/{N}", "path.N", "tiles"),
    ("GET /tile/entries/{N}.p/{W}", "path.N", "tiles"),
]:
    print(f"""[[operations]]
include-name = "{operation}"
parameters = {{ "{parameter}" = {{ dictionary = "{dictionary}", probability = 0.5 }} }}
""")
PY

# 4. Schemathesis: every operation, examples + coverage + fuzzing phases, every check.
st_start=$SECONDS
status=0
python3 -m schemathesis.cli --config-file "$work/contract.toml" run specs/openapi.yaml \
    --url "$url" \
    --checks all \
    --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --no-color \
    --report junit --report-dir "$work/report" || status=$?
echo "contract: schemathesis took $((SECONDS - st_start)) s (max-examples $EXAMPLES, seed $SEED)"

# 5. The server must still be healthy and stop cleanly.
demo_server_stop contract "$work" || status=1
exit "$status"
