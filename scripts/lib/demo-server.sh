# Shared by scripts/contract.sh and scripts/browser.sh (source it; bash): a real
# `mesh-validator serve` holding the demo's data — settled and disputed jobs, receipts, slashes,
# bonds, checkpoints — on a free port.
#
#   demo_server_start BIN WORKDIR NAME   runs `BIN demo --data-dir WORKDIR/data` (tiny model), then
#                                        serves that data with fresh identity and checkpoint keys
#                                        (the origin is the demo's); sets demo_server_pid and
#                                        demo_server_url; logs go to WORKDIR/{demo.log,serve.out,serve.err}
#   demo_server_stop NAME                SIGTERM, then checks the exit status and the server log
#                                        for internal failures; non-zero when either is bad
demo_server_pid=""
demo_server_url=""

demo_server_start() {
    local bin="$1" work="$2" name="$3" start=$SECONDS
    "$bin" demo --data-dir "$work/data" >"$work/demo.log" 2>&1 || {
        cat "$work/demo.log" >&2
        echo "$name: the demo failed" >&2
        return 1
    }
    # The orchestrator key is the secp256k1 generator's x (any valid key will do).
    local key1 key2
    key1="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    key2="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    cat >"$work/config.json" <<JSON
{
  "listen": {"host": "127.0.0.1", "port": 0},
  "dataDirectory": "$work/data",
  "identityKey": {"hex": "$key1"},
  "checkpointKey": {"hex": "$key2"},
  "logOrigin": "demo.mesh-validator.local/log",
  "orchestrators": ["79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"],
  "tinyModel": true,
  "circuitDirectory": "$PWD/Circuits",
  "settlement": {"mode": "verify-proofs", "sweepIntervalMs": 200},
  "logLevel": "warning"
}
JSON
    "$bin" serve --config "$work/config.json" >"$work/serve.out" 2>"$work/serve.err" &
    demo_server_pid=$!
    local port=""
    for _ in $(seq 1 600); do
        port="$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/serve.out" | head -n 1)"
        [ -n "$port" ] && break
        kill -0 "$demo_server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        cat "$work/serve.out" "$work/serve.err" >&2
        echo "$name: mesh-validator serve did not report its port" >&2
        return 1
    fi
    demo_server_url="http://127.0.0.1:$port"
    local jobs
    jobs="$(curl -fsS "$demo_server_url/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"])')"
    echo "$name: serving the demo's data at $demo_server_url (jobs $jobs; state built in $((SECONDS - start)) s)"
}

demo_server_stop() {
    local name="$1" work="$2" status=0
    [ -n "$demo_server_pid" ] || return 0
    curl -fsS "$demo_server_url/healthz" >/dev/null || { echo "$name: the server is not healthy after the run" >&2; status=1; }
    kill -TERM "$demo_server_pid"
    wait "$demo_server_pid" || { echo "$name: serve exited with $? on SIGTERM" >&2; status=1; }
    demo_server_pid=""
    if grep -q "internal failure\|unexpected error" "$work/serve.err"; then
        grep "internal failure\|unexpected error" "$work/serve.err" | head -n 20 >&2
        echo "$name: the server logged internal failures" >&2
        status=1
    fi
    return "$status"
}

# Kills a server left running (for EXIT traps).
demo_server_kill() {
    if [ -n "$demo_server_pid" ] && kill -0 "$demo_server_pid" 2>/dev/null; then
        kill -TERM "$demo_server_pid" 2>/dev/null || true
        wait "$demo_server_pid" 2>/dev/null || true
    fi
    demo_server_pid=""
}
