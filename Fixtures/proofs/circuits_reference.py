#!/usr/bin/env python3
"""Independent reference for circuit ids (specs/proofs.md section 7.2).

Reads every Circuits/*.json and writes the ids to Fixtures/proofs/circuits.json.
Run from the repository root: python3 Fixtures/proofs/circuits_reference.py > Fixtures/proofs/circuits.json
"""
import glob
import hashlib
import json
import os
import struct


def string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b


def canonical(c):
    out = b"MVC1"
    out += string(c["format"]) + string(c["name"]) + string(c["kind"])
    out += struct.pack(">QQ", c["inFeatures"], c["outFeatures"])
    out += string(c["activation"])
    out += bytes([1 if c["residual"] else 0, 1 if c["bias"] else 0])
    out += struct.pack(">QQ", c["activationBits"], c["maxTokens"])
    out += string(c["weights"])
    for key in ("seed", "block"):
        out += (b"\x01" + struct.pack(">Q", c[key])) if key in c else b"\x00"
    out += (b"\x01" + string(c["modelID"])) if "modelID" in c else b"\x00"
    # Appended only when it is not the default 8 (circuits with 8-bit weights keep their ids).
    if c.get("weightBits", 8) != 8:
        out += struct.pack(">Q", c["weightBits"])
    # Appended only when it is not the default "sumcheck".
    if c.get("proofSystem", "sumcheck") != "sumcheck":
        out += string(c["proofSystem"])
    return out


circuits = []
for path in sorted(p for p in glob.glob("Circuits/*.json") if not p.endswith(".vk.json")):
    with open(path) as f:
        c = json.load(f)
    circuits.append({"file": os.path.basename(path), "name": c["name"],
                     "canonicalHex": canonical(c).hex(), "id": hashlib.sha256(canonical(c)).hexdigest()})
print(json.dumps({"desc": "Circuit ids: SHA-256 of the canonical bytes of specs/proofs.md section 7.2",
                  "circuits": circuits}, indent=2))
