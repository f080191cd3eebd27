#!/usr/bin/env python3
"""Writes the fuzz seed corpora Fixtures/fuzz/<target>/ from the project's own fixtures.

Run from the repository root: python3 Fixtures/fuzz/make_seeds.py. Seeds named valid-* must be
accepted by their harness function (Tests/FuzzHarnessTests checks it); the rest are near-valid
inputs (one field broken) that start the fuzzer next to each check. crashers/ is never touched
here: it holds inputs the fuzzer found, kept by hand.
"""
import glob
import json
import os
import shutil

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "Fixtures", "fuzz")


def fixture(*parts):
    return os.path.join(ROOT, "Fixtures", *parts)


def reset(target):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "*")):
        if os.path.isfile(f) and not f.endswith("README.md"):
            os.remove(f)
    return d


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# json: StrictJSON documents and near-misses.
reset("json")
examples = json.load(open(fixture("receipts", "worked-examples.json")))["examples"]
write("json", "valid-receipt.json", json.dumps(examples[0]["signed"], indent=2))
write("json", "valid-checkpoint-example.json", open(fixture("ledger", "checkpoint-example.json")).read())
write("json", "valid-circuit.json", open(os.path.join(ROOT, "Circuits", "dense-16x8-test.json")).read())
write("json", "valid-scalars.json", '[0,-0,1.5e+3,-2E-7,true,false,null,"",{}]')
write("json", "valid-escapes.json", '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 \u00e9"')
write("json", "valid-nested-32.json", "[" * 32 + "]" * 32)
write("json", "nested-33.json", "[" * 33 + "]" * 33)
write("json", "duplicate-key.json", '{"a":1,"a":2}')
write("json", "lone-surrogate.json", '"\\ud800"')
write("json", "leading-zero.json", "[01]")
write("json", "trailing-bytes.json", "{} x")
write("json", "invalid-utf8.json", b'"\xc3\x28"')

# receipts: unsigned and signed JSON documents and canonical bytes.
reset("receipts")
for ex in examples:
    desc = ex["desc"]
    signed = ex["signed"]
    unsigned = dict(ex["unsigned"], node=signed["node"])
    write("receipts", f"valid-{desc}-unsigned.json", json.dumps(unsigned, indent=2))
    write("receipts", f"valid-{desc}-signed.json", json.dumps(signed, indent=2))
    write("receipts", f"valid-{desc}.canonical", bytes.fromhex(ex["canonicalHex"]))
ex = examples[0]
canonical = bytes.fromhex(ex["canonicalHex"])
write("receipts", "canonical-trailing-byte", canonical + b"\x00")
write("receipts", "canonical-truncated", canonical[:-1])
write("receipts", "canonical-option-tag-2", canonical[:-1] + b"\x02")
write("receipts", "canonical-version-2", b"\x00\x02" + canonical[2:])
write("receipts", "unsigned-no-node.json", json.dumps(ex["unsigned"]))
write("receipts", "unsigned-unknown-key.json", compact(dict(ex["unsigned"], node=ex["signed"]["node"], x=1)))
write("receipts", "signed-uppercase-hex.json", compact(dict(ex["signed"], jobId=ex["signed"]["jobId"].upper())))
write("receipts", "signed-layers-reversed.json", compact(dict(ex["signed"], layers=[4, 0])))

# tensor: the kernel's tensor vectors (valid and malformed).
reset("tensor")
for i, case in enumerate(json.load(open(fixture("kernel", "tensors.json")))):
    slug = case["desc"].replace(" ", "-").replace("[", "").replace("]", "").replace(",", "x")
    prefix = "" if case["wantErr"] else "valid-"
    write("tensor", f"{prefix}{i:02d}-{slug}.mvt", bytes.fromhex(case["hex"]))
for name in ("input.mvt", "output.mvt"):
    shutil.copy(fixture("proofs", "dense-16x8-test", name), os.path.join(OUT, "tensor", "valid-proof-" + name))

# gguf and safetensors: the tiny model files and the malformed vectors.
reset("gguf")
reset("safetensors")
shutil.copy(fixture("models", "tiny.gguf"), os.path.join(OUT, "gguf", "valid-tiny.gguf"))
shutil.copy(fixture("models", "tiny-llama.gguf"), os.path.join(OUT, "gguf", "valid-tiny-llama.gguf"))
shutil.copy(fixture("models", "tiny.safetensors"), os.path.join(OUT, "safetensors", "valid-tiny.safetensors"))
shutil.copy(fixture("models", "tiny-bf16.safetensors"), os.path.join(OUT, "safetensors", "valid-tiny-bf16.safetensors"))
for case in json.load(open(fixture("models", "malformed.json")))["cases"]:
    ext = "gguf" if case["format"] == "gguf" else "safetensors"
    write(case["format"], f"{case['name']}.{ext}", bytes.fromhex(case["hex"]))

