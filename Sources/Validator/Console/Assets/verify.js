// In-browser verification for the Mesh Validator console (specs/console.md §3).
//
// Nothing here trusts the validator's JSON: a checkpoint is checked against the pinned verifier
// key with WebCrypto Ed25519; an entry's bytes are hashed with WebCrypto SHA-256 and led to the
// signed root through an RFC 9162 inclusion proof; a balance is re-encoded into its account-tree
// leaf and led to the checkpoint's karma-state root. Every check returns a verdict object
//   { status: "valid" | "invalid" | "unverifiable", reason: string, ... }
// and never throws for bad input (the server supplied it): malformed input is "invalid" with
// the reason. "unverifiable" means this browser or this moment cannot decide (no Ed25519 in
// WebCrypto, an entry newer than the latest checkpoint).

const te = new TextEncoder();

/** Standard padded base64 → bytes; null unless canonical (specs/ledger.md §1). */
export function b64decode(text) {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  let bin;
  try { bin = atob(text); } catch { return null; }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return b64encode(out) === text ? out : null;
}

export function b64encode(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Lowercase hex → bytes; null unless even-length lowercase hex. */
export function hexdecode(text) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

export function hexencode(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function equal(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// MARK: RFC 9162 hashing and inclusion proofs (specs/ledger.md §2, §4.2)

/** leaf hash = SHA-256(0x00 || entry) */
export function hashLeaf(entry) { return sha256(concat(new Uint8Array([0]), entry)); }

/** node hash = SHA-256(0x01 || left || right) */
export function hashChildren(left, right) { return sha256(concat(new Uint8Array([1]), left, right)); }

function bitLength(x) { let n = 0; while (x > 0n) { n++; x >>= 1n; } return n; }
function popCount(x) { let n = 0; while (x > 0n) { n += Number(x & 1n); x >>= 1n; } return n; }

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or throws with the reason when the
 * proof cannot be one for (index, size): index ≥ size, or a hash count other than
 * inner + border (specs/ledger.md §4.2). index and size are BigInt.
 */
export async function rootFromInclusionProof(index, size, leafHash, proof) {
  if (index >= size) throw new Error(`index ${index} is not below the tree size ${size}`);
  const inner = bitLength(index ^ (size - 1n));
  const border = popCount(index >> BigInt(inner));
  if (proof.length !== inner + border) {
    throw new Error(`the proof has ${proof.length} hashes; index ${index} in a tree of ${size} needs ${inner + border}`);
  }
  let fn = index, sn = size - 1n, r = leafHash;
  for (const p of proof) {
    if (sn === 0n) throw new Error("the proof is longer than the path");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await hashChildren(p, r);
      if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
    } else {
      r = await hashChildren(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("the proof is shorter than the path");
  return r;
}

// MARK: Signed notes and checkpoints (specs/ledger.md §5, c2sp.org/signed-note)

/**
 * Parses a verifier key `<name>+<key ID hex8>+base64(0x01 || Ed25519 public key)` and checks its
 * key ID = SHA-256(name || 0x0A || 0x01 || key)[:4]. Returns {name, keyID, publicKey} or throws.
 */
export async function parseVerifierKey(text) {
  const line = text.trim();
  // The name has no '+' or space; the key ID is 8 hex digits; base64 may itself hold '+'.
  const m = /^([^+\s]+)\+([^+]*)\+(.*)$/.exec(line);
  if (!m) throw new Error("a verifier key is <name>+<key ID>+<base64 key>");
  const [, name, idHex, keyB64] = m;
  const keyID = hexdecode(idHex);
  if (!keyID || keyID.length !== 4) throw new Error("the key ID is not 8 lowercase hex digits");
  const raw = b64decode(keyB64);
  if (!raw || raw.length !== 33 || raw[0] !== 1) throw new Error("the key is not base64 of 0x01 || 32 bytes (Ed25519)");
  const publicKey = raw.slice(1);
  const want = (await sha256(concat(te.encode(name), new Uint8Array([0x0a]), raw))).slice(0, 4);
  if (!equal(want, keyID)) throw new Error(`key ID ${idHex} does not match the key (want ${hexencode(want)})`);
  return { name, keyID, publicKey, text: line };
}

/**
 * Splits a signed note into its body (signed text, ending in a newline) and signature lines
 * `— <name> base64(keyID4 || sig64)`. Throws when the note is malformed.
 */
export function parseSignedNote(note) {
  if (typeof note !== "string" || note.length > (1 << 20)) throw new Error("the note is not text of at most 1 MiB");
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(note)) throw new Error("the note has control characters");
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new Error("the note has no blank line before its signatures");
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  const signatures = [];
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`a signature line is malformed: ${JSON.stringify(line.slice(0, 80))}`);
    const blob = b64decode(m[2]);
    if (!blob || blob.length < 5) throw new Error("a signature is not base64 of key ID || signature");
    signatures.push({ name: m[1], keyID: blob.slice(0, 4), signature: blob.slice(4) });
  }
  if (signatures.length === 0 || signatures.length > 100) throw new Error("the note has no signature (or over 100)");
  return { body, signatures };
}

/** Parses a tlog-checkpoint body: origin, size, root hash, extension lines. Throws if malformed. */
export function parseCheckpointBody(body) {
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3) throw new Error("a checkpoint has an origin, a size and a root hash line");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw new Error("the origin line is empty");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || BigInt(sizeText) >= 1n << 64n) throw new Error(`size ${JSON.stringify(sizeText)} is not a decimal u64`);
  const root = b64decode(rootText);
  if (!root || root.length !== 32) throw new Error("the root hash is not base64 of 32 bytes");
  if (extensions.some((l) => l === "")) throw new Error("an extension line is empty");
  return { origin, size: BigInt(sizeText), root, rootText, extensions };
}

