#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (warnings are errors), runs every test,
# fuzzes every parser for a bounded, seeded time (MESH_SKIP_FUZZ=1 skips it), then the
# real-model checks on a release build. Exit status non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

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

echo "== swift test"
swift test --skip-build

echo "== contract tests: schemathesis against specs/openapi.yaml" && bash scripts/contract.sh

echo "== browser tests: the web console in headless Chromium (Selenium)" && bash scripts/browser.sh

echo "== independent Python check of the karma fixtures (encodings, signatures, chunk proofs, state hashes)"
python3 Fixtures/karma/reference/check_fixtures.py Fixtures/karma

if [ "${MESH_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== fuzzing: every parser for ${MESH_FUZZ_SECONDS:-20} s, seeded (scripts/fuzz.sh; own build in .build/fuzz)"
    bash scripts/fuzz.sh all "${MESH_FUZZ_SECONDS:-20}"
fi

if [ -x scripts/reference/real_models.sh ] && [ "${MESH_SKIP_REAL_MODELS:-0}" != 1 ]; then
    echo "== release build and real-model checks"
    swift build -c release --product mesh-validator
    bash scripts/reference/real_models.sh
fi
echo "all tests passed"
