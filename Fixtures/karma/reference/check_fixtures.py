#!/usr/bin/env python3
"""Independent check of the karma fixtures against specs/karma.md, written from the spec alone.

For every case under Fixtures/karma it
  1. re-encodes every signed message in events.jsonl (heartbeats, seeding chunk receipts, staking
     requests; receipts in slash evidence per specs/receipt.md §3.2) from its JSON form using the
     tables of specs/karma.md §4.1, computes the tagged-hash digest and verifies the BIP-340
     signature with a from-the-spec secp256k1 implementation (only *bad_signature* cases may, and
     must, hold a signature that does not verify);
  2. re-encodes pre.json and post.json per §8.4 and checks the stated stateHash;
  3. checks the supply invariant of §8.2 on both states.

Usage: python3 Fixtures/karma/reference/check_fixtures.py [Fixtures/karma]
Exit status 0 when everything checks, 1 otherwise. Pure Python 3, no dependencies.
"""
import hashlib
import json
import os
import sys

# --- secp256k1 and BIP-340 verification (BIP-340 §Verification) -------------------------------
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def point_mul(pt, k):
    r = None
    while k:
        if k & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
        k >>= 1
    return r


def lift_x(x):
    if x >= P:
        return None
    y2 = (pow(x, 3, P) + 7) % P
    y = pow(y2, (P + 1) // 4, P)
    if y * y % P != y2:
        return None
    return (x, y if y % 2 == 0 else P - y)


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def schnorr_verify(msg, pubkey, sig):
    pt = lift_x(int.from_bytes(pubkey, "big"))
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if pt is None or r >= P or s >= N:
        return False
    e = int.from_bytes(tagged_hash("BIP0340/challenge", sig[:32] + pubkey + msg), "big") % N
    R = point_add(point_mul(G, s), point_mul(pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r


# --- canonical encoding (specs/receipt.md §3) -----------------------------------------------------
def u8(v): return int(v).to_bytes(1, "big")
def u16(v): return int(v).to_bytes(2, "big")
def u32(v): return int(v).to_bytes(4, "big")
def u64(v): return int(v).to_bytes(8, "big")
def hx(v): return bytes.fromhex(v)
def opt(v, enc): return b"\x00" if v is None else b"\x01" + enc(v)


MESSAGES = {
    # name: (domain tag, signer field, [(field, encoder)])
    "heartbeat": ("mesh/karma/heartbeat/v1", "node",
                  [("version", u16), ("node", hx), ("timestampMs", u64), ("sequence", u64)]),
    "seeding": ("mesh/karma/seeding-chunk-receipt/v1", "downloader",
                [("version", u16), ("seeder", hx), ("downloader", hx), ("modelID", hx), ("chunkRoot", hx),
                 ("chunkIndex", u32), ("chunkBytes", u32), ("chunkHash", hx), ("servedAtMs", u64)]),
    "staking": ("mesh/karma/staking-request/v1", "node",
                [("version", u16), ("node", hx),
                 ("action", lambda a: u8({"bond": 1, "unbond": 2, "withdraw": 3, "unjail": 4}[a])),
                 ("amount", u64), ("nonce", u64)]),
}


def check_signed(kind, signed):
    if kind == "receipt":
        return check_receipt(signed)
    tag, signer, fields = MESSAGES[kind]
    m = signed["message"]
    assert set(m) == {f for f, _ in fields}, f"{kind} fields {sorted(m)}"
    data = b"".join(enc(m[f]) for f, enc in fields)
    return schnorr_verify(tagged_hash(tag, data), hx(m[signer]), hx(signed["signature"]))


def check_receipt(r):
    """A signed receipt inside slash evidence: specs/receipt.md §3.2 canonical bytes, tag mesh/receipt/v1."""
    data = (u16(r["version"]) + hx(r["jobId"]) + hx(r["modelId"]) + u32(r["layers"][0]) + u32(r["layers"][1])
            + hx(r["inputCommitment"]) + hx(r["outputCommitment"]) + hx(r["node"]) + u64(r["startedAtMs"])
            + u64(r["finishedAtMs"]) + u64(r["sequence"]) + opt(r["proofRef"], hx))
    return schnorr_verify(tagged_hash("mesh/receipt/v1", data), hx(r["node"]), hx(r["signature"]))


def signed_messages(entry):
    t = entry["type"]
    if t == "slash":
        o = entry["offence"]
        return [("receipt", o[k]) for k in ("first", "second", "receipt") if k in o]
    if t == "uptime":
        return [("heartbeat", h) for h in entry["heartbeats"]]
    if t == "seeding":
        return [("seeding", r) for r in entry["receipts"]]
    if t in ("bond", "unbond", "withdraw", "unjail"):
        return [("staking", entry["request"])]
    return []


SCORES = ["inference", "seeding", "uptime", "redundancy", "validation"]
KINDS = {"equivocation": 1, "wrongOutput": 2, "invalidProof": 3, "downtime": 4, "correlation": 5}


def state_hash(s):
    """specs/karma.md §8.4."""
    g = lambda k, d="0": s.get(k, d)
    out = u16(1) + u64(g("lastTimestampMs")) + u64(g("minted")) + u64(g("slashed"))
    accounts = s.get("accounts", {})
    out += u32(len(accounts))
    for key in sorted(accounts):
        a = accounts[key]
        ub = a.get("unbonding", [])
        out += hx(key) + u64(a.get("balance", "0")) + u64(a.get("bonded", "0")) + u32(len(ub))
        for e in ub:
            out += u64(e["amount"]) + u64(e["maturesAtMs"])
        out += opt(a.get("jailedUntilMs"), u64) + u64(a.get("nonce", "0"))
        for c in SCORES:
            out += u64(a.get("scores", {}).get(c, "0"))
        out += opt(a.get("nextLivenessWindow"), u64)
    claims = sorted(s.get("claims", []))
    out += u32(len(claims)) + b"".join(hx(c) for c in claims)
    offences = s.get("offences", {})
    out += u32(len(offences))
    for oid in sorted(offences):
        o = offences[oid]
        out += hx(oid) + hx(o["node"]) + u8(KINDS[o["kind"]]) + opt(o.get("jobID"), hx)
    jobs = s.get("jobs", {})
    out += u32(len(jobs))
    for job in sorted(jobs):
        members = jobs[job]
        out += hx(job) + u32(len(members))
        for node in sorted(members):
            out += hx(node) + u64(members[node])
    return tagged_hash("mesh/karma/state/v1", out).hex()


def supply_ok(s):
    total = int(s.get("slashed", "0"))
    for a in s.get("accounts", {}).values():
        total += int(a.get("balance", "0")) + int(a.get("bonded", "0"))
        total += sum(int(e["amount"]) for e in a.get("unbonding", []))
    return total == int(s.get("minted", "0"))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "Fixtures/karma"
    failures, cases, signatures, hashes = 0, 0, 0, 0
    for dirpath, _, files in sorted(os.walk(root)):
        if "events.jsonl" not in files:
            continue
        cases += 1
        name = os.path.relpath(dirpath, root)
        want_valid_sigs = "bad_signature" not in name
        ok_all = True
        bad_seen = False
        with open(os.path.join(dirpath, "events.jsonl")) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                for kind, signed in signed_messages(entry):
                    signatures += 1
                    ok = check_signed(kind, signed)
                    bad_seen = bad_seen or not ok
                    # Only the bad-signature cases may hold a signature that does not verify.
                    if not ok and want_valid_sigs:
                        print(f"FAIL {name}: {kind} signature does not verify")
                        ok_all = False
        if not want_valid_sigs and not bad_seen:
            print(f"FAIL {name}: a bad_signature case whose signatures all verify")
            ok_all = False
        for doc in ("pre.json", "post.json"):
            path = os.path.join(dirpath, doc)
            if not os.path.exists(path):
                continue
            with open(path) as f:
                s = json.load(f)
            if "stateHash" in s:
                hashes += 1
                if state_hash(s) != s["stateHash"]:
                    print(f"FAIL {name}: {doc} stateHash {s['stateHash']} != recomputed {state_hash(s)}")
                    ok_all = False
            if not supply_ok(s):
                print(f"FAIL {name}: {doc} breaks minted = balances + bonded + unbonding + slashed")
                ok_all = False
        failures += 0 if ok_all else 1
    print(f"{cases} cases, {signatures} signatures verified, {hashes} state hashes recomputed, {failures} failing")
    return 1 if failures or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
