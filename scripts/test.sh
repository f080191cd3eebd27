#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (warnings are errors), runs every test,
# fuzzes every parser for a bounded, seeded time (MESH_SKIP_FUZZ=1 skips it), then the
# real-model checks on a release build. Exit status non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Runs a step with a time limit (seconds): a step that hangs fails with its name instead of
# running into CI's hard limit. The limits are several times each step's cold time on 2 cores.
bounded() {
    local limit=$1 status=0
    shift
    timeout --kill-after=30 "$limit" "$@" || status=$?
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "== FAILED: '$*' did not finish within $limit s" >&2
    fi
    return "$status"
}

echo "== build (debug, warnings as errors)"
swift build --build-tests -Xswiftc -warnings-as-errors

# A throwaway PostgreSQL cluster on loopback (scripts/postgres.sh): the storage, ledger, settlement
# and end-to-end suites run against it as well as against SQLite. Stopped and deleted on exit.
echo "== PostgreSQL: throwaway cluster for the postgres backend's tests"
pg_env="$(bash scripts/postgres.sh start)"  # set -e stops here when the cluster does not start
eval "$pg_env"
trap 'bash scripts/postgres.sh stop "$MESH_POSTGRES_DIR"' EXIT
export MESH_REQUIRE_POSTGRES=1  # a missing server fails the PostgreSQL cases instead of skipping them
echo "   $MESH_POSTGRES_URL"

# Under a watchdog (scripts/lib/swift_test_watchdog.py): past MESH_SWIFT_TEST_LIMIT seconds (default
# 1500; the suite takes 3–5 min on 2 cores) it names every test that has not ended and prints the
# test binary's thread stacks, then fails, instead of leaving a hang to CI's hard limit. The event
# stream (JSON Lines) stays in .build/artifacts/swift-test-events.jsonl.
echo "== swift test"
mkdir -p .build/artifacts
python3 scripts/lib/swift_test_watchdog.py "${MESH_SWIFT_TEST_LIMIT:-1500}" .build/artifacts/swift-test-events.jsonl

echo "== contract tests: schemathesis against specs/openapi.yaml" && bounded 1200 bash scripts/contract.sh

echo "== browser tests: the web console in headless Chromium (Selenium)" && bounded 900 bash scripts/browser.sh

echo "== independent Python check of the karma fixtures (encodings, signatures, chunk proofs, state hashes)"
python3 Fixtures/karma/reference/check_fixtures.py Fixtures/karma

if [ "${MESH_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== fuzzing: every parser for ${MESH_FUZZ_SECONDS:-20} s, seeded (scripts/fuzz.sh; own build in .build/fuzz)"
    bounded 2400 bash scripts/fuzz.sh all "${MESH_FUZZ_SECONDS:-20}"
fi

if [ -x scripts/reference/real_models.sh ] && [ "${MESH_SKIP_REAL_MODELS:-0}" != 1 ]; then
    echo "== release build and real-model checks"
    swift build -c release --product mesh-validator
    bounded 1800 bash scripts/reference/real_models.sh
fi
echo "all tests passed"
