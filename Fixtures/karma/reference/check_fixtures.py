#!/usr/bin/env python3
"""Independent check of the karma fixtures against specs/karma.md (version 2), written from the spec alone.

For every case under Fixtures/karma it
  1. re-encodes every signed message in events.jsonl (heartbeats, seeding chunk receipts, staking
     requests; receipts in slash evidence per specs/receipt.md §3.2) from its JSON form using the
     tables of specs/karma.md §4.1, computes the tagged-hash digest and verifies the BIP-340
     signature with a from-the-spec secp256k1 implementation;
  2. for every seeding chunk attestation (§4.3, §4.5: {"receipt", "proof"}) verifies the RFC 9162
     §2.1.3.2 inclusion proof of leaf hash `chunkHash` at `chunkIndex` against `chunkRoot` in a tree
     of n = ceil(payloadBytes / chunkSize) leaves, the model taken from pre.json `models` or from an
     earlier `model` entry of the same events file, and checks `chunkBytes` against the chunk's
     length (§5.4 rule 3); the Merkle code is first self-tested on the RFC 6962 known answers quoted
     in specs/model-package.md §4;
  3. re-encodes every `parameters` entry and params/v2.json to the §3.1 canonical bytes (234 bytes),
     checks the §3 bounds and that v2.json holds the v2 column of the §3 table, and prints the
     parametersHash of v2.json;
  5. for every `auditDraw` entry (§5.8) verifies the ECVRF proof (specs/vrf.md, written from that
     spec) under the validator's even-y key over alpha = "mesh/audit-draw/v1" ‖ jobID ‖ (node ‖
     receiptDigest)..., recomputes the draw from beta and probabilityPPM, and checks the probability
     against the rules' minimum for the quorum in the state before the entry (pre.json plus the
     case's earlier events: 5% floor, 25% with a node under 1,000,000 µK of inference, 50% with a
     node that has an offence record) and that a job has one draw;
  4. re-encodes pre.json and post.json per §8.4 (version 2: optional parametersHash, escrow, the
     downloader `seeding` record, models) and checks the stated stateHash, and checks the supply
     invariant of §8.2 (with escrow) on both states.

Failure policy (mirrors §10: in an invalid_* case every event but the last applies). Anything that
does not check may appear only in the LAST event of an invalid_* case, and only when that case's
wantError is the code the spec gives for it:
  - a signature that does not verify: the case name contains "bad_signature" (such a case MUST hold
    one) -- wantError invalidSignature;
  - an inclusion proof that does not verify: wantError invalidEvidence (a *random_chunk_hash* case
    MUST hold one);
  - a proof that cannot be checked because the model is not registered: wantError unknownModel;
    because chunkIndex >= n, or chunkBytes differs from the chunk's length: wantError invalidField;
  - a `parameters` entry that is malformed or out of bounds: wantError invalidParameters;
  - an audit draw whose proof, probability or audited flag fails: wantError invalidAuditDraw; a
    second draw for a job: wantError duplicateClaim.

Usage: python3 Fixtures/karma/reference/check_fixtures.py [Fixtures/karma]
Exit status 0 when everything checks, 1 otherwise (one FAIL line per problem, naming the case).
Pure Python 3, no dependencies.
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


# --- ECVRF-SECP256K1-SHA256-TAI verification (specs/vrf.md §3, §6, §7) ----------------------------
VRF_SUITE = b"\xfe"


def point_bytes(pt):
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def point_from(b):
    if len(b) != 33 or b[0] not in (2, 3):
        return None
    pt = lift_x(int.from_bytes(b[1:], "big"))
    if pt is None:
        return None
    return pt if pt[1] % 2 == b[0] - 2 else (pt[0], P - pt[1])


def vrf_hash_to_curve(y, alpha):
    for ctr in range(256):
        h = hashlib.sha256(VRF_SUITE + b"\x01" + point_bytes(y) + alpha + bytes([ctr])).digest()
        pt = point_from(b"\x02" + h)
        if pt is not None:
            return pt
    return None


def vrf_verify(y, alpha, pi):
    """beta (32 bytes) or None."""
    if len(pi) != 81:
        return None
    gamma = point_from(pi[:33])
    c = int.from_bytes(pi[33:49], "big")
    s = int.from_bytes(pi[49:], "big")
    if gamma is None or c == 0 or not 1 <= s < N:
        return None
    h = vrf_hash_to_curve(y, alpha)
    if h is None:
        return None
    u = point_add(point_mul(G, s), point_mul(y, N - c))
    v = point_add(point_mul(h, s), point_mul(gamma, N - c))
    if u is None or v is None:
        return None
    c2 = hashlib.sha256(VRF_SUITE + b"\x02" + point_bytes(h) + point_bytes(gamma) + point_bytes(u)
                        + point_bytes(v)).digest()[:16]
    if int.from_bytes(c2, "big") != c:
        return None
    return hashlib.sha256(VRF_SUITE + b"\x03" + point_bytes(gamma)).digest()


def audit_minimum_ppm(nodes, accounts, offenders):
    """specs/karma.md §5.8: the largest rate that applies to any node of the quorum."""
    p = 50_000
    for n in nodes:
        if n in offenders:
            p = max(p, 500_000)
        if int(accounts.get(n, {}).get("scores", {}).get("inference", 0)) < 1_000_000:
            p = max(p, 250_000)
    return p


def audit_draw_outcome(entry, accounts, offenders, drawn_jobs):
    """(status, code): ("ok", None) or a failure with the rules' error code."""
    if entry["jobID"] in drawn_jobs:
        return "a second draw for the job", "duplicateClaim"
    nodes = [r["node"] for r in entry["receipts"]]
    if not 1 <= len(nodes) <= 16 or len(set(nodes)) != len(nodes):
        return "1 to 16 distinct nodes", "invalidAuditDraw"
    ppm = int(entry["probabilityPPM"])
    minimum = audit_minimum_ppm(nodes, accounts, offenders)
    if not minimum <= ppm <= 1_000_000:
        return f"probability {ppm} ppm is outside [{minimum}, 10^6]", "invalidAuditDraw"
    y = lift_x(int(entry["validator"], 16))
    alpha = b"mesh/audit-draw/v1" + hx(entry["jobID"])
    for r in entry["receipts"]:
        alpha += hx(r["node"]) + hx(r["receiptDigest"])
    beta = vrf_verify(y, alpha, hx(entry["proof"]))
    if beta is None:
        return "the VRF proof does not verify", "invalidAuditDraw"
    drawn = int.from_bytes(beta[:8], "big") < (ppm << 64) // 1_000_000
    if drawn != entry["audited"]:
        return f"the draw says audited = {drawn}, the entry {entry['audited']}", "invalidAuditDraw"
    return "ok", None


