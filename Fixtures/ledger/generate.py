#!/usr/bin/env python3
"""Regenerates the ledger fixtures from an independent Python reference written from RFC 9162
(MTH, PATH, PROOF/SUBPROOF) and c2sp.org/signed-note (Ed25519 via the `cryptography` package).

Usage: python3 Fixtures/ledger/generate.py   (from the repository root; deterministic output)
"""
import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))


def h(data):
    return hashlib.sha256(data).digest()


def leaf(d):
    return h(b"\x00" + d)


def node(l, r):
    return h(b"\x01" + l + r)


def k_of(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    n = len(d)
    if n == 0:
        return h(b"")
    if n == 1:
        return leaf(d[0])
    k = k_of(n)
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):  # RFC 9162 2.1.3.1
    n = len(d)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):  # RFC 9162 2.1.4.1
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def b64(x):
    return base64.b64encode(x).decode()


def flip(x, bit=0):
    b = bytearray(x)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(b)


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True) + "\n"


def write(rel, text):
    p = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def entries(n):
    return [("entry-%d" % i).encode() for i in range(n)]


def inclusion_probes():
    d = entries(1000)
    # Leaf 998 of 1000 sits on the right border, so changing the index or the size by one changes
    # the audit path's shape and every such mutation must fail (see specs/ledger.md §4.4).
    idx, size = 998, 1000
    doc = {"leafIdx": idx, "treeSize": size, "leafHash": b64(leaf(d[idx])), "root": b64(mth(d[:size])),
           "proof": [b64(p) for p in path(idx, d[:size])]}
    probes = []

    def add(name, desc, want, obj=None, raw=None):
        text = raw if raw is not None else dump(obj)
        write("probes/inclusion/%s.json" % name, text)
        probes.append({"file": name + ".json", "desc": desc, "want": want})

    def mut(**kw):
        o = dict(doc)
        o.update(kw)
        return o

    add("happy-path", "a valid proof of leaf 998 in a tree of 1000 entries", "valid", doc)
    mid = 723
    add("happy-path-middle", "a valid proof of leaf 723 in a tree of 1000 entries", "valid",
        mut(leafIdx=mid, leafHash=b64(leaf(d[mid])), proof=[b64(p) for p in path(mid, d[:size])]))
    add("treeSize-plus-1-same-shape",
        "ACCEPTED by design: leaf 723's audit path has the same shape in trees of 1000 and 1001 entries, so "
        "the proof alone cannot tell the sizes apart; only a signed checkpoint binds a root to a size",
        "valid", mut(leafIdx=mid, treeSize=size + 1, leafHash=b64(leaf(d[mid])),
                     proof=[b64(p) for p in path(mid, d[:size])]))
    add("unknown-key", "a valid proof with an extra unknown key (ignored)", "valid", mut(comment="hello"))
    add("leafIdx-plus-1", "leaf index + 1", "invalid", mut(leafIdx=idx + 1))
    add("leafIdx-minus-1", "leaf index - 1", "invalid", mut(leafIdx=idx - 1))
    add("leafIdx-equals-treeSize", "leaf index equal to the tree size", "invalid", mut(leafIdx=size))
    add("treeSize-plus-1", "tree size + 1", "invalid", mut(treeSize=size + 1))
    add("treeSize-minus-1", "tree size - 1", "invalid", mut(treeSize=size - 1))
    add("treeSize-zero", "tree size 0", "invalid", mut(treeSize=0))
    add("leafHash-flipped-bit", "leaf hash with its first bit flipped", "invalid",
        mut(leafHash=b64(flip(leaf(d[idx])))))
    add("root-flipped-bit", "root with its last bit flipped", "invalid", mut(root=b64(flip(mth(d[:size]), 255))))
    add("root-is-leafHash", "leaf hash and root swapped", "invalid",
        mut(leafHash=doc["root"], root=doc["leafHash"]))
    for i in range(len(doc["proof"])):
        p = list(doc["proof"])
        p[i] = b64(flip(base64.b64decode(p[i]), 7))
        add("proof-%d-flipped-bit" % i, "proof hash %d with bit 7 flipped" % i, "invalid", mut(proof=p))
    add("proof-extra-hash", "one hash too many (a copy of the root appended)", "invalid",
        mut(proof=doc["proof"] + [doc["root"]]))
    add("proof-missing-hash", "one hash too few (last hash dropped)", "invalid", mut(proof=doc["proof"][:-1]))
    add("proof-empty", "no proof hashes", "invalid", mut(proof=[]))
    add("proof-reordered", "first two proof hashes swapped", "invalid",
        mut(proof=[doc["proof"][1], doc["proof"][0]] + doc["proof"][2:]))
    add("trailing-garbage", "valid JSON followed by garbage", "malformed", raw=dump(doc) + "garbage\n")
    add("leading-garbage", "garbage before valid JSON", "malformed", raw="garbage" + dump(doc))
    add("two-objects", "two JSON objects", "malformed", raw=dump(doc) + dump(doc))
    add("hash-31-bytes", "a proof hash of 31 bytes", "malformed",
        mut(proof=[b64(base64.b64decode(doc["proof"][0])[:31])] + doc["proof"][1:]))
    add("hash-33-bytes", "a leaf hash of 33 bytes", "malformed", mut(leafHash=b64(leaf(d[idx]) + b"\x00")))
    add("hash-url-safe-base64", "root in URL-safe base64 without padding", "malformed",
        mut(root=base64.urlsafe_b64encode(b"\xfb" * 32).decode().rstrip("=")))
    add("hash-hex", "root in hex instead of base64", "malformed", mut(root=mth(d[:size]).hex()))
    add("leafIdx-negative", "negative leaf index", "malformed", mut(leafIdx=-1))
    add("leafIdx-string", "leaf index as a string", "malformed", mut(leafIdx=str(idx)))
    add("leafIdx-fraction", "leaf index with a fraction", "malformed", mut(leafIdx=723.5))
    add("leafIdx-integral-float", "leaf index written 998.0 (a JSON number that is not an integer)",
        "malformed", raw=dump(doc).replace('"leafIdx": 998', '"leafIdx": 998.0'))
    add("leafIdx-exponent", "leaf index written 9.98e2", "malformed",
        raw=dump(doc).replace('"leafIdx": 998', '"leafIdx": 9.98e2'))
    add("proof-null-single-leaf", "a tree of one entry: an empty proof written null, as Go encodes an "
        "empty slice", "valid", {"leafIdx": 0, "treeSize": 1, "leafHash": b64(leaf(d[0])), "root": b64(mth(d[:1])),
                                 "proof": None})
    add("proof-null", "proof null where hashes are needed", "invalid", mut(proof=None))
    o = dict(doc)
    del o["root"]
    add("missing-root", "no root", "malformed", o)
    add("not-json", "not JSON at all", "malformed", raw="leafIdx=723\n")
    add("empty-file", "an empty file", "malformed", raw="")
    write("probes/inclusion/MANIFEST.json", dump(probes))


