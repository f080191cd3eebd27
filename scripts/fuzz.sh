#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer (README "Fuzzing").
#
#   bash scripts/fuzz.sh TARGET|all SECONDS [libFuzzer flags...]
#
# Builds mesh-fuzz in release mode with -sanitize=fuzzer,address into .build/fuzz (so the normal
# .build/debug and .build/release stay valid), then runs each target for SECONDS with a fixed seed
# (MESH_FUZZ_SEED, default 1), one fuzzer at a time. Seeds come from Fixtures/fuzz/TARGET/
# (crashers/ included); new inputs go to a working corpus outside the repository,
# MESH_FUZZ_WORK/corpus/TARGET (default: a fresh temporary directory, removed after a clean run),
# crash inputs to MESH_FUZZ_WORK/artifacts/. Prints executions and exec/s per target; exits 1 if
# any target crashed, hit the per-input timeout (10 s) or memory limit (2 GB), or broke an
# invariant. `mesh-fuzz --list` names the targets.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET|all SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
seed=${MESH_FUZZ_SEED:-1}
if [ -n "${MESH_FUZZ_WORK:-}" ]; then
    work=$MESH_FUZZ_WORK
    keep_work=1
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/mesh-fuzz.XXXXXX")
    keep_work=0
fi
scratch=.build/fuzz
bin=$scratch/release/mesh-fuzz

echo "== fuzz build (release, -sanitize=fuzzer,address, scratch $scratch)"
build_start=$(date +%s)
swift build -c release --product mesh-fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMESH_FUZZ -Xswiftc -use-ld=lld
echo "fuzz build took $(($(date +%s) - build_start)) s"

if [ "$target" = all ]; then
    targets=$("$bin" --list | cut -f1)
else
    targets=$target
fi

mkdir -p "$work/artifacts" "$work/logs"
# Swift's backtracer would race libFuzzer's crash handler; leak checking is off because Swift
# runtime caches live until exit.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
failed=()
total=0
printf '%-14s %14s %10s %s\n' target executions exec/s result
for t in $targets; do
    max_len=$("$bin" --list | awk -F'\t' -v t="$t" '$1 == t { print $2 }')
    if [ -z "$max_len" ]; then
        echo "unknown target $t (targets: $("$bin" --list | cut -f1 | tr '\n' ' '))" >&2
        exit 2
    fi
    mkdir -p "$work/corpus/$t"
    log=$work/logs/$t.log
    status=0
    MESH_FUZZ_TARGET=$t "$bin" "$work/corpus/$t" "Fixtures/fuzz/$t" \
        -seed="$seed" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" "$@" >"$log" 2>&1 || status=$?
    execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log" | tail -1)
    rate=$(awk '/stat::average_exec_per_sec:/ { print $2 }' "$log" | tail -1)
    result=ok
    if [ "$status" -ne 0 ]; then
        result="FAILED (exit $status; log $log)"
        failed+=("$t")
        grep -E 'ERROR|Fatal error|invariant|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    fi
    total=$((total + ${execs:-0}))
    printf '%-14s %14s %10s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
done
echo "total executions: $total (seed $seed, $seconds s per target, work $work)"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]}; crash inputs in $work/artifacts" >&2
    exit 1
fi
if [ "$keep_work" = 0 ]; then
    rm -rf "$work"
fi