async function ed25519Verify(publicKey, signature, message) {
  let key;
  try {
    key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    return { unsupported: true, reason: `this browser's WebCrypto has no Ed25519 (${e.name})` };
  }
  return { ok: await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message) };
}

/**
 * Verifies a checkpoint note against a parsed verifier key (specs/ledger.md §5 rules): a
 * signature by the key (name and key ID) must exist and every such signature must verify; the
 * origin must be the key name. Returns {status, reason, checkpoint?}.
 */
export async function verifyCheckpoint(note, key) {
  if (!key) return { status: "unverifiable", reason: "no usable verifier key" };
  let parsed, checkpoint;
  try {
    parsed = parseSignedNote(note);
    checkpoint = parseCheckpointBody(parsed.body);
  } catch (e) {
    return { status: "invalid", reason: `malformed checkpoint: ${e.message}` };
  }
  const mine = parsed.signatures.filter((s) => s.name === key.name && equal(s.keyID, key.keyID));
  if (mine.length === 0) return { status: "invalid", reason: `no signature by ${key.name}+${hexencode(key.keyID)}`, checkpoint };
  for (const s of mine) {
    if (s.signature.length !== 64) return { status: "invalid", reason: "the signature is not 64 bytes", checkpoint };
    const r = await ed25519Verify(key.publicKey, s.signature, te.encode(parsed.body));
    if (r.unsupported) return { status: "unverifiable", reason: r.reason, checkpoint };
    if (!r.ok) return { status: "invalid", reason: "the Ed25519 signature does not verify under the published key", checkpoint };
  }
  if (checkpoint.origin !== key.name) {
    return { status: "invalid", reason: `origin ${checkpoint.origin} is not the key name ${key.name}`, checkpoint };
  }
  return { status: "valid", reason: `Ed25519 signature by ${key.name}+${hexencode(key.keyID)} verified (WebCrypto)`, checkpoint };
}

// MARK: Entries

