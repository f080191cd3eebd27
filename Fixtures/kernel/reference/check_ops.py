#!/usr/bin/env python3
"""Independent Python implementation of specs/kernel.md §2–§5, checked against ops.json/tables.json.

Written from the spec text only (Python ints are exact; Python floats are IEEE-754 binary64, so
the table construction of §4 must reproduce the Swift tables bit for bit).
Usage: check_ops.py [Fixtures/kernel]   -> prints "ok N cases" or the failing cases, exit 1.
"""
import hashlib
import json
import math
import os
import struct
import sys

LIM = 1 << 62


def round_shift(x, s):
    if s >= 63:
        return 0
    if s >= 1:
        return (x + (1 << (s - 1))) >> s
    if s == 0:
        return x
    return max(-LIM, min(LIM, x << min(-s, 62)))


def mul_round_shift(a, b, s):
    p = a * b
    if s >= 1:
        t = min(s, 126)
        r = (p + (1 << (t - 1))) >> t
    else:
        r = p << min(-s, 62)
    return max(-LIM, min(LIM, r))


def floor_div(a, b):
    return a // b


def div_round(a, b):
    return (2 * a + b) // (2 * b)


def sat32(x):
    return max(-(2**31 - 1), min(2**31 - 1, x))


def bit_length(x):
    return abs(x).bit_length()


def shift(x, s):
    return x >> s if s >= 0 else x << -s


# §4 deterministic binary64 functions, in the spec's operation order.
LN2 = 0.6931471805599453
TWO_PI = 6.283185307179586
SQRT1_2 = 0.7071067811865476
TWO_OVER_SQRTPI = 1.1283791670955126
INV_SQRTPI = 0.5641895835477563
SQRT2 = 1.4142135623730951


def rne(x):
    return int(round(x))  # Python round() is round-half-even


def det_exp(x):
    n = float(rne(x / LN2))
    r = x - n * LN2
    s, t = 1.0, 1.0
    for k in range(1, 28):
        t = (t * r) / k
        s = s + t
    return math.ldexp(s, int(n))


def det_ln(x):
    m, e = math.frexp(x)  # x = m * 2^e, 0.5 <= m < 1
    m, k = m * 2, e - 1
    if m > SQRT2:
        m, k = m / 2, k + 1
    t = (m - 1) / (m + 1)
    t2 = t * t
    s, p = 0.0, t
    for j in range(40):
        s = s + p / (2 * j + 1)
        p = p * t2
    return k * LN2 + 2 * s


def reduce_angle(a):
    n = float(rne(a / TWO_PI))
    return a - n * TWO_PI


def det_sin(a):
    r = reduce_angle(a)
    r2 = r * r
    t = s = r
    for i in range(1, 30):
        t = -((t * r2) / ((2 * i) * (2 * i + 1)))
        s = s + t
    return s


def det_cos(a):
    r = reduce_angle(a)
    r2 = r * r
    t = s = 1.0
    for i in range(1, 30):
        t = -((t * r2) / ((2 * i - 1) * (2 * i)))
        s = s + t
    return s


def det_erf(w):
    if abs(w) <= 3:
        p, s, w2 = w, 0.0, w * w
        for n in range(60):
            s = s + p / (2 * n + 1)
            p = -((p * w2) / (n + 1))
        return s * TWO_OVER_SQRTPI
    a, f = abs(w), 0.0
    for k in range(60, 0, -1):
        f = (k / 2) / (a + f)
    c = det_exp(-(a * a)) / (a + f) * INV_SQRTPI
    return -(1 - c) if w < 0 else (1 - c)


def silu(x):
    return x / (1 + det_exp(-x))


def gelu(x):
    return (0.5 * x) * (1 + det_erf(x * SQRT1_2))


SILU = [rne(silu(-16 + j / 64) * 65536) for j in range(2049)]
GELU = [rne(gelu(-16 + j / 64) * 65536) for j in range(2049)]
EXPT = [rne(det_exp(-(j / 64)) * 2**30) for j in range(1025)]


