#!/usr/bin/env python3
"""Independent reference for the Fiat-Shamir transcript of specs/proofs.md section 4.

Writes transcript.json: a script of observe/sample operations and the challenges they yield.
Run: python3 Fixtures/proofs/transcript_reference.py > Fixtures/proofs/transcript.json
"""
import hashlib
import json
import struct

P = 2**64 - 2**32 + 1
DOMAIN = b"mesh-validator/proofs/transcript/v1"


class Transcript:
    def __init__(self):
        self.state = hashlib.sha256(DOMAIN).digest()

    def observe(self, label, data):
        lb = label.encode()
        self.state = hashlib.sha256(
            self.state + b"\x01" + struct.pack(">I", len(lb)) + lb + struct.pack(">Q", len(data)) + data
        ).digest()

    def sample(self, label):
        lb = label.encode()
        while True:
            self.state = hashlib.sha256(self.state + b"\x02" + struct.pack(">I", len(lb)) + lb).digest()
            c0, c1 = struct.unpack(">QQ", self.state[:16])
            if c0 < P and c1 < P:
                return c0, c1


ops = [
    {"op": "observe", "label": "domain", "hex": b"mesh".hex()},
    {"op": "sample", "label": "c"},
    {"op": "observe", "label": "empty", "hex": ""},
    {"op": "sample", "label": "c"},
    {"op": "observe", "label": "bytes", "hex": bytes(range(100)).hex()},
    {"op": "sample", "label": "row"},
    {"op": "sample", "label": "row"},
]
t = Transcript()
out = []
for op in ops:
    if op["op"] == "observe":
        t.observe(op["label"], bytes.fromhex(op["hex"]))
        out.append(op)
    else:
        c0, c1 = t.sample(op["label"])
        out.append(dict(op, c0=str(c0), c1=str(c1)))
print(json.dumps({
    "desc": "Transcript conformance script (specs/proofs.md section 4); challenges are decimal c0 + c1*x",
    "initialStateHex": hashlib.sha256(DOMAIN).hexdigest(),
    "finalStateHex": t.state.hex(),
    "ops": out,
}, indent=2))