/**
 * Checks that ledger entry `index` with canonical bytes `data` is in the tree of a verified
 * checkpoint: leaf hash = SHA-256(0x00 || data), then the inclusion proof `proofDoc`
 * (specs/ledger.md §4.3 JSON, for this index and the checkpoint's size) must lead to the signed
 * root. `claimed` (optional) is what the server says the entry is ({type, timestampMs}); the
 * entry header (type u8, version u16, timestampMs u64, specs/karma.md §4.2) must agree.
 */
export async function verifyInclusion(index, data, proofDoc, checkpoint, claimed) {
  if (!checkpoint) return { status: "unverifiable", reason: "no verified checkpoint" };
  const i = BigInt(index);
  if (i >= checkpoint.size) {
    return { status: "unverifiable", reason: `entry ${index} is newer than the latest checkpoint (size ${checkpoint.size}); it will be covered by the next` };
  }
  if (claimed) {
    const why = checkEntryHeader(data, claimed);
    if (why) return { status: "invalid", reason: why };
  }
  try {
    if (BigInt(proofDoc.leafIdx) !== i || BigInt(proofDoc.treeSize) !== checkpoint.size) {
      return { status: "invalid", reason: `the proof is for entry ${proofDoc.leafIdx} of ${proofDoc.treeSize}, not ${index} of ${checkpoint.size}` };
    }
    const proof = (proofDoc.proof || []).map((h) => {
      const b = b64decode(h);
      if (!b || b.length !== 32) throw new Error("a proof hash is not base64 of 32 bytes");
      return b;
    });
    const leaf = await hashLeaf(data);
    const root = await rootFromInclusionProof(i, checkpoint.size, leaf, proof);
    if (!equal(root, checkpoint.root)) {
      return { status: "invalid", reason: "the entry's bytes and the proof lead to a root other than the signed one" };
    }
    return { status: "valid", reason: `SHA-256 leaf of the entry's ${data.length} bytes + ${proof.length} proof hashes = signed root of size ${checkpoint.size}` };
  } catch (e) {
    return { status: "invalid", reason: e.message };
  }
}

const entryTypes = ["", "inference", "redundancy", "validation", "seeding", "uptime", "bond", "unbond",
  "withdraw", "slash", "jail", "unjail", "genesis", "model", "parameters", "auditDraw"];

/** Why the entry bytes' header disagrees with what the server claims, or null. */
export function checkEntryHeader(data, claimed) {
  if (data.length < 11) return "the entry is shorter than its header";
  const type = entryTypes[data[0]];
  const version = (data[1] << 8) | data[2];
  let t = 0n;
  for (let k = 3; k < 11; k++) t = (t << 8n) | BigInt(data[k]);
  if (!type) return `entry type ${data[0]} is unknown`;
  if (version !== 2) return `entry version ${version} is not 2`;
  if (claimed.type !== undefined && claimed.type.split("/")[0] !== type) return `the bytes are a ${type} entry, the server says ${claimed.type}`;
  if (claimed.timestampMs !== undefined && BigInt(claimed.timestampMs) !== t) return `the bytes say time ${t}, the server says ${claimed.timestampMs}`;
  if (claimed.node && data.length >= 43 && ["inference", "redundancy", "validation", "uptime", "slash", "jail"].includes(type)) {
    if (hexencode(data.slice(11, 43)) !== claimed.node) return "the bytes name another node than the server says";
  }
  return null;
}

// MARK: Balance proofs (specs/ledger.md §10)

function u64(text) {
  if (typeof text !== "string" || !/^(0|[1-9][0-9]*)$/.test(text) || BigInt(text) >= 1n << 64n) throw new Error(`${JSON.stringify(text)} is not a u64 decimal string`);
  const out = new Uint8Array(8);
  let v = BigInt(text);
  for (let k = 7; k >= 0; k--) { out[k] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function u32(n) { return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]); }

