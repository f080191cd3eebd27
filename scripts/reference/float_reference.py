"""Float64 reference forward passes of the SAME weights our importer reads.

SmolLM2 (Llama): weights dequantized from the GGUF file by the `gguf` package
(gguf.quants.dequantize, float32) and widened to float64. GGUF keeps llama.cpp's Q/K row
permutation, so RoPE rotates adjacent pairs (x[2i], x[2i+1]) with theta_i = base^(-2i/d)
(the kernel's `interleaved` layout). Pre-norm RMSNorm, grouped-query causal attention, SwiGLU,
final RMSNorm, LM head tied to the token embedding.

MiniLM (BERT): float32 safetensors widened to float64. Post-norm LayerNorm, exact (erf) GELU,
bidirectional attention, mean pooling over the tokens, L2 normalisation.
"""
import json
import math
import os

import numpy as np


# ----------------------------------------------------------------------------- SmolLM2 / Llama

class Llama:
    def __init__(self, gguf_path):
        import gguf

        r = gguf.GGUFReader(gguf_path)

        def field(key, default=None):
            f = r.fields.get(key)
            if f is None:
                return default
            v = f.parts[f.data[0]]
            return v.tolist()[0] if v.dtype != np.uint8 else bytes(v).decode()

        assert field("general.architecture") == "llama"
        self.width = int(field("llama.embedding_length"))
        self.layers = int(field("llama.block_count"))
        self.heads = int(field("llama.attention.head_count"))
        self.kv_heads = int(field("llama.attention.head_count_kv", self.heads))
        self.head_dim = self.width // self.heads
        self.eps = float(np.float32(field("llama.attention.layer_norm_rms_epsilon")))
        self.rope_base = float(np.float32(field("llama.rope.freq_base", 10000.0)))
        self.w = {}
        for t in r.tensors:
            a = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            shape = [int(x) for x in reversed(t.shape)]
            self.w[t.name] = a.reshape(shape).astype(np.float64)
        self.head = self.w.get("output.weight", self.w["token_embd.weight"])

    def rms_norm(self, x, g):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * g

    def rope(self, x, positions):
        # x: [T, heads, d]; rotate pairs (2i, 2i+1).
        d = x.shape[-1]
        inv = self.rope_base ** (-np.arange(0, d, 2, dtype=np.float64) / d)
        ang = positions[:, None] * inv[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x0 * cos - x1 * sin
        out[..., 1::2] = x0 * sin + x1 * cos
        return out

    def forward(self, ids):
        """Logits [T, vocab] (float64) for every position of `ids` (causal)."""
        ids = np.asarray(ids)
        T = len(ids)
        x = self.w["token_embd.weight"][ids]
        pos = np.arange(T, dtype=np.float64)
        mask = np.triu(np.full((T, T), -np.inf), 1)
        group = self.heads // self.kv_heads
        for i in range(self.layers):
            p = "blk.%d." % i
            h = self.rms_norm(x, self.w[p + "attn_norm.weight"])
            q = (h @ self.w[p + "attn_q.weight"].T).reshape(T, self.heads, self.head_dim)
            k = (h @ self.w[p + "attn_k.weight"].T).reshape(T, self.kv_heads, self.head_dim)
            v = (h @ self.w[p + "attn_v.weight"].T).reshape(T, self.kv_heads, self.head_dim)
            q, k = self.rope(q, pos), self.rope(k, pos)
            ctx = np.empty((T, self.heads, self.head_dim))
            for hd in range(self.heads):
                kv = hd // group
                s = q[:, hd, :] @ k[:, kv, :].T / math.sqrt(self.head_dim) + mask
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                ctx[:, hd, :] = s @ v[:, kv, :]
            x = x + ctx.reshape(T, -1) @ self.w[p + "attn_output.weight"].T
            h = self.rms_norm(x, self.w[p + "ffn_norm.weight"])
            g = h @ self.w[p + "ffn_gate.weight"].T
            u = h @ self.w[p + "ffn_up.weight"].T
            x = x + ((g / (1 + np.exp(-g))) * u) @ self.w[p + "ffn_down.weight"].T
        return self.rms_norm(x, self.w["output_norm.weight"]) @ self.head.T

    def greedy(self, ids, n):
        ids = list(ids)
        for _ in range(n):
            ids.append(int(np.argmax(self.forward(ids)[-1])))
        return ids


# ----------------------------------------------------------------------------- MiniLM / BERT

class Bert:
    def __init__(self, model_dir):
        from safetensors.numpy import load_file

        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
        self.layers = c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.eps = c["layer_norm_eps"]
        raw = load_file(os.path.join(model_dir, "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float64) for k, v in raw.items() if v.dtype == np.float32}

    def layer_norm(self, x, name):
        mu = x.mean(axis=-1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def embed(self, ids):
        """Mean-pooled, L2-normalised sentence embedding (float64) of one unpadded sequence."""
        from scipy_free_erf import erf

        ids = np.asarray(ids)
        T = len(ids)
        e = self.w["embeddings.word_embeddings.weight"][ids] + self.w["embeddings.position_embeddings.weight"][:T] \
            + self.w["embeddings.token_type_embeddings.weight"][0]
        x = self.layer_norm(e, "embeddings.LayerNorm")
        d = x.shape[1] // self.heads
        for i in range(self.layers):
            p = "encoder.layer.%d." % i
            q = self.dense(x, p + "attention.self.query").reshape(T, self.heads, d).transpose(1, 0, 2)
            k = self.dense(x, p + "attention.self.key").reshape(T, self.heads, d).transpose(1, 0, 2)
            v = self.dense(x, p + "attention.self.value").reshape(T, self.heads, d).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(T, -1)
            x = self.layer_norm(self.dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            u = self.dense(x, p + "intermediate.dense")
            u = 0.5 * u * (1 + erf(u / math.sqrt(2)))
            x = self.layer_norm(self.dense(u, p + "output.dense") + x, p + "output.LayerNorm")
        m = x.mean(axis=0)
        return m / np.linalg.norm(m)
