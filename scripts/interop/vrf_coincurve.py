#!/usr/bin/env python3
"""Independent ECVRF-SECP256K1-SHA256-TAI, written from specs/vrf.md only, on coincurve (the
libsecp256k1 bundled in its wheel, not the system library the Swift code links). Point arithmetic
goes through coincurve; scalars mod n are Python integers; RFC 6979 uses hashlib/hmac.

  vrf_coincurve.py verify PK33_HEX ALPHA_HEX PI_HEX   prints beta hex, exit 0; prints INVALID, exit 1
  vrf_coincurve.py prove SK_HEX ALPHA_HEX             prints JSON {sk, pk, alpha, pi, beta}
  vrf_coincurve.py prove-bip340 SK_HEX ALPHA_HEX      same with the even-y key convention (spec §2)
  vrf_coincurve.py vectors < inputs.json              [{desc, sk, alpha, bip340?}] -> full vectors
                                                      (plus ctr, h, k: intermediate values)
"""
import hashlib
import hmac
import json
import sys

import coincurve

SUITE = b"\xfe"
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def string_to_point(b: bytes):
    """Spec §1: 33 bytes, 02/03 prefix, x < p, x on the curve; else None."""
    if len(b) != 33 or b[0] not in (2, 3) or int.from_bytes(b[1:], "big") >= P:
        return None
    try:
        return coincurve.PublicKey(b)
    except Exception:
        return None


def point_to_string(pt) -> bytes:
    return pt.format(compressed=True)


def mul(pt, k: int):
    """k·pt for 1 <= k < n."""
    assert 0 < k < N
    return pt.multiply(k.to_bytes(32, "big"))


def base(k: int):
    assert 0 < k < N
    return coincurve.PublicKey.from_secret(k.to_bytes(32, "big"))


def add(a, b):
    """a + b, or None at infinity."""
    try:
        return coincurve.PublicKey.combine_keys([a, b])
    except Exception:
        return None


def hash_to_curve_ctr(y: bytes, alpha: bytes):
    """Spec §3: try-and-increment; returns (H, ctr) or (None, None)."""
    for ctr in range(256):
        h = string_to_point(b"\x02" + sha256(SUITE + b"\x01" + y + alpha + bytes([ctr])))
        if h is not None:
            return h, ctr
    return None, None


def hash_to_curve(y: bytes, alpha: bytes):
    return hash_to_curve_ctr(y, alpha)[0]


def hash_points(*pts) -> bytes:
    """Spec §5: first 16 bytes of SHA-256(FE || 02 || points)."""
    return sha256(SUITE + b"\x02" + b"".join(point_to_string(p) for p in pts))[:16]


def proof_to_hash(gamma33: bytes) -> bytes:
    """Spec §7."""
    return sha256(SUITE + b"\x03" + gamma33)


def nonce_rfc6979(x: int, h_string: bytes) -> int:
    """Spec §4: RFC 6979 section 3.2, HMAC-SHA-256, m = h_string."""
    h1 = int.from_bytes(sha256(h_string), "big") % N
    xb, hb = x.to_bytes(32, "big"), h1.to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + xb + hb, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + xb + hb, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        t = int.from_bytes(v, "big")
        if 0 < t < N:
            return t
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def prove(x: int, alpha: bytes):
    y = point_to_string(base(x))
    h = hash_to_curve(y, alpha)
    gamma = mul(h, x)
    k = nonce_rfc6979(x, point_to_string(h))
    c = hash_points(h, gamma, base(k), mul(h, k))
    s = (k + int.from_bytes(c, "big") * x) % N
    gamma33 = point_to_string(gamma)
    return y, gamma33 + c + s.to_bytes(32, "big"), proof_to_hash(gamma33)


def verify(y: bytes, alpha: bytes, pi: bytes):
    """Spec §6: beta or None."""
    ypt = string_to_point(y)
    if ypt is None or len(pi) != 81:
        return None
    gamma = string_to_point(pi[:33])
    c = int.from_bytes(pi[33:49], "big")
    s = int.from_bytes(pi[49:], "big")
    if gamma is None or c == 0 or not 0 < s < N:
        return None
    h = hash_to_curve(y, alpha)
    if h is None:
        return None
    u = add(base(s), mul(ypt, N - c))  # s·G − c·Y
    v = add(mul(h, s), mul(gamma, N - c))  # s·H − c·Gamma
    if u is None or v is None or hash_points(h, gamma, u, v) != pi[33:49]:
        return None
    return proof_to_hash(pi[:33])


def bip340_scalar(sk: int) -> int:
    """Spec §2: negate the secret when sk·G has odd y."""
    return sk if point_to_string(base(sk))[0] == 2 else N - sk


def vector(desc: str, sk_hex: str, alpha_hex: str, bip340: bool) -> dict:
    sk = int(sk_hex, 16)
    x = bip340_scalar(sk) if bip340 else sk
    y, pi, beta = prove(x, bytes.fromhex(alpha_hex))
    assert verify(y, bytes.fromhex(alpha_hex), pi) == beta
    h, ctr = hash_to_curve_ctr(y, bytes.fromhex(alpha_hex))
    out = {"desc": desc, "sk": sk_hex, "pk": y.hex(), "alpha": alpha_hex, "pi": pi.hex(), "beta": beta.hex()}
    # Intermediate values for reimplementers (spec §3, §4): hash-to-curve counter, H, and the nonce k.
    out["ctr"] = ctr
    out["h"] = point_to_string(h).hex()
    out["k"] = nonce_rfc6979(x, point_to_string(h)).to_bytes(32, "big").hex()
    if bip340:
        out["bip340"] = True
        out["xonly"] = y[1:].hex()
    return out


def main() -> int:
    cmd = sys.argv[1]
    if cmd == "verify":
        beta = verify(bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4]))
        print("INVALID" if beta is None else beta.hex())
        return 1 if beta is None else 0
    if cmd in ("prove", "prove-bip340"):
        print(json.dumps(vector("", sys.argv[2], sys.argv[3], cmd == "prove-bip340")))
        return 0
    if cmd == "vectors":
        rows = [vector(r["desc"], r["sk"], r["alpha"], r.get("bip340", False)) for r in json.load(sys.stdin)]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main())
