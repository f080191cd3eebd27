#!/usr/bin/env python3
"""Writes DIR/probes.json: named mutations of DIR/proof.bin (a one-stage dense proof) with the
outcome specs/proofs.md requires.

Offsets come from the section 6 layout of the proof (read from proof.bin itself): header
0-42, entry width 43, entry offset 44-51, payload length 52-55, payload from 56. Whether a
payload bit flip leaves the encoding canonical (invalid proof) or not (malformed) is decided
here by an independent reading of the section 6 rules.

Usage, from the repository root:
  python3 Fixtures/proofs/make_probes.py Fixtures/proofs/dense-16x8-test 8 explicit
  python3 Fixtures/proofs/make_probes.py Fixtures/proofs/dense-16x16-residual-test 16 derived
(the directory, the circuit's outFeatures N, and whether its stage is explicit or derived, 5.3).
"""
import json
import os
import struct
import sys

directory, outputs, stage = sys.argv[1], int(sys.argv[2]), sys.argv[3]
proof = open(os.path.join(directory, "proof.bin"), "rb").read()
(tokens,) = struct.unpack(">I", proof[38:42])
w = proof[43]
(offset,) = struct.unpack(">q", proof[44:52])
(length,) = struct.unpack(">I", proof[52:56])
r = 56 + length  # offset of the round count byte
count = tokens * outputs  # T x N entries


def excesses(payload, bits):
    """The unsigned w-bit excesses of section 6, read bit by bit."""
    stream = int.from_bytes(payload, "little")
    return [(stream >> (e * bits)) & ((1 << bits) - 1) for e in range(count)]


def payload_flip_outcome(byte, mask):
    """A payload bit flip keeps the encoding canonical (the proof is then invalid) or breaks
    it (malformed): the least excess must stay 0 and the largest must still need w bits."""
    payload = bytearray(proof[56:r])
    payload[byte - 56] ^= mask
    if int.from_bytes(payload, "little") >> (count * w):
        return "malformed", "padding"
    u = excesses(bytes(payload), w)
    if min(u) != 0 or max(u).bit_length() != w:
        return "malformed", "canonical"
    return "invalid", None


probes = [
    {"desc": "valid", "mutation": "xor", "offset": 0, "mask": 0, "want": "valid"},
    {"desc": "bad-magic", "mutation": "xor", "offset": 0, "mask": 1, "want": "malformed", "wantErr": "MVPF"},
    {"desc": "version-3", "mutation": "xor", "offset": 5, "mask": 1, "want": "malformed", "wantErr": "version 3"},
    {"desc": "version-1", "mutation": "xor", "offset": 5, "mask": 3, "want": "malformed", "wantErr": "version 1 is not supported"},
    {"desc": "circuit-id-flip", "mutation": "xor", "offset": 6, "mask": 0x80, "want": "invalid", "wantErr": "another circuit"},
    {"desc": "tokens-plus-one", "mutation": "xor", "offset": 41, "mask": 0x01, "want": "invalid", "wantErr": "covers %d tokens" % (tokens ^ 1)},
    {"desc": "tokens-zero", "mutation": "xor", "offset": 41, "mask": 0x02, "want": "malformed", "wantErr": "token count 0"},
    {"desc": "stage-count-2", "mutation": "xor", "offset": 42, "mask": 0x03, "want": "malformed", "wantErr": "stage count"},
    {"desc": "entry-width-49", "mutation": "xor", "offset": 43, "mask": w ^ 49, "want": "malformed", "wantErr": "entry width"},
    {"desc": "entry-width-minus-1", "mutation": "xor", "offset": 43, "mask": w ^ (w - 1), "want": "malformed", "wantErr": "entry length"},
    {"desc": "offset-plus-one", "mutation": "xor", "offset": 51, "mask": 0x01, "want": "invalid"},
    {"desc": "payload-length-plus-1", "mutation": "xor", "offset": 55, "mask": (length ^ (length + 1)) & 0xFF, "want": "malformed", "wantErr": "entry length"},
    {"desc": "entry-lowest-bit", "mutation": "xor", "offset": 56, "mask": 0x01},
    {"desc": "entry-last-byte", "mutation": "xor", "offset": r - 1, "mask": 0x01},
    {"desc": "round-count-plus-1", "mutation": "xor", "offset": r, "mask": 0x01, "want": "malformed", "wantErr": "sumcheck rounds"},
    {"desc": "round0-p0-low-bit", "mutation": "xor", "offset": r + 8, "mask": 0x01, "want": "invalid", "wantErr": "sumcheck round 0"},
    {"desc": "round0-p2-low-bit", "mutation": "xor", "offset": r + 48, "mask": 0x01, "want": "invalid", "wantErr": "sumcheck"},
    {"desc": "last-round-last-byte", "mutation": "xor", "offset": len(proof) - 1, "mask": 0x01, "want": "invalid", "wantErr": "final sumcheck claim"},
    {"desc": "truncated-by-1", "mutation": "truncate", "length": len(proof) - 1, "want": "malformed", "wantErr": "truncated proof"},
    {"desc": "empty", "mutation": "truncate", "length": 0, "want": "malformed", "wantErr": "truncated proof"},
    {"desc": "trailing-garbage", "mutation": "append", "bytes": 1, "want": "malformed", "wantErr": "trailing"},
    # An explicit stage's accumulators no longer give Y; a derived stage's accumulator moves with
    # Y (5.3), so the sumcheck rejects it instead.
    {"desc": "output-plus-one", "mutation": "output", "index": outputs + 1, "delta": 1, "want": "invalid",
     "wantErr": "output[1][1]" if stage == "explicit" else "sumcheck"},
    {"desc": "output-minus-one", "mutation": "output", "index": 0, "delta": -1, "want": "invalid",
     "wantErr": "output[0][0]" if stage == "explicit" else "sumcheck"},
]
for p in probes:
    if p["desc"].startswith("entry-") and "want" not in p:
        p["want"], err = payload_flip_outcome(p["offset"], p["mask"])
        if err:
            p["wantErr"] = err
with open(os.path.join(directory, "probes.json"), "w") as f:
    f.write(json.dumps(probes, indent=2) + "\n")
