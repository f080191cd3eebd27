#!/usr/bin/env python3
"""Writes probes.json: named mutations of proof.bin with the outcome specs/proofs.md requires.

Offsets come from the section 6 layout of this proof (read from proof.bin itself).
Run from this directory: python3 make_probes.py > probes.json
"""
import json
import struct

proof = open("proof.bin", "rb").read()
w = proof[43]
(length,) = struct.unpack(">I", proof[44:48])
r = 48 + length  # offset of the round count byte
probes = [
    {"desc": "valid", "mutation": "xor", "offset": 0, "mask": 0, "want": "valid"},
    {"desc": "bad-magic", "mutation": "xor", "offset": 0, "mask": 1, "want": "malformed", "wantErr": "MVPF"},
    {"desc": "version-3", "mutation": "xor", "offset": 5, "mask": 2, "want": "malformed", "wantErr": "version 3"},
    {"desc": "circuit-id-flip", "mutation": "xor", "offset": 6, "mask": 0x80, "want": "invalid", "wantErr": "another circuit"},
    {"desc": "tokens-plus-one", "mutation": "xor", "offset": 41, "mask": 0x01, "want": "malformed", "wantErr": "accumulator length"},
    {"desc": "tokens-zero", "mutation": "xor", "offset": 41, "mask": 0x02, "want": "malformed", "wantErr": "token count 0"},
    {"desc": "stage-count-2", "mutation": "xor", "offset": 42, "mask": 0x03, "want": "malformed", "wantErr": "stage count"},
    {"desc": "accumulator-width-49", "mutation": "xor", "offset": 43, "mask": w ^ 49, "want": "malformed", "wantErr": "accumulator width"},
    {"desc": "accumulator-width-minus-1", "mutation": "xor", "offset": 43, "mask": w ^ (w - 1), "want": "malformed", "wantErr": "accumulator length"},
    {"desc": "payload-length-plus-1", "mutation": "xor", "offset": 47, "mask": (length ^ (length + 1)) & 0xFF, "want": "malformed", "wantErr": "accumulator length"},
    {"desc": "accumulator-lowest-bit", "mutation": "xor", "offset": 48, "mask": 0x01, "want": "invalid"},
    {"desc": "accumulator-last-byte", "mutation": "xor", "offset": r - 1, "mask": 0x01, "want": "invalid"},
    {"desc": "round-count-plus-1", "mutation": "xor", "offset": r, "mask": 0x01, "want": "malformed", "wantErr": "sumcheck rounds"},
    {"desc": "round0-p0-low-bit", "mutation": "xor", "offset": r + 8, "mask": 0x01, "want": "invalid", "wantErr": "sumcheck round 0"},
    {"desc": "round0-p2-low-bit", "mutation": "xor", "offset": r + 48, "mask": 0x01, "want": "invalid", "wantErr": "sumcheck"},
    {"desc": "last-round-last-byte", "mutation": "xor", "offset": len(proof) - 1, "mask": 0x01, "want": "invalid", "wantErr": "final sumcheck claim"},
    {"desc": "truncated-by-1", "mutation": "truncate", "length": len(proof) - 1, "want": "malformed", "wantErr": "truncated proof"},
    {"desc": "empty", "mutation": "truncate", "length": 0, "want": "malformed", "wantErr": "truncated proof"},
    {"desc": "trailing-garbage", "mutation": "append", "bytes": 1, "want": "malformed", "wantErr": "trailing"},
    {"desc": "output-plus-one", "mutation": "output", "index": 9, "delta": 1, "want": "invalid", "wantErr": "output[1][1]"},
    {"desc": "output-minus-one", "mutation": "output", "index": 0, "delta": -1, "want": "invalid", "wantErr": "output[0][0]"},
]
print(json.dumps(probes, indent=2))