# proof: the dense-16x8-test proof and its probes (one-byte XOR mutations).
reset("proof")
proof = open(fixture("proofs", "dense-16x8-test", "proof.bin"), "rb").read()
write("proof", "valid-dense-16x8-test.bin", proof)
for probe in json.load(open(fixture("proofs", "dense-16x8-test", "probes.json"))):
    if probe["mutation"] != "xor" or probe["mask"] == 0:
        continue
    mutated = bytearray(proof)
    mutated[probe["offset"]] ^= probe["mask"]
    write("proof", f"probe-{probe['desc']}.bin", bytes(mutated))
write("proof", "truncated.bin", proof[:-1])
write("proof", "trailing-byte.bin", proof + b"\x00")

# ledger-proof: the inclusion and consistency probes (RFC 9162 test trees).
reset("ledger-proof")
for kind in ("inclusion", "consistency"):
    for manifest in json.load(open(fixture("ledger", "probes", kind, "MANIFEST.json"))):
        data = open(fixture("ledger", "probes", kind, manifest["file"]), "rb").read()
        # Parsing, not verifying, is under test: every document that parses is "accepted".
        write("ledger-proof", f"{kind}-{manifest['file']}", data)
for kind in ("inclusion", "consistency"):
    shutil.copy(
        fixture("ledger", "probes", kind, "happy-path.json"),
        os.path.join(OUT, "ledger-proof", f"valid-{kind}-happy-path.json"))

# checkpoint: the example signed checkpoint, its body, its verifier key, and near-misses.
reset("checkpoint")
cp = json.load(open(fixture("ledger", "checkpoint-example.json")))
note = cp["note"]
write("checkpoint", "valid-note.txt", note)
write("checkpoint", "valid-body.txt", cp["body"])
write("checkpoint", "valid-verifier-key.txt", cp["verifierKey"] + "\n")
write("checkpoint", "valid-body-with-extension.txt", cp["body"] + "karma-state 00\n")
write("checkpoint", "note-no-blank-line.txt", note.replace("\n\n", "\n"))
write("checkpoint", "note-crlf.txt", note.replace("\n", "\r\n"))
write("checkpoint", "note-no-final-newline.txt", note[:-1])
write("checkpoint", "body-size-leading-zero.txt", cp["body"].replace("\n8\n", "\n08\n"))
write("checkpoint", "body-root-33-bytes.txt", cp["body"].replace("=\n", "AA==\n"))
write("checkpoint", "note-two-signatures.txt", note + note.split("\n\n")[1])

# groth16: snarkjs documents (specs/groth16.md §5) and near-misses, one check of §4 broken each.
reset("groth16")
for vector, short in (("nullifier-2pub", "nullifier"), ("zkml-nids-7pub", "zkml")):
    for name in ("verification_key.json", "proof.json", "public.json", "bad_proof.json"):
        data = open(fixture("groth16", "snarkjs", vector, name), "rb").read()
        write("groth16", f"valid-{short}-{name}", data)
g16_proof = json.load(open(fixture("groth16", "snarkjs", "nullifier-2pub", "proof.json")))
R = "21888242871839275222246405745257275088548364400416034343698204186575808495617"


def proof_with(**members):
    return json.dumps(dict(g16_proof, **members), indent=1)


write("groth16", "proof-leading-zero.json", proof_with(pi_c=["0" + g16_proof["pi_c"][0]] + g16_proof["pi_c"][1:]))
write("groth16", "proof-z-2.json", proof_with(pi_c=g16_proof["pi_c"][:2] + ["2"]))
write("groth16", "proof-identity-a.json", proof_with(pi_a=["0", "1", "0"]))
write("groth16", "proof-off-curve.json", proof_with(pi_a=["1", "3", "1"]))
write("groth16", "proof-b-outside-g2.json", proof_with(pi_b=[
    ["2", "1"],
    ["7292567877523311580221095596750716176434782432868683424513645834767876293070",
     "19659275751359636165940301690575149581329631496732780143538578556285923319774"],
    ["1", "0"]]))
write("groth16", "proof-unknown-member.json", proof_with(extra="x"))
write("groth16", "proof-protocol-plonk.json", proof_with(protocol="plonk"))
write("groth16", "public-equal-r.json", json.dumps([R, "1"]))
write("groth16", "public-number.json", "[1, 2]")
