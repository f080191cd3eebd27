#!/usr/bin/env python3
"""Accuracy of the integer kernel against float64 references of the same weights.

SmolLM2: one prompt of real text (>= 256 tokens), logits for every position from
`mesh-validator kernel run ... --logits all`, compared with `float_reference.Llama.forward`:
top-1 agreement (goal >= 0.99) and per-position logit cosine.
MiniLM: >= 20 sentences, the embedding from `kernel run` vs `float_reference.Bert.embed`:
cosine (goal: minimum >= 0.995).

Prints one JSON object with the figures; exits 1 if a goal is missed, 2 on a usage error.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvt  # noqa: E402
from float_reference import Bert, Llama  # noqa: E402
from tokenizers_ref import minilm_tokenizer, smollm2_tokenizer  # noqa: E402

# Public-domain text: the opening of Lewis Carroll, "Alice's Adventures in Wonderland" (1865).
TEXT = (
    "Alice was beginning to get very tired of sitting by her sister on the bank, and of having "
    "nothing to do: once or twice she had peeped into the book her sister was reading, but it had "
    "no pictures or conversations in it, \u201cand what is the use of a book,\u201d thought Alice "
    "\u201cwithout pictures or conversations?\u201d\n\n"
    "So she was considering in her own mind (as well as she could, for the hot day made her feel "
    "very sleepy and stupid), whether the pleasure of making a daisy-chain would be worth the "
    "trouble of getting up and picking the daisies, when suddenly a White Rabbit with pink eyes ran "
    "close by her.\n\n"
    "There was nothing so very remarkable in that; nor did Alice think it so very much out of the "
    "way to hear the Rabbit say to itself, \u201cOh dear! Oh dear! I shall be late!\u201d (when she "
    "thought it over afterwards, it occurred to her that she ought to have wondered at this, but at "
    "the time it all seemed quite natural); but when the Rabbit actually took a watch out of its "
    "waistcoat-pocket, and looked at it, and then hurried on, Alice started to her feet, for it "
    "flashed across her mind that she had never before seen a rabbit with either a "
    "waistcoat-pocket, or a watch to take out of it, and burning with curiosity, she ran across the "
    "field after it, and fortunately was just in time to see it pop down a large rabbit-hole under "
    "the hedge.\n\n"
    "In another moment down went Alice after it, never once considering how in the world she was "
    "to get out again."
)

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The validator re-runs a shard on a deterministic integer kernel.",
    "Nodes earn karma for honest work and lose it for bad receipts.",
    "The Merkle root commits to every chunk of the model package.",
    "How do I bake sourdough bread at home?",
    "What is the capital of France?",
    "Paris is the capital and most populous city of France.",
    "The stock market fell sharply on Monday.",
    "It is raining heavily in the north of the country.",
    "She plays the piano every evening after dinner.",
    "Quantum computers use qubits instead of classical bits.",
    "The cat sat on the mat and looked out of the window.",
    "Transformers use self-attention to mix information across tokens.",
    "An apple a day keeps the doctor away.",
    "The train to Berlin leaves at seven o'clock tomorrow morning.",
    "Deep learning models need large amounts of training data.",
]


DEFAULT_RUN = "{bin} kernel run --model {model} --layers 0..{layers} --in {input} --out {output}"
DEFAULT_ALL_LOGITS = "--logits all"


def run_kernel(args, package, layers, ids, all_logits, workdir):
    src = os.path.join(workdir, "in.mvt")
    out = os.path.join(workdir, "out.mvt")
    with open(src, "wb") as f:
        f.write(mvt.encode(np.asarray(ids, dtype=np.int32), kind="token-ids"))
    cmd = args.run_command.format(bin=args.binary, model=package, layers=layers, input=src, output=out).split()
    if all_logits:
        cmd += args.all_logits_flag.split()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("kernel run failed (exit %d): %s" % (done.returncode, " ".join(cmd)))
    with open(out, "rb") as f:
        kind, frac, arr = mvt.decode(f.read())
    return arr.astype(np.float64) / float(1 << frac), kind


def cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def smollm2(args, workdir):
    tok = smollm2_tokenizer(args.smollm2_gguf)
    ids = tok.encode(TEXT, add_special_tokens=False).ids
    ref = Llama(args.smollm2_gguf)
    t0 = time.time()
    want = ref.forward(ids)
    t_ref = time.time() - t0
    t0 = time.time()
    got, kind = run_kernel(args, args.smollm2_package, ref.layers, ids, True, workdir)
    t_kernel = time.time() - t0
    assert kind == "logits" and got.shape == want.shape, (kind, got.shape, want.shape)
    agree = np.argmax(got, axis=1) == np.argmax(want, axis=1)
    cos = np.array([cosine(got[t], want[t]) for t in range(len(ids))])
    # Disagreements where the reference itself is nearly tied are reported separately.
    top2 = np.sort(want, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    return {
        "positions": len(ids),
        "top1_agreement": float(agree.mean()),
        "disagreements": [{"position": int(t), "reference_margin": float(margin[t])} for t in np.where(~agree)[0]],
        "logit_cosine_mean": float(cos.mean()),
        "logit_cosine_min": float(cos.min()),
        "seconds_reference": round(t_ref, 1),
        "seconds_kernel": round(t_kernel, 1),
    }


def minilm(args, workdir):
    tok = minilm_tokenizer(args.minilm_dir)
    ref = Bert(args.minilm_dir)
    cos = []
    for s in SENTENCES:
        ids = tok.encode(s).ids
        got, kind = run_kernel(args, args.minilm_package, ref.layers, ids, False, workdir)
        assert kind == "embedding", kind
        cos.append(cosine(got.ravel(), ref.embed(ids)))
    return {"sentences": len(SENTENCES), "cosine_min": float(min(cos)), "cosine_mean": float(np.mean(cos))}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--smollm2-gguf")
    p.add_argument("--smollm2-package")
    p.add_argument("--minilm-dir")
    p.add_argument("--minilm-package")
    p.add_argument("--out", help="also write the JSON report here")
    p.add_argument("--run-command", default=DEFAULT_RUN,
                   help="command template running one job ({bin} {model} {layers} {input} {output})")
    p.add_argument("--all-logits-flag", default=DEFAULT_ALL_LOGITS,
                   help="arguments appended to ask for the logits of every position")
    args = p.parse_args()
    report, ok = {}, True
    with tempfile.TemporaryDirectory() as workdir:
        if args.smollm2_gguf and args.smollm2_package:
            r = smollm2(args, workdir)
            r["goal_top1"] = 0.99
            r["ok"] = r["top1_agreement"] >= 0.99 and r["positions"] >= 256
            ok &= r["ok"]
            report["smollm2"] = r
        if args.minilm_dir and args.minilm_package:
            r = minilm(args, workdir)
            r["goal_cosine_min"] = 0.995
            r["ok"] = r["cosine_min"] >= 0.995 and r["sentences"] >= 20
            ok &= r["ok"]
            report["minilm"] = r
    if not report:
        print("nothing to check: give --smollm2-gguf/--smollm2-package and/or --minilm-dir/--minilm-package",
              file=sys.stderr)
        return 2
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
