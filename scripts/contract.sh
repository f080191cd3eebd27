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

work="$(mktemp -d /tmp/mesh-contract.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${MESH_CONTRACT_KEEP:-0}" = 1 ]; then echo "contract: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# 1. State: the demo (tiny model) settles five jobs over HTTP and keeps its data.
start=$SECONDS
"$BIN" demo --data-dir "$work/data" >"$work/demo.log" 2>&1 || {
    cat "$work/demo.log" >&2
    echo "contract: the demo failed" >&2
    exit 1
}

# 2. Serve that data with fresh keys (a new checkpoint key replaces the recorded one; the origin is
#    the demo's). The orchestrator key is the secp256k1 generator's x (any valid key will do).
key() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
cat >"$work/config.json" <<EOF
{
  "listen": {"host": "127.0.0.1", "port": 0},
  "dataDirectory": "$work/data",
  "identityKey": {"hex": "$(key)"},
  "checkpointKey": {"hex": "$(key)"},
  "logOrigin": "demo.mesh-validator.local/log",
  "orchestrators": ["79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"],
  "tinyModel": true,
  "circuitDirectory": "$PWD/Circuits",
  "settlement": {"mode": "verify-proofs", "sweepIntervalMs": 200},
  "logLevel": "warning"
}
EOF
"$BIN" serve --config "$work/config.json" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
port=""
for _ in $(seq 1 600); do
    port="$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/serve.out" | head -n 1)"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    cat "$work/serve.out" "$work/serve.err" >&2
    echo "contract: mesh-validator serve did not report its port" >&2
    exit 1
fi
url="http://127.0.0.1:$port"
jobs="$(curl -fsS "$url/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"])')"
echo "contract: serving the demo's data at $url (jobs $jobs; state built in $((SECONDS - start)) s)"

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
curl -fsS "$url/healthz" >/dev/null || { echo "contract: the server is not healthy after the run" >&2; status=1; }
kill -TERM "$server_pid"
wait "$server_pid" || { echo "contract: serve exited with $? on SIGTERM" >&2; status=1; }
server_pid=""
if grep -q "internal failure\|unexpected error" "$work/serve.err"; then
    grep "internal failure\|unexpected error" "$work/serve.err" | head -n 20 >&2
    echo "contract: the server logged internal failures" >&2
    status=1
fi
exit "$status"