# --- canonical encoding (specs/receipt.md §3) -----------------------------------------------------
def u8(v): return int(v).to_bytes(1, "big")
def u16(v): return int(v).to_bytes(2, "big")
def u32(v): return int(v).to_bytes(4, "big")
def u64(v): return int(v).to_bytes(8, "big")
def hx(v): return bytes.fromhex(v)
def opt(v, enc): return b"\x00" if v is None else b"\x01" + enc(v)


def h32(v):
    """A 32-byte value: exactly 64 lowercase hex digits (§1)."""
    if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise ValueError(f"not 64 lowercase hex digits: {v!r}")
    return bytes.fromhex(v)


MESSAGES = {
    # name: (domain tag, signer field, [(field, encoder)])
    "heartbeat": ("mesh/karma/heartbeat/v1", "node",
                  [("version", u16), ("node", h32), ("timestampMs", u64), ("sequence", u64)]),
    "seeding": ("mesh/karma/seeding-chunk-receipt/v1", "downloader",
                [("version", u16), ("seeder", h32), ("downloader", h32), ("modelID", h32), ("chunkRoot", h32),
                 ("chunkIndex", u32), ("chunkBytes", u32), ("chunkHash", h32), ("servedAtMs", u64)]),
    "staking": ("mesh/karma/staking-request/v1", "node",
                [("version", u16), ("node", h32),
                 ("action", lambda a: u8({"bond": 1, "unbond": 2, "withdraw": 3, "unjail": 4}[a])),
                 ("amount", u64), ("nonce", u64)]),
}


def check_signed(kind, signed):
    if kind == "receipt":
        return check_receipt(signed)
    tag, signer, fields = MESSAGES[kind]
    assert set(signed) == {"message", "signature"}, f"signed {kind} keys {sorted(signed)}"
    m = signed["message"]
    assert set(m) == {f for f, _ in fields}, f"{kind} fields {sorted(m)}"
    data = b"".join(enc(m[f]) for f, enc in fields)
    return schnorr_verify(tagged_hash(tag, data), h32(m[signer]), hx(signed["signature"]))