/** The specs/ledger.md §10.1 leaf data of `node` (hex) with `account` (specs/karma.md §8.5 JSON). */
export function accountLeaf(node, account) {
  const key = hexdecode(node);
  if (!key || key.length !== 32) throw new Error("node is not 32 bytes of hex");
  const s = account.scores || {};
  const unbonding = account.unbonding || [];
  const parts = [key, u64(account.balance), u64(account.escrow), u64(account.bonded), u32(unbonding.length)];
  for (const u of unbonding) parts.push(u64(u.amount), u64(u.maturesAtMs));
  parts.push(account.jailedUntilMs == null ? new Uint8Array([0]) : concat(new Uint8Array([1]), u64(account.jailedUntilMs)));
  parts.push(u64(account.nonce));
  for (const k of ["inference", "seeding", "uptime", "redundancy", "validation"]) parts.push(u64(s[k]));
  parts.push(account.nextLivenessWindow == null ? new Uint8Array([0]) : concat(new Uint8Array([1]), u64(account.nextLivenessWindow)));
  parts.push(account.seeding == null ? new Uint8Array([0]) : concat(new Uint8Array([1]), u64(account.seeding.window), u64(account.seeding.bytes)));
  return concat(...parts);
}

/** The `karma-state <count> <root> <state hash>` line of a checkpoint (§10.2), or throws. */
export function karmaStateLine(checkpoint) {
  const lines = checkpoint.extensions.filter((l) => l.startsWith("karma-state "));
  if (lines.length === 0) throw new Error("the checkpoint carries no karma-state line");
  if (lines.length > 1) throw new Error("the checkpoint carries two karma-state lines");
  const m = /^karma-state (0|[1-9][0-9]*) ([A-Za-z0-9+/]{43}=) ([A-Za-z0-9+/]{43}=)$/.exec(lines[0]);
  const root = m && b64decode(m[2]);
  const stateHash = m && b64decode(m[3]);
  if (!m || !root || !stateHash || root.length !== 32 || stateHash.length !== 32) throw new Error("the karma-state line breaks its grammar");
  return { count: BigInt(m[1]), root, stateHash: m[3] };
}

/**
 * Verifies a balance proof document (GET /v1/nodes/{pubkey}/proof) against the key, in the
 * order of specs/ledger.md §10.4. Returns {status, reason, checkpoint?}.
 */
export async function verifyBalanceProof(doc, key) {
  if (!key) return { status: "unverifiable", reason: "no usable verifier key" };
  if (!doc || doc.version !== 1 || typeof doc.checkpoint !== "string") return { status: "invalid", reason: "not a version-1 balance proof document" };
  const c = await verifyCheckpoint(doc.checkpoint, key);
  if (c.status !== "valid") return { status: c.status, reason: `its checkpoint: ${c.reason}` };
  try {
    const line = karmaStateLine(c.checkpoint);
    const treeSize = BigInt(doc.treeSize), leafIndex = BigInt(doc.leafIndex);
    if (treeSize !== line.count) return { status: "invalid", reason: `treeSize ${treeSize} is not the line's account count ${line.count}` };
    const leaf = hexdecode(doc.leaf);
    const want = accountLeaf(doc.node, doc.account);
    if (!equal(leaf, want)) return { status: "invalid", reason: "the leaf is not the account's encoding (specs/ledger.md §10.1)" };
    const proof = doc.proof.map((h) => {
      const b = b64decode(h);
      if (!b || b.length !== 32) throw new Error("a proof hash is not base64 of 32 bytes");
      return b;
    });
    const root = await rootFromInclusionProof(leafIndex, treeSize, await hashLeaf(leaf), proof);
    if (!equal(root, line.root)) return { status: "invalid", reason: "the account's leaf and proof lead to another account root than the signed karma-state line" };
    return { status: "valid", reason: `account leaf ${leafIndex} of ${treeSize} proven against the karma-state of the signed checkpoint of size ${c.checkpoint.size}`, checkpoint: c.checkpoint };
  } catch (e) {
    return { status: "invalid", reason: e.message };
  }
}
