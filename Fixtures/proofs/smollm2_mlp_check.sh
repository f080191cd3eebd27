#!/usr/bin/env bash
# Real-model proof check (specs/proofs.md §8): prove and verify the FFN half of SmolLM2-135M
# block 0 on a real hidden state, then check that tampering is caught.
#
# Usage: Fixtures/proofs/smollm2_mlp_check.sh MODEL_DIR [MESH_VALIDATOR_BINARY]
#   MODEL_DIR: a package made by `mesh-validator model import --gguf SmolLM2-135M-Instruct.Q4_1.gguf --out DIR`
#   binary defaults to .build/release/mesh-validator (build with `swift build -c release`).
set -euo pipefail
model="${1:?usage: $0 MODEL_DIR [mesh-validator binary]}"
bin="${2:-.build/release/mesh-validator}"
circuit="Circuits/smollm2-135m-mlp-block0.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A real residual-stream tensor: the output of block 0 for a short prompt.
"$bin" kernel run --model "$model" --layers 0..1 --prompt "The validator checks proofs of small layers." --out "$work/x.mvt"
"$bin" proof prove --circuit "$circuit" --model "$model" --in "$work/x.mvt" --out "$work/y.mvt" --proof "$work/proof.bin"
"$bin" proof verify --circuit "$circuit" --model "$model" --in "$work/x.mvt" --out "$work/y.mvt" --proof "$work/proof.bin"

# One output element off by one: must exit 1 (invalid).
python3 - "$work/y.mvt" "$work/y-bad.mvt" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
v = int.from_bytes(data[-4:], "little", signed=True) + 1
data[-4:] = v.to_bytes(4, "little", signed=True)
open(sys.argv[2], "wb").write(data)
PY
set +e
"$bin" proof verify --circuit "$circuit" --model "$model" --in "$work/x.mvt" --out "$work/y-bad.mvt" --proof "$work/proof.bin"
[ $? -eq 1 ] || { echo "FAIL: off-by-one output was not rejected with exit 1"; exit 1; }
# Truncated proof: must exit 2 (malformed).
head -c 100 "$work/proof.bin" > "$work/proof-short.bin"
"$bin" proof verify --circuit "$circuit" --model "$model" --in "$work/x.mvt" --out "$work/y.mvt" --proof "$work/proof-short.bin"
[ $? -eq 2 ] || { echo "FAIL: truncated proof was not rejected with exit 2"; exit 1; }
set -e
echo "smollm2 mlp proof check: OK"