def check_receipt(r):
    """A signed receipt inside slash evidence: specs/receipt.md §3.2 canonical bytes, tag mesh/receipt/v1."""
    data = (u16(r["version"]) + h32(r["jobId"]) + h32(r["modelId"]) + u32(r["layers"][0]) + u32(r["layers"][1])
            + h32(r["inputCommitment"]) + h32(r["outputCommitment"]) + h32(r["node"]) + u64(r["startedAtMs"])
            + u64(r["finishedAtMs"]) + u64(r["sequence"]) + opt(r["proofRef"], h32))
    return schnorr_verify(tagged_hash("mesh/receipt/v1", data), h32(r["node"]), hx(r["signature"]))


def attestations(entry):
    """Seeding chunk attestations (§4.5): [{"receipt": <signed chunk receipt>, "proof": [hex...]}]."""
    out = []
    for a in entry["receipts"]:
        assert isinstance(a, dict) and set(a) == {"receipt", "proof"}, f"attestation keys {sorted(a)}"
        assert isinstance(a["proof"], list) and len(a["proof"]) <= 64, "proof: a list of at most 64 hashes"
        out.append((a["receipt"], [h32(p) for p in a["proof"]]))
    return out


def signed_messages(entry):
    t = entry["type"]
    if t == "slash":
        o = entry["offence"]
        return [("receipt", o[k]) for k in ("first", "second", "receipt") if k in o]
    if t == "uptime":
        return [("heartbeat", h) for h in entry["heartbeats"]]
    if t == "seeding":
        return [("seeding", r) for r, _ in attestations(entry)]
    if t in ("bond", "unbond", "withdraw", "unjail"):
        return [("staking", entry["request"])]
    return []


# --- RFC 9162 Merkle tree (specs/model-package.md §4) and inclusion proofs (§2.1.3) ---------------
def hash_leaf(data): return hashlib.sha256(b"\x00" + data).digest()
def hash_children(l, r): return hashlib.sha256(b"\x01" + l + r).digest()