def consistency_probes():
    d = entries(1000)
    # 993 -> 1000: changing either size by one changes the proof's shape, except size2 - 1
    # (kept as a documented "same shape" probe; see specs/ledger.md §4.4).
    m, n = 993, 1000
    doc = {"size1": m, "size2": n, "root1": b64(mth(d[:m])), "root2": b64(mth(d[:n])),
           "proof": [b64(p) for p in subproof(m, d[:n], True)]}
    probes = []

    def add(name, desc, want, obj=None, raw=None):
        text = raw if raw is not None else dump(obj)
        write("probes/consistency/%s.json" % name, text)
        probes.append({"file": name + ".json", "desc": desc, "want": want})

    def mut(**kw):
        o = dict(doc)
        o.update(kw)
        return o

    add("happy-path", "a valid proof from 993 to 1000 entries", "valid", doc)
    add("happy-path-300", "a valid proof from 300 to 1000 entries", "valid",
        {"size1": 300, "size2": n, "root1": b64(mth(d[:300])), "root2": doc["root2"],
         "proof": [b64(p) for p in subproof(300, d[:n], True)]})
    add("unknown-key", "a valid proof with an extra unknown key (ignored)", "valid", mut(note={"x": 1}))
    pw = {"size1": 256, "size2": 1000, "root1": b64(mth(d[:256])), "root2": b64(mth(d[:1000])),
          "proof": [b64(p) for p in subproof(256, d[:1000], True)]}
    add("happy-path-power-of-two", "a valid proof from 256 (a power of two) to 1000 entries", "valid", pw)
    add("same-size", "equal sizes, equal roots, empty proof", "valid",
        {"size1": n, "size2": n, "root1": doc["root2"], "root2": doc["root2"], "proof": []})
    add("from-empty", "from the empty tree, empty proof", "valid",
        {"size1": 0, "size2": n, "root1": b64(h(b"")), "root2": doc["root2"], "proof": []})
    add("size1-plus-1", "first size + 1", "invalid", mut(size1=m + 1))
    add("size1-minus-1", "first size - 1", "invalid", mut(size1=m - 1))
    add("size2-plus-1", "second size + 1", "invalid", mut(size2=n + 1))
    add("size2-minus-1-same-shape",
        "ACCEPTED by design: the proof from 993 has the same shape for second sizes 1000 and 999, so the "
        "proof alone cannot tell them apart; only a signed checkpoint binds a root to a size",
        "valid", mut(size2=n - 1))
    add("sizes-swapped", "first and second sizes swapped", "invalid", mut(size1=n, size2=m))
    add("roots-swapped", "first and second roots swapped", "invalid", mut(root1=doc["root2"], root2=doc["root1"]))
    add("root1-flipped-bit", "first root with a bit flipped", "invalid",
        mut(root1=b64(flip(base64.b64decode(doc["root1"]), 100))))
    add("root2-flipped-bit", "second root with a bit flipped", "invalid",
        mut(root2=b64(flip(base64.b64decode(doc["root2"]), 3))))
    for i in range(len(doc["proof"])):
        p = list(doc["proof"])
        p[i] = b64(flip(base64.b64decode(p[i]), 0))
        add("proof-%d-flipped-bit" % i, "proof hash %d with bit 0 flipped" % i, "invalid", mut(proof=p))
    add("proof-extra-hash", "one hash too many", "invalid", mut(proof=doc["proof"] + [doc["root1"]]))
    add("proof-missing-hash", "one hash too few", "invalid", mut(proof=doc["proof"][:-1]))
    add("proof-empty", "no proof hashes", "invalid", mut(proof=[]))
    add("same-size-nonempty-proof", "equal sizes with a non-empty proof", "invalid",
        {"size1": n, "size2": n, "root1": doc["root2"], "root2": doc["root2"], "proof": [doc["root1"]]})
    add("from-empty-wrong-root", "from the empty tree with a non-empty first root", "invalid",
        {"size1": 0, "size2": n, "root1": doc["root1"], "root2": doc["root2"], "proof": []})
    add("trailing-garbage", "valid JSON followed by garbage", "malformed", raw=dump(doc) + "}")
    add("leading-garbage", "garbage before valid JSON", "malformed", raw="\x00" + dump(doc))
    add("hash-33-bytes", "a proof hash of 33 bytes", "malformed",
        mut(proof=[b64(base64.b64decode(doc["proof"][0]) + b"\x01")] + doc["proof"][1:]))
    add("proof-not-array", "proof is a string", "malformed", mut(proof=doc["proof"][0]))
    add("same-size-proof-null", "equal sizes, empty proof written null (as Go encodes an empty slice)", "valid",
        {"size1": n, "size2": n, "root1": doc["root2"], "root2": doc["root2"], "proof": None})
    add("size1-integral-float", "first size written 993.0", "malformed",
        raw=dump(doc).replace('"size1": 993', '"size1": 993.0'))
    add("size2-exponent", "second size written 1e3", "malformed", raw=dump(doc).replace('"size2": 1000', '"size2": 1e3'))
    add("size2-too-large", "second size beyond 2^64-1", "malformed", mut(size2=2 ** 64))
    write("probes/consistency/MANIFEST.json", dump(probes))