def rope_table(d, base, positions):
    ln_base = det_ln(base)
    theta = [det_exp(-((2 * i / d) * ln_base)) for i in range(d // 2)]
    cos = [rne(det_cos(p * theta[i]) * 2**30) for p in range(positions) for i in range(d // 2)]
    sin = [rne(det_sin(p * theta[i]) * 2**30) for p in range(positions) for i in range(d // 2)]
    return cos, sin


def lut(x, t):
    if x < -16 * 65536:
        return 0
    if x >= 16 * 65536:
        return x
    u = x + 16 * 65536
    i, f = u >> 10, u & 1023
    return t[i] + round_shift((t[i + 1] - t[i]) * f, 10)


def expq(d):
    if d >= 16 * 65536:
        return 0
    i, f = d >> 10, d & 1023
    return EXPT[i] + round_shift((EXPT[i + 1] - EXPT[i]) * f, 10)


def quantize_token(z, bits):
    amax = 2 ** (bits - 1) - 1
    m = max(abs(v) for v in z)
    if m == 0:
        return [0] * len(z), 0, 0
    e = max(0, bit_length(m) - 8)
    mant = (m + (1 << e) - 1) >> e
    return [div_round(amax * v, mant << e) for v in z], mant, e


def normalize(d, gamma, eps):
    n = len(d)
    m = max(abs(v) for v in d)
    if m == 0:
        return None
    s0 = bit_length(m) - 23
    y = [shift(v, s0) for v in d]
    ms = sum(v * v for v in y) // n
    v = min(ms + round_shift(min(eps, LIM), 2 * s0), LIM)
    r = math.isqrt(v)
    return [sat32(div_round(y[i] * gamma[i], r)) for i in range(n)]


def rms_norm(x, gamma, eps):
    z = normalize(x, gamma, eps)
    return z if z is not None else [0] * len(x)


def layer_norm(x, gamma, beta, eps):
    n = len(x)
    s = sum(x)
    d = [n * v - s for v in x]
    z = normalize(d, gamma, min(eps * n * n, LIM))
    return [sat32((z[i] if z else 0) + beta[i]) for i in range(n)]


def rows(v, w):
    return [v[i : i + w] for i in range(0, len(v), w)]


def dyadic(f):
    if f < 2**-100:
        return 0, 0
    m, x = math.frexp(f)
    M = rne(m * 2**15)
    if M == 2**15:
        M, x = 2**14, x + 1
    return M, 15 - x


def norm16(v):
    m = max(abs(a) for a in v)
    e = max(0, bit_length(m) - 15)
    return [a >> e for a in v], e


def attention(q, k, v, T, H, G, D, causal):
    C, cs = dyadic(1.0 / (math.sqrt(D) * 65536.0))
    out = [0] * (T * H * D)
    for t in range(T):
        for h in range(H):
            g = h // (H // G)
            qq, eq = norm16(q[(t * H + h) * D : (t * H + h + 1) * D])
            vis = t + 1 if causal else T
            S = []
            for j in range(vis):
                kk, ek = norm16(k[(j * G + g) * D : (j * G + g + 1) * D])
                dot = sum(a * b for a, b in zip(qq, kk))
                S.append(sat32(round_shift(dot * C, cs - eq - ek)))
            mx = max(S)
            E = [expq(mx - s) for s in S]
            inv = (1 << 60) // sum(E)
            P = [round_shift(e * inv, 45) for e in E]
            for i in range(D):
                acc = sum(P[j] * v[(j * G + g) * D + i] for j in range(vis))
                out[(t * H + h) * D + i] = sat32(round_shift(acc, 15))
    return out


def run(case):
    op, p, x = case["op"], case["params"], case["inputs"]
    if op == "roundShift":
        return [round_shift(v, p["s"]) for v in x["x"]]
    if op == "mulRoundShift":
        return [mul_round_shift(a, p["b"], p["s"]) for a in x["a"]]
    if op == "isqrt":
        return [math.isqrt(v) for v in x["v"]]
    if op == "lut":
        return [lut(v, SILU if p["table"] == 0 else GELU) for v in x["x"]]
    if op == "expq":
        return [expq(v) for v in x["d"]]
    if op == "quantizeToken":
        qs, ms = [], []
        for r in rows(x["z"], p["width"]):
            q, mant, e = quantize_token(r, p["bits"])
            qs += q
            ms += [mant, e]
        return qs + ms
    if op == "dense":
        T, K, N = p["tokens"], p["k"], p["n"]
        out = []
        for t in range(T):
            for o in range(N):
                acc = sum(x["q"][t * K + c] * x["w"][o * K + c] for c in range(K))
                y = sat32(mul_round_shift(acc, x["mant"][t] * x["M"][o], x["sh"][o] - x["e"][t]))
                y = sat32(y + x["bias"][o])
                y = lut(y, GELU) if p["lut"] == 1 else y
                out.append(sat32(y + x["residual"][t * N + o]))
        return out
    if op == "blockDense":  # §3.5: w = S_b * c + Z_b, accumulators then dense outputs
        T, K, N = p["tokens"], p["k"], p["n"]
        nb = K // 32
        accs, out = [], []
        for t in range(T):
            for o in range(N):
                acc = 0
                for b in range(nb):
                    S, Z = x["S"][o * nb + b], x["Z"][o * nb + b]
                    acc += sum(x["q"][t * K + c] * (S * x["codes"][o * K + c] + Z) for c in range(32 * b, 32 * b + 32))
                accs.append(acc)
                out.append(sat32(mul_round_shift(acc, x["mant"][t] * x["M"][o], x["sh"][o] - x["e"][t])))
        return accs + out
    if op == "rmsNorm":
        return sum((rms_norm(r, x["gamma"], p["epsQ32"]) for r in rows(x["x"], p["width"])), [])
    if op == "layerNorm":
        return sum((layer_norm(r, x["gamma"], x["beta"], p["epsQ32"]) for r in rows(x["x"], p["width"])), [])
    if op == "meanPoolL2":
        W = p["width"]
        R = rows(x["h"], W)
        pooled = [div_round(sum(r[i] for r in R), len(R)) for i in range(W)]
        m = max(abs(v) for v in pooled)
        if m == 0:
            return [0] * W
        s0 = bit_length(m) - 23
        y = [shift(v, s0) for v in pooled]
        r = math.isqrt(sum(v * v for v in y))
        return [sat32(div_round(v * 65536, r)) for v in y]
    if op == "rope":
        T, H, D, start = p["tokens"], p["heads"], p["headDim"], p["start"]
        cos, sin = rope_table(D, float(p["base"]), start + T)
        v = list(x["x"])
        for t in range(T):
            pos = start + t
            for h in range(H):
                b = (t * H + h) * D
                for i in range(D // 2):
                    ia, ib = (b + 2 * i, b + 2 * i + 1) if p["interleaved"] else (b + i, b + i + D // 2)
                    a_, b_ = v[ia], v[ib]
                    c, s = cos[pos * (D // 2) + i], sin[pos * (D // 2) + i]
                    v[ia] = sat32(round_shift(a_ * c - b_ * s, 30))
                    v[ib] = sat32(round_shift(a_ * s + b_ * c, 30))
        return v
    if op == "attention":
        return attention(x["q"], x["k"], x["v"], p["tokens"], p["heads"], p["kvHeads"], p["headDim"], p["causal"] == 1)
    raise ValueError("unknown op " + op)


def table_commitment(v):
    data = b"MVT1" + bytes([1, 0, 3, 0, 1]) + struct.pack("<I", len(v)) + struct.pack("<%di" % len(v), *v)
    return hashlib.sha256(data).hexdigest()


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    cases = json.load(open(os.path.join(d, "ops.json")))
    blocks_path = os.path.join(d, "blocks.json")
    if os.path.exists(blocks_path):
        cases += json.load(open(blocks_path))["ops"]
    bad = [c["desc"] for c in cases if run(c) != c["want"]]
    tables = json.load(open(os.path.join(d, "tables.json")))
    mine = {"silu": SILU, "gelu": GELU, "exp": EXPT}
    c8, s8 = rope_table(8, 10000.0, 64)
    c64, s64 = rope_table(64, 100000.0, 2048)
    mine.update({"rope_d8_base1e4_p64_cos": c8, "rope_d8_base1e4_p64_sin": s8,
                 "rope_d64_base1e5_p2048_cos": c64, "rope_d64_base1e5_p2048_sin": s64})
    bad += ["table " + k for k, v in mine.items() if table_commitment(v) != tables[k]]
    if bad:
        print("FAIL", bad)
        sys.exit(1)
    print("ok %d cases, %d tables" % (len(cases), len(mine)))


if __name__ == "__main__":
    main()