def largest_pow2_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """RFC 9162 §2.1.1 over leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = largest_pow2_below(len(leaves))
    return hash_children(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) over leaf hashes (used only by the self-test)."""
    if len(leaves) == 1:
        return []
    k = largest_pow2_below(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def verify_inclusion(leaf_hash, index, tree_size, proof, root):
    """RFC 9162 §2.1.3.2 verification of an inclusion proof."""
    if index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def merkle_self_test():
    """RFC 6962 test leaves and roots (specs/model-package.md §4 quotes 6e340b9c…afa01d,
    4e3bbb1f…6264d4, 5dc9da79…604328 for 1, 5 and 8 leaves)."""
    data = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
    leaves = [hash_leaf(bytes.fromhex(d)) for d in data]
    roots = {1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
             8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"}
    for n, want in roots.items():
        assert mth(leaves[:n]).hex() == want, f"RFC 6962 root of {n} leaves"
    for n in range(1, 9):
        root = mth(leaves[:n])
        for m in range(n):
            pr = path(m, leaves[:n])
            assert verify_inclusion(leaves[m], m, n, pr, root), f"proof of leaf {m} of {n}"
            assert not verify_inclusion(hash_leaf(b"x"), m, n, pr, root), f"forged leaf {m} of {n}"
            assert not verify_inclusion(leaves[m], m, n, pr + [root], root), f"long proof {m} of {n}"
            assert not verify_inclusion(leaves[m], n, n, pr, root)


# --- parameters (§3, §3.1) ----------------------------------------------------------------------
PARAMS_TABLE = [  # (field, v2 value), in the order of the §3 table
    ("inferenceRatePerMegaMAC", 1000), ("redundancyRatePerMegaMAC", 250), ("validationRatePerMegaMAC", 500),
    ("proofVerificationReward", 20000), ("seedingRatePerMiB", 2000), ("uptimeRewardPerWindow", 10000),
    ("heartbeatWindowMs", 600000), ("minHeartbeatsPerWindow", 3), ("maxHeartbeatsPerEntry", 64),
    ("maxSeedingReceiptsPerEntry", 256), ("maxChunkBytes", 16777216), ("maxReasonBytes", 256),
    ("downtimeMissedWindows", 36), ("downtimeSlashBps", 10), ("downtimeJailMs", 3600000),
    ("equivocationSlashBps", 500), ("equivocationJailMs", 604800000), ("wrongOutputSlashBps", 1000),
    ("wrongOutputJailMs", 86400000), ("invalidProofSlashBps", 1000), ("invalidProofJailMs", 86400000),
    ("correlationBpsPerPeer", 1000), ("correlationMaxBps", 5000), ("unbondingPeriodMs", 1209600000),
    ("minValidatorBond", 10000000000), ("maxUnbondingEntries", 7), ("minNodeBond", 100000000),
    ("uptimeGraceMs", 600000), ("seedingMaxBytesPerWindow", 268435456),
]
PARAM_FIELDS = [f for f, _ in PARAMS_TABLE]
assert len(PARAM_FIELDS) == 29


def params_bytes(p):
    """§3.1 canonical bytes of a parameters object; raises ValueError when §3 refuses it."""
    if not isinstance(p, dict) or set(p) != {"version", *PARAM_FIELDS}:
        raise ValueError("parameters keys are not exactly version + the 29 fields of §3")
    for k, v in p.items():
        if type(v) is not int or not 0 <= v <= 2**53 - 1:
            raise ValueError(f"parameters.{k} is not an integer JSON number in [0, 2^53 - 1]")
    if p["version"] != 2:
        raise ValueError("parameters.version is not 2")
    bad = [f for f in PARAM_FIELDS if f.endswith("Bps") and p[f] > 10000]
    bad += [f for f in ("heartbeatWindowMs", "downtimeMissedWindows", "minNodeBond", "uptimeGraceMs",
                        "seedingMaxBytesPerWindow") if p[f] < 1]
    bad += [f for f in ("maxHeartbeatsPerEntry", "maxSeedingReceiptsPerEntry", "maxUnbondingEntries",
                        "maxReasonBytes") if not 1 <= p[f] <= 4096]
    bad += [] if 1 <= p["minHeartbeatsPerWindow"] <= p["maxHeartbeatsPerEntry"] else ["minHeartbeatsPerWindow"]
    bad += [] if 1 <= p["maxChunkBytes"] <= 2**32 - 1 else ["maxChunkBytes"]
    if bad:
        raise ValueError(f"parameters out of the §3 bounds: {bad}")
    out = u16(p["version"]) + b"".join(u64(p[f]) for f in PARAM_FIELDS)
    assert len(out) == 2 + 29 * 8 == 234
    return out


def parameters_hash(p):
    return tagged_hash("mesh/karma/parameters/v2", params_bytes(p))


# --- state (§8) -----------------------------------------------------------------------------------
SCORES = ["inference", "seeding", "uptime", "redundancy", "validation"]
KINDS = {"equivocation": 1, "wrongOutput": 2, "invalidProof": 3, "downtime": 4, "correlation": 5}


def state_hash(s):
    """specs/karma.md §8.4, version 2. Omitted fields read as zero, empty, null (§8.5)."""
    g = lambda k, d="0": s.get(k, d)
    params = s.get("parameters")
    out = u16(2) + u64(g("lastTimestampMs")) + u64(g("minted")) + u64(g("slashed"))
    out += opt(params, parameters_hash)
    accounts = s.get("accounts", {})
    out += u32(len(accounts))
    for key in sorted(accounts, key=h32):
        a = accounts[key]
        ub = a.get("unbonding", [])
        out += h32(key) + u64(a.get("balance", "0")) + u64(a.get("escrow", "0")) + u64(a.get("bonded", "0"))
        out += u32(len(ub))
        for e in ub:
            out += u64(e["amount"]) + u64(e["maturesAtMs"])
        out += opt(a.get("jailedUntilMs"), u64) + u64(a.get("nonce", "0"))
        for c in SCORES:
            out += u64(a.get("scores", {}).get(c, "0"))
        out += opt(a.get("nextLivenessWindow"), u64)
        out += opt(a.get("seeding"), lambda r: u64(r["window"]) + u64(r["bytes"]))
    models = s.get("models", {})
    out += u32(len(models))
    for mid in sorted(models, key=h32):
        m = models[mid]
        out += h32(mid) + h32(m["chunkRoot"]) + u32(m["chunkSize"]) + u64(m["payloadBytes"])
    claims = sorted(s.get("claims", []), key=h32)
    out += u32(len(claims)) + b"".join(h32(c) for c in claims)
    offences = s.get("offences", {})
    out += u32(len(offences))
    for oid in sorted(offences, key=h32):
        o = offences[oid]
        out += h32(oid) + h32(o["node"]) + u8(KINDS[o["kind"]]) + opt(o.get("jobID"), h32)
    jobs = s.get("jobs", {})
    out += u32(len(jobs))
    for job in sorted(jobs, key=h32):
        members = jobs[job]
        out += h32(job) + u32(len(members))
        for node in sorted(members, key=h32):
            out += h32(node) + u64(members[node])
    return tagged_hash("mesh/karma/state/v1", out).hex()


def supply_ok(s):
    """§8.2: minted = Σ balance + Σ escrow + Σ bonded + Σ unbonding amounts + slashed."""
    total = int(s.get("slashed", "0"))
    for a in s.get("accounts", {}).values():
        total += int(a.get("balance", "0")) + int(a.get("escrow", "0")) + int(a.get("bonded", "0"))
        total += sum(int(e["amount"]) for e in a.get("unbonding", []))
    return total == int(s.get("minted", "0"))


def empty_account(a):
    """§8.1: an account equal to the empty account is not part of the state."""
    zero = lambda k: int(a.get(k, "0")) == 0
    return (all(zero(k) for k in ("balance", "escrow", "bonded", "nonce")) and not a.get("unbonding")
            and a.get("jailedUntilMs") is None and a.get("nextLivenessWindow") is None
            and a.get("seeding") is None and all(int(v) == 0 for v in a.get("scores", {}).values()))


# --- seeding proofs (§5.4 rules 2, 3, 5) ------------------------------------------------------------
def attestation_outcome(receipt, proof, models):
    """Returns (status, error code the spec gives when it does not check); status "ok" when it checks."""
    m = receipt["message"]
    model = models.get(m["modelID"])
    if model is None:
        return "model not registered", "unknownModel"
    chunk_size, payload = int(model["chunkSize"]), int(model["payloadBytes"])
    n = -(-payload // chunk_size)
    i = int(m["chunkIndex"])
    if i >= n:
        return f"chunkIndex {i} >= n = {n}", "invalidField"
    length = min(chunk_size, payload - i * chunk_size)
    if int(m["chunkBytes"]) != length:
        return f"chunkBytes {m['chunkBytes']} != chunk {i}'s length {length}", "invalidField"
    if not verify_inclusion(h32(m["chunkHash"]), i, n, proof, h32(m["chunkRoot"])):
        return f"inclusion proof of chunk {i} (n = {n}) does not lead to chunkRoot", "invalidEvidence"
    return "ok", None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "Fixtures/karma"
    merkle_self_test()
    failures, cases, signatures, proofs, param_entries, hashes, draws = 0, 0, 0, 0, 0, 0, 0

    # params/v2.json: §3.1 canonical bytes and hash; values are the v2 column of the §3 table.
    params_ok = True
    with open(os.path.join(root, "params", "v2.json")) as f:
        v2 = json.load(f)
    try:
        v2_bytes = params_bytes(v2)
        print(f"params/v2.json: {len(v2_bytes)} canonical bytes, "
              f"parametersHash {parameters_hash(v2).hex()}")
        wrong = [f for f, want in PARAMS_TABLE if v2[f] != want]
        if wrong:
            print(f"FAIL params/v2.json: values differ from the §3 table: {wrong}")
            params_ok = False
    except ValueError as e:
        print(f"FAIL params/v2.json: {e}")
        params_ok = False

    for dirpath, _, files in sorted(os.walk(root)):
        if "events.jsonl" not in files:
            continue
        cases += 1
        name = os.path.relpath(dirpath, root)
        problems = []
        with open(os.path.join(dirpath, "case.json")) as f:
            case = json.load(f)
        invalid = os.path.basename(name).startswith("invalid_")
        want_error = case.get("wantError") if invalid else None
        if invalid and not want_error:
            problems.append("invalid_* case without wantError")
        if case.get("params") != "v2":
            problems.append(f"case.json params {case.get('params')!r}, expected 'v2'")
        bad_sig_case = "bad_signature" in name
        random_hash_case = "random_chunk_hash" in name
        bad_sig_seen = bad_proof_seen = False

        states = {}
        for doc in ("pre.json", "post.json"):
            path_ = os.path.join(dirpath, doc)
            if os.path.exists(path_):
                with open(path_) as f:
                    states[doc] = json.load(f)
        models = dict(states.get("pre.json", {}).get("models", {}))
        pre = states.get("pre.json", {})
        accounts = pre.get("accounts", {})
        offenders = {o["node"] for o in pre.get("offences", {}).values()} if isinstance(
            pre.get("offences"), dict) else {o["node"] for o in pre.get("offences", [])}
        drawn_jobs = set()

        with open(os.path.join(dirpath, "events.jsonl")) as f:
            lines = [l for l in f.read().split("\n") if l.strip()]
        for idx, line in enumerate(lines):
            last = idx == len(lines) - 1
            where = f"event {idx + 1}"
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            # What may fail in this event (see the policy in the module docstring).
            may_fail = lambda code: invalid and last and want_error == code
            try:
                msgs = signed_messages(entry)
            except (KeyError, TypeError, ValueError, AssertionError) as e:
                if not (invalid and last):
                    problems.append(f"{where}: malformed {entry.get('type')} entry: {e}")
                continue
            for kind, signed in msgs:
                signatures += 1
                ok = check_signed(kind, signed)
                if not ok:
                    bad_sig_seen = True
                    if not (bad_sig_case and may_fail("invalidSignature")):
                        problems.append(f"{where}: {kind} signature does not verify")
            if entry.get("type") == "seeding":
                for receipt, proof in attestations(entry):
                    proofs += 1
                    status, code = attestation_outcome(receipt, proof, models)
                    if status == "ok":
                        continue
                    if code == "invalidEvidence":
                        bad_proof_seen = True
                    if not may_fail(code):
                        problems.append(f"{where}: seeding attestation: {status} (allowed only as the last "
                                        f"event of an invalid case with wantError {code})")
            elif entry.get("type") == "model":
                if not last or not invalid:
                    models[entry["modelID"]] = {k: entry[k] for k in ("chunkRoot", "chunkSize", "payloadBytes")}
            elif entry.get("type") == "auditDraw":
                draws += 1
                status, code = audit_draw_outcome(entry, accounts, offenders, drawn_jobs)
                if last and invalid and want_error in ("invalidAuditDraw", "duplicateClaim") and status == "ok":
                    problems.append(f"{where}: this case's last audit draw should fail with {want_error}, "
                                    "but it checks")
                if status != "ok" and not may_fail(code):
                    problems.append(f"{where}: audit draw: {status} (allowed only as the last event of an "
                                    f"invalid case with wantError {code})")
                drawn_jobs.add(entry["jobID"])
            elif entry.get("type") == "parameters":
                param_entries += 1
                try:
                    params_bytes(entry["parameters"])
                except (ValueError, KeyError) as e:
                    if not may_fail("invalidParameters"):
                        problems.append(f"{where}: parameters entry: {e}")
        if bad_sig_case and not bad_sig_seen:
            problems.append("a bad_signature case whose signatures all verify")
        if random_hash_case and not bad_proof_seen:
            problems.append("a random_chunk_hash case whose inclusion proofs all verify")

        if invalid and "post.json" in states:
            problems.append("invalid_* case with a post.json")
        if not invalid and "post.json" not in states:
            problems.append("valid case without post.json")
        for doc, s in states.items():
            if s.get("version", 2) != 2:
                problems.append(f"{doc} version {s.get('version')!r}, expected 2")
            try:
                if s.get("parameters") is not None:
                    params_bytes(s["parameters"])
                got = state_hash(s)
            except (ValueError, KeyError, TypeError) as e:
                problems.append(f"{doc} does not encode per §8.4: {e}")
                continue
            if "stateHash" in s:
                hashes += 1
                if got != s["stateHash"]:
                    problems.append(f"{doc} stateHash {s['stateHash']} != recomputed {got}")
            if not supply_ok(s):
                problems.append(f"{doc} breaks minted = balances + escrow + bonded + unbonding + slashed")
            empties = [k for k, a in s.get("accounts", {}).items() if empty_account(a)]
            if empties:
                problems.append(f"{doc} holds empty accounts {empties}")
        for p in problems:
            print(f"FAIL {name}: {p}")
        failures += 1 if problems else 0
    print(f"{cases} cases, {signatures} signatures verified, {proofs} chunk attestations proof-checked, "
          f"{param_entries} parameters entries encoded, {draws} audit draws checked, {hashes} state hashes "
          f"recomputed, {failures} failing")
    return 1 if failures or cases == 0 or not params_ok else 0


if __name__ == "__main__":
    sys.exit(main())