def example_key():
    """The specs/ledger.md 5.1 example signer: seed, private key, log name, key id, vkey."""
    seed = h(b"mesh-validator ledger example key")
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = "example.mesh/ledger"
    kid = h(name.encode() + b"\x0a\x01" + pk)[:4]
    return seed, sk, name, kid, "%s+%s+%s" % (name, kid.hex(), b64(b"\x01" + pk))


def checkpoint_example():
    seed, sk, name, kid, vkey = example_key()
    skey = "PRIVATE+KEY+%s+%s+%s" % (name, kid.hex(), b64(b"\x01" + seed))
    rfc = json.load(open(os.path.join(HERE, "rfc6962.json")))
    d = [bytes.fromhex(x) for x in rfc["leaves_hex"]]
    root = mth(d)
    assert root.hex() == rfc["roots_by_size"]["8"]
    body = "%s\n%d\n%s\n" % (name, len(d), b64(root))
    sig = sk.sign(body.encode())
    note = body + "\n" + "\u2014 %s %s\n" % (name, b64(kid + sig))
    write("checkpoint-example.json", dump({
        "desc": "The eight RFC 6962 test leaves as a log with origin example.mesh/ledger, checkpoint signed "
                "with the Ed25519 key whose seed is SHA-256(\"mesh-validator ledger example key\")",
        "seedHex": seed.hex(), "signerKey": skey, "verifierKey": vkey, "keyIDHex": kid.hex(),
        "leavesHex": rfc["leaves_hex"], "body": body, "note": note}))


