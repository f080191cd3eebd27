#!/bin/sh
# Accuracy of the integer kernel against the float64 reference (specs/kernel.md §3.1).
# Usage: accuracy.sh MESH_VALIDATOR_BINARY SMOLLM2_GGUF MINILM_DIR [WORKDIR]
# Prints one JSON line per model. Needs python3 with numpy, gguf, safetensors.
set -eu
BIN=$1; GGUF=$2; MINILM=$3; W=${4:-$(mktemp -d)}
HERE=$(cd "$(dirname "$0")" && pwd)
REF="$HERE/float_reference.py"
# SmolLM2: next-token logits at every position of text.txt (>= 256 positions).
"$BIN" kernel tokenize --gguf "$GGUF" --file "$HERE/text.txt" --single > "$W/smol_ids.json"
python3 - "$W/smol_ids.json" "$W/smol_ids.mvt" <<'PY'
import json, struct, sys
ids = json.load(open(sys.argv[1]))
open(sys.argv[2], "wb").write(b"MVT1" + bytes([1, 1, 3, 0, 1]) + struct.pack("<I", len(ids)) + struct.pack("<%di" % len(ids), *ids))
PY
"$BIN" kernel run --gguf "$GGUF" --layers 0..30 --in "$W/smol_ids.mvt" --logits all --out "$W/smol_logits.mvt" --threads 2 >&2
python3 "$REF" llama --gguf "$GGUF" --tokens "$W/smol_ids.json" --out "$W/smol_ref.npy"
python3 "$REF" compare-llama --ref "$W/smol_ref.npy" --kernel "$W/smol_logits.mvt"
# MiniLM: pooled embeddings of sentences.txt.
"$BIN" kernel tokenize --safetensors "$MINILM" --file "$HERE/sentences.txt" > "$W/minilm_ids.json"
mkdir -p "$W/minilm"
i=0
while IFS= read -r line; do
  "$BIN" kernel run --safetensors "$MINILM" --layers 0..6 --prompt "$line" --out "$W/minilm/$i.mvt" > /dev/null 2>&1
  i=$((i + 1))
done < "$HERE/sentences.txt"
python3 "$REF" bert --model "$MINILM" --tokens "$W/minilm_ids.json" --out "$W/minilm_ref.npy"
python3 "$REF" compare-bert --ref "$W/minilm_ref.npy" --kernel "$W/minilm"
