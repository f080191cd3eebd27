#!/usr/bin/env bash
# Real-model proof check (specs/proofs.md §7.5, §8): prove and verify the FFN half of
# SmolLM2-135M block 0 on the real residual stream of a prompt, check that the proven output is
# the kernel's own block output bit for bit, then check that tampering is caught.
#
# Usage: Fixtures/proofs/smollm2_mlp_check.sh MODEL_DIR [MESH_VALIDATOR_BINARY]
#   MODEL_DIR: a package made by `mesh-validator model import --gguf SmolLM2-135M-Instruct.Q4_1.gguf --out DIR`
#              (16-bit activations and weights, the circuit's activationBits/weightBits)
#   binary defaults to .build/release/mesh-validator (build with `swift build -c release`).
# Prints the prover's and verifier's wall time and the proof size; exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:?usage: $0 MODEL_DIR [mesh-validator binary]}"
bin="${2:-$root/.build/release/mesh-validator}"
circuit="$root/Circuits/smollm2-135m-mlp-block0.json"
prompt="The validator checks proofs of small layers instead of running them again."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "smollm2 mlp proof check: FAIL: $*" >&2; exit 1; }

# X: the residual stream after block 0's attention half (the FFN's input), for the prompt.
"$bin" proof input --circuit "$circuit" --model "$model" --prompt "$prompt" --out "$work/x.mvt"
# The kernel's own output of block 0 (attention and FFN) for the same prompt.
"$bin" kernel run --model "$model" --layers 0..1 --prompt "$prompt" --out "$work/block0.mvt" >/dev/null

"$bin" proof prove --circuit "$circuit" --model "$model" --in "$work/x.mvt" --out "$work/y.mvt" \
  --proof "$work/proof.bin" | tee "$work/prove.json"
# Y = x + down(silu(gate(n)) ⊙ up(n)) must be the block's output, byte for byte.
cmp -s "$work/y.mvt" "$work/block0.mvt" || fail "the proven MLP output differs from the kernel's block 0 output"
"$bin" proof verify --circuit "$circuit" --model "$model" --in "$work/x.mvt" --out "$work/y.mvt" \
  --proof "$work/proof.bin"

# One output element off by one: must exit 1 (invalid).
python3 - "$work/y.mvt" "$work/y-bad.mvt" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
v = int.from_bytes(data[-4:], "little", signed=True) + 1
data[-4:] = v.to_bytes(4, "little", signed=True)
open(sys.argv[2], "wb").write(data)
PY
# One accumulator bit flipped (inside stage 0's packed entries, which start at offset 56,
# specs/proofs.md §6): must exit 1 (invalid).
python3 - "$work/proof.bin" "$work/proof-bad.bin" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[200] ^= 0x10
open(sys.argv[2], "wb").write(data)
PY
head -c 100 "$work/proof.bin" > "$work/proof-short.bin"
expect_exit() {  # want, description, verify arguments...
  local want="$1" what="$2"; shift 2
  set +e
  "$bin" proof verify --circuit "$circuit" --model "$model" "$@" 2>"$work/err.txt"
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || fail "$what: exit $got, want $want ($(cat "$work/err.txt"))"
  echo "rejected as expected ($what): $(head -c 160 "$work/err.txt")"
}
expect_exit 1 "output off by one" --in "$work/x.mvt" --out "$work/y-bad.mvt" --proof "$work/proof.bin"
expect_exit 1 "accumulator bit flipped" --in "$work/x.mvt" --out "$work/y.mvt" --proof "$work/proof-bad.bin"
expect_exit 1 "block output as input" --in "$work/block0.mvt" --out "$work/y.mvt" --proof "$work/proof.bin"
expect_exit 2 "truncated proof" --in "$work/x.mvt" --out "$work/y.mvt" --proof "$work/proof-short.bin"
echo "smollm2 mlp proof check: OK"