def tile_example():
    # A 70,000-entry tree as tlog-tiles describes it, with the tile paths and a few tile hashes.
    n = 70000
    d = entries(n)
    leaves = [leaf(x) for x in d]

    def level_hashes(level):
        span = 256 ** level
        return [mth_hashes(leaves[i * span:(i + 1) * span]) for i in range(n // span)]

    def mth_hashes(hs):
        if len(hs) == 1:
            return hs[0]
        k = k_of(len(hs))
        return node(mth_hashes(hs[:k]), mth_hashes(hs[k:]))

    def enc(idx):
        s = "%d" % idx
        groups = []
        while True:
            groups.insert(0, "%03d" % (idx % 1000))
            idx //= 1000
            if idx == 0:
                break
        return "/".join(["x" + g for g in groups[:-1]] + groups[-1:])

    tiles = []
    for level in range(3):
        hs = level_hashes(level)
        full, rest = divmod(len(hs), 256)
        for idx in sorted(set([0, full - 1, full]) if full else [0]):
            if idx < full:
                tiles.append({"path": "tile/%d/%s" % (level, enc(idx)),
                              "sha256": h(b"".join(hs[idx * 256:(idx + 1) * 256])).hex()})
        if rest:
            tiles.append({"path": "tile/%d/%s.p/%d" % (level, enc(full), rest),
                          "sha256": h(b"".join(hs[full * 256:])).hex()})
    bundle = b"".join(len(x).to_bytes(2, "big") + x for x in d[273 * 256:])
    tiles.append({"path": "tile/entries/%s.p/%d" % (enc(273), n % 256), "sha256": h(bundle).hex()})
    write("tiles-70000.json", dump({
        "desc": "Tiles of a log whose entry i is the ASCII text 'entry-<i>', at tree size 70000 "
                "(c2sp.org/tlog-tiles worked example sizes); sha256 is the digest of the tile bytes",
        "entryFormat": "entry-%d", "treeSize": n, "root": b64(mth_hashes(leaves)), "tiles": tiles,
        "indexEncodings": [{"index": i, "path": enc(i)} for i in [0, 5, 999, 1000, 1234067, 2 ** 64 - 1]]}))


def tagged(tag, msg):  # BIP-340 tagged hash
    t = h(tag.encode())
    return h(t + t + msg)


def u16(v):
    return v.to_bytes(2, "big")


def u32(v):
    return v.to_bytes(4, "big")


def u64(v):
    return v.to_bytes(8, "big")


def opt(v):
    return b"\x00" if v is None else b"\x01" + u64(v)


SCORES = ["inference", "seeding", "uptime", "redundancy", "validation"]


def account_bytes(key_hex, a):  # specs/karma.md 8.4 (version 2), one account: key 32 then the fields
    out = bytes.fromhex(key_hex) + u64(a["balance"]) + u64(a["escrow"]) + u64(a["bonded"])
    out += u32(len(a["unbonding"]))
    for amount, matures in a["unbonding"]:
        out += u64(amount) + u64(matures)
    out += opt(a["jailedUntilMs"]) + u64(a["nonce"])
    out += b"".join(u64(a["scores"][s]) for s in SCORES)
    out += opt(a["nextLivenessWindow"])
    seeding = a["seeding"]  # the downloader allowance {window, bytes} or None
    return out + (b"\x00" if seeding is None else b"\x01" + u64(seeding[0]) + u64(seeding[1]))


def balance_proof_example():
    # specs/ledger.md 10.5: three accounts (secret keys 1, 2, 3), the proof of the second, and the
    # 8-leaf checkpoint of 5.1 with the karma-state line, signed with the example key.
    _, sk, name, kid, vkey = example_key()
    zero = {s: 0 for s in SCORES}
    accounts = {
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798": {
            "balance": 0, "escrow": 50000, "bonded": 0, "unbonding": [], "jailedUntilMs": None, "nonce": 0,
            "scores": dict(zero, inference=50000), "nextLivenessWindow": None, "seeding": None},
        "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5": {
            "balance": 1200000, "escrow": 0, "bonded": 3000000, "unbonding": [[500000, 1800000604800000]],
            "jailedUntilMs": None, "nonce": 2,
            "scores": dict(zero, inference=200000, uptime=1000000), "nextLivenessWindow": 30000,
            "seeding": [3000000, 4194304]},
        "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9": {
            "balance": 7, "escrow": 0, "bonded": 0, "unbonding": [], "jailedUntilMs": 1800000900000,
            "nonce": 0, "scores": dict(zero, redundancy=7), "nextLivenessWindow": None, "seeding": None},
    }
    keys = sorted(accounts, key=bytes.fromhex)
    leaves = [account_bytes(k, accounts[k]) for k in keys]
    minted = sum(a["balance"] + a["escrow"] + a["bonded"] + sum(x for x, _ in a["unbonding"])
                 for a in accounts.values())
    last = 1800000000000
    # version 2, no parameters entry applied (optional parametersHash absent)
    state = u16(2) + u64(last) + u64(minted) + u64(0) + b"\x00" + u32(len(keys)) + b"".join(leaves)
    state += u32(0) + u32(0) + u32(0) + u32(0)  # no models, claims, offences, jobs
    state_hash = tagged("mesh/karma/state/v1", state)
    account_root = mth(leaves)
    line = "karma-state %d %s %s" % (len(keys), b64(account_root), b64(state_hash))
    rfc = json.load(open(os.path.join(HERE, "rfc6962.json")))
    d = [bytes.fromhex(x) for x in rfc["leaves_hex"]]
    body = "%s\n%d\n%s\n%s\n" % (name, len(d), b64(mth(d)), line)
    note = body + "\n" + "\u2014 %s %s\n" % (name, b64(kid + sk.sign(body.encode())))

    def js(a):
        return {"balance": str(a["balance"]), "escrow": str(a["escrow"]), "bonded": str(a["bonded"]),
                "unbonding": [{"amount": str(x), "maturesAtMs": str(m)} for x, m in a["unbonding"]],
                "jailedUntilMs": None if a["jailedUntilMs"] is None else str(a["jailedUntilMs"]),
                "nonce": str(a["nonce"]), "scores": {s: str(a["scores"][s]) for s in SCORES},
                "nextLivenessWindow": None if a["nextLivenessWindow"] is None else str(a["nextLivenessWindow"]),
                "seeding": None if a["seeding"] is None
                else {"window": str(a["seeding"][0]), "bytes": str(a["seeding"][1])}}

    i = 1
    document = {"version": 1, "node": keys[i], "account": js(accounts[keys[i]]), "leaf": leaves[i].hex(),
                "leafIndex": i, "treeSize": len(keys), "proof": [b64(x) for x in path(i, leaves)],
                "checkpoint": note}
    write("balance-proof-example.json", dump({
        "desc": "specs/ledger.md 10.5: a karma state of three accounts (x-only keys of secret scalars 1, 2, "
                "3), the balance proof of the second, and the 8-leaf checkpoint of 5.1 carrying the "
                "state's karma-state line, signed with the example key",
        "verifierKey": vkey,
        "state": {"version": 2, "lastTimestampMs": str(last), "minted": str(minted), "slashed": "0",
                  "parameters": None, "accounts": {k: js(a) for k, a in accounts.items()}, "models": {},
                  "claims": [], "offences": {},
                  "jobs": {}, "stateHash": state_hash.hex()},
        "leavesHex": [x.hex() for x in leaves], "accountRoot": b64(account_root),
        "stateHash": b64(state_hash), "extensionLine": line, "note": note, "document": document}))


if __name__ == "__main__":
    inclusion_probes()
    consistency_probes()
    checkpoint_example()
    tile_example()
    balance_proof_example()
