#!/usr/bin/env python3
"""Float64 reference forward passes for the accuracy checks of specs/kernel.md.

Independent of the Swift kernel: reads the original model files with the `gguf` and
`safetensors` PyPI packages and runs the textbook float64 forward pass (numpy).

  llama  --gguf FILE --tokens IDS.json [--sim-bits B] --out LOGITS.npy
  bert   --model DIR --tokens IDS.json [--sim-bits B] --out EMB.npy
  compare-llama --ref LOGITS.npy --kernel LOGITS.mvt      top-1 agreement, logit cosine
  compare-bert  --ref EMB.npy    --kernel DIR_OF_.mvt     embedding cosine per sentence

--sim-bits 8|16 fake-quantizes weights (int8, per output row) and every GEMM input (per-token
scale, B bits) in float: the simulation used to choose `activationBits` (specs §3.1).
Kernel outputs are canonical tensors (specs/kernel.md §7), int32 Q16.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

SIM_BITS = 0


def fq_weight(w):
    if not SIM_BITS:
        return w
    a = np.abs(w).max(axis=1, keepdims=True)
    a[a == 0] = 1
    return np.clip(np.round(w * 127 / a), -127, 127) * a / 127


def fq_act(x):
    if not SIM_BITS:
        return x
    amax = 2 ** (SIM_BITS - 1) - 1
    m = np.abs(x).max(axis=-1, keepdims=True)
    m[m == 0] = 1
    return np.round(x * amax / m) * m / amax


def linear(x, w, b=None):
    y = fq_act(x) @ w.T
    return y if b is None else y + b


def read_canonical(path):
    data = open(path, "rb").read()
    assert data[:4] == b"MVT1", "not a canonical tensor"
    kind, dtype, frac, rank = data[5], data[6], data[7], data[8]
    dims = struct.unpack("<%dI" % rank, data[9 : 9 + 4 * rank])
    assert dtype == 3
    v = np.frombuffer(data[9 + 4 * rank :], dtype="<i4").astype(np.float64) / 2.0**frac
    return kind, v.reshape(dims)


def llama(args):
    import gguf

    r = gguf.GGUFReader(args.gguf)
    f = {k: r.fields[k] for k in r.fields}

    def scalar(key):
        fld = f[key]
        return fld.parts[fld.data[0]][0]

    t = {}
    for ten in r.tensors:
        arr = gguf.quants.dequantize(ten.data, ten.tensor_type).astype(np.float64)
        t[ten.name] = arr.reshape([int(d) for d in reversed(ten.shape)])
    width = int(scalar("llama.embedding_length"))
    heads = int(scalar("llama.attention.head_count"))
    kvh = int(scalar("llama.attention.head_count_kv"))
    layers = int(scalar("llama.block_count"))
    base = float(scalar("llama.rope.freq_base"))
    eps = float(scalar("llama.attention.layer_norm_rms_epsilon"))
    d = width // heads
    ids = json.load(open(args.tokens))
    T = len(ids)
    wq = {k: fq_weight(v) for k, v in t.items() if v.ndim == 2}
    emb = t["token_embd.weight"]
    x = emb[ids]

    def rms(x, g):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    inv = base ** (-np.arange(0, d, 2) / d)
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(ang), np.sin(ang)

    def rope(v, nh):  # interleaved pairs (2i, 2i+1): GGUF layout
        v = v.reshape(T, nh, d // 2, 2)
        a, b = v[..., 0], v[..., 1]
        c, s = cos[:, None, :], sin[:, None, :]
        return np.stack([a * c - b * s, a * s + b * c], -1).reshape(T, nh * d)

    mask = np.triu(np.full((T, T), -np.inf), 1)
    for i in range(layers):
        p = "blk.%d." % i
        z = rms(x, t[p + "attn_norm.weight"])
        q = rope(linear(z, wq[p + "attn_q.weight"]), heads)
        k = rope(linear(z, wq[p + "attn_k.weight"]), kvh)
        v = linear(z, wq[p + "attn_v.weight"])
        out = np.zeros((T, heads * d))
        for h in range(heads):
            g = h // (heads // kvh)
            s = q[:, h * d : (h + 1) * d] @ k[:, g * d : (g + 1) * d].T / np.sqrt(d) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            out[:, h * d : (h + 1) * d] = s @ v[:, g * d : (g + 1) * d]
        x = x + linear(out, wq[p + "attn_output.weight"])
        z = rms(x, t[p + "ffn_norm.weight"])
        gt = linear(z, wq[p + "ffn_gate.weight"])
        u = linear(z, wq[p + "ffn_up.weight"])
        x = x + linear(gt / (1 + np.exp(-gt)) * u, wq[p + "ffn_down.weight"])
    z = rms(x, t["output_norm.weight"])
    head = wq.get("output.weight", wq["token_embd.weight"])
    logits = linear(z, head)
    np.save(args.out, logits)
    print("max |hidden| %.1f" % np.abs(x).max(), file=sys.stderr)


def bert(args):
    from math import erf

    from safetensors.numpy import load_file

    t = {k: v.astype(np.float64) for k, v in load_file(os.path.join(args.model, "model.safetensors")).items()}
    t = {k[len("bert.") :] if k.startswith("bert.") else k: v for k, v in t.items()}
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    heads, layers, eps = cfg["num_attention_heads"], cfg["num_hidden_layers"], cfg["layer_norm_eps"]
    verf = np.vectorize(erf)
    sentences = json.load(open(args.tokens))
    outs = []
    for ids in sentences:
        T = len(ids)
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:T]
            + t["embeddings.token_type_embeddings.weight"][0]
        )

        def ln(x, p):
            mu = x.mean(-1, keepdims=True)
            var = ((x - mu) ** 2).mean(-1, keepdims=True)
            return (x - mu) / np.sqrt(var + eps) * t[p + ".weight"] + t[p + ".bias"]

        x = ln(x, "embeddings.LayerNorm")
        W = x.shape[1]
        d = W // heads
        for i in range(layers):
            p = "encoder.layer.%d." % i

            def lin(x, n):
                return linear(x, fq_weight(t[p + n + ".weight"]), t[p + n + ".bias"])

            q, k, v = lin(x, "attention.self.query"), lin(x, "attention.self.key"), lin(x, "attention.self.value")
            out = np.zeros_like(x)
            for h in range(heads):
                sl = slice(h * d, (h + 1) * d)
                s = q[:, sl] @ k[:, sl].T / np.sqrt(d)
                s = np.exp(s - s.max(-1, keepdims=True))
                s /= s.sum(-1, keepdims=True)
                out[:, sl] = s @ v[:, sl]
            x = ln(lin(out, "attention.output.dense") + x, p + "attention.output.LayerNorm")
            u = lin(x, "intermediate.dense")
            u = 0.5 * u * (1 + verf(u / np.sqrt(2)))
            x = ln(lin(u, "output.dense") + x, p + "output.LayerNorm")
        e = x.mean(0)
        outs.append(e / np.linalg.norm(e))
    np.save(args.out, np.array(outs))


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def compare_llama(args):
    ref = np.load(args.ref)
    kind, k = read_canonical(args.kernel)
    assert k.shape == ref.shape, (k.shape, ref.shape)
    top = (k.argmax(-1) == ref.argmax(-1)).mean()
    cos = [cosine(k[i], ref[i]) for i in range(len(ref))]
    print(json.dumps({"positions": len(ref), "top1_agreement": top, "logit_cosine_mean": float(np.mean(cos)),
                      "logit_cosine_min": float(np.min(cos))}))


def compare_bert(args):
    ref = np.load(args.ref)
    cos = []
    for i in range(len(ref)):
        _, k = read_canonical(os.path.join(args.kernel, "%d.mvt" % i))
        cos.append(cosine(k, ref[i]))
    print(json.dumps({"sentences": len(ref), "cosine_min": float(np.min(cos)), "cosine_mean": float(np.mean(cos))}))


def main():
    global SIM_BITS
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd")
    ap.add_argument("--gguf")
    ap.add_argument("--model")
    ap.add_argument("--tokens")
    ap.add_argument("--out")
    ap.add_argument("--ref")
    ap.add_argument("--kernel")
    ap.add_argument("--sim-bits", type=int, default=0)
    args = ap.parse_args()
    SIM_BITS = args.sim_bits
    {"llama": llama, "bert": bert, "compare-llama": compare_llama, "compare-bert": compare_bert}[args.cmd](args)


if __name__ == "__main__":
    main()
