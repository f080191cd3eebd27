#!/usr/bin/env python3
"""Independent receipt signer/verifier written from specs/receipt.md only, using coincurve
(libsecp256k1 bundled in its wheel, not the system library the Swift code links).

  receipt_coincurve.py sign SECRET_HEX AUX_HEX < unsigned.json > signed.json
  receipt_coincurve.py verify < signed.json          (exit 0 valid, 1 invalid)
  receipt_coincurve.py canonical < receipt.json      (prints canonical hex and digest hex)
"""
import hashlib
import json
import struct
import sys

import coincurve


def tagged_hash(tag: str, msg: bytes) -> bytes:
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def b32(hexstr: str) -> bytes:
    raw = bytes.fromhex(hexstr)
    assert len(raw) == 32 and hexstr == hexstr.lower()
    return raw


def canonical(r: dict) -> bytes:
    out = struct.pack(">H", r["version"])
    out += b32(r["jobId"]) + b32(r["modelId"])
    out += struct.pack(">II", r["layers"][0], r["layers"][1])
    out += b32(r["inputCommitment"]) + b32(r["outputCommitment"]) + b32(r["node"])
    out += struct.pack(">QQQ", r["startedAtMs"], r["finishedAtMs"], r["sequence"])
    if r.get("proofRef") is None:
        out += b"\x00"
    else:
        out += b"\x01" + b32(r["proofRef"])
    return out


def main() -> int:
    cmd = sys.argv[1]
    doc = json.load(sys.stdin)
    if cmd == "sign":
        key = coincurve.PrivateKey(bytes.fromhex(sys.argv[2]))
        doc["node"] = key.public_key_xonly.format().hex()
        digest = tagged_hash("mesh/receipt/v1", canonical(doc))
        doc["signature"] = key.sign_schnorr(digest, bytes.fromhex(sys.argv[3])).hex()
        json.dump(doc, sys.stdout, indent=2)
        return 0
    if cmd == "verify":
        digest = tagged_hash("mesh/receipt/v1", canonical(doc))
        pub = coincurve.PublicKeyXOnly(b32(doc["node"]))
        return 0 if pub.verify(bytes.fromhex(doc["signature"]), digest) else 1
    if cmd == "canonical":
        c = canonical(doc)
        print(c.hex())
        print(tagged_hash("mesh/receipt/v1", c).hex())
        return 0
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main())
