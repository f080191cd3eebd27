import CSecp256k1
import Crypto
import Foundation

// ECVRF-SECP256K1-SHA256-TAI (specs/vrf.md): a verifiable random function on secp256k1, byte for byte
// the suite of vechain/go-ecvrf (draft-irtf-cfrg-vrf-06 steps, suite_string 0xFE).
//
// All curve and scalar arithmetic goes through libsecp256k1's public API (parse, serialize,
// pubkey_create, pubkey_tweak_mul, pubkey_negate, pubkey_combine, seckey_verify, seckey_tweak_add,
// seckey_tweak_mul, seckey_negate); this file only hashes and moves bytes.

/// An ECVRF proof `pi`: `Gamma` (33-byte compressed point) ‖ `c` (16 bytes) ‖ `s` (32 bytes), big-endian.
///
/// Construction checks only the length; whether `Gamma` is a point, `c` is non-zero and `s` is in
/// `[1, n)` is checked by verification, which answers nil for any such defect (specs/vrf.md §6).
public struct VRFProof: Sendable, Hashable, CustomStringConvertible {
    /// Size of a proof in bytes: 33 + 16 + 32.
    public static let byteCount = 81

    /// The 81 bytes.
    public let rawRepresentation: Data

    /// Wraps 81 bytes.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)`` for any other length.
    public init(rawRepresentation bytes: some DataProtocol, field: String = "vrf proof") throws(ReceiptError)
    {
        guard bytes.count == Self.byteCount else {
            throw .wrongLength(field, got: bytes.count, want: Self.byteCount)
        }
        rawRepresentation = Data(bytes)
    }

    /// Parses 162 lowercase hex characters.
    /// - Throws: ``ReceiptError/invalidField(_:reason:)`` for non-hex text, else as ``init(rawRepresentation:field:)``.
    public init(hex: String, field: String = "vrf proof") throws(ReceiptError) {
        guard let data = Hex.decode(hex) else { throw .invalidField(field, reason: "not lowercase hex") }
        try self.init(rawRepresentation: data, field: field)
    }

    public var hex: String { Hex.encode(rawRepresentation) }
    public var description: String { hex }

    /// `point_to_string(Gamma)`: bytes `[0, 33)`.
    var gamma33: [UInt8] { [UInt8](rawRepresentation.prefix(33)) }
    /// `c`: bytes `[33, 49)`.
    var c16: [UInt8] { [UInt8](rawRepresentation.dropFirst(33).prefix(16)) }
    /// `s`: bytes `[49, 81)`.
    var s32: [UInt8] { [UInt8](rawRepresentation.dropFirst(49)) }
}

/// An ECVRF public key `Y`: any secp256k1 point, kept in its 33-byte compressed form.
///
/// The compressed bytes are hashed into `H` (specs/vrf.md §3), so a key with odd y is a different VRF
/// key from its even-y twin even though both have the same x. A validator's key is always the even-y
/// point of its BIP-340 key (``XOnlyPublicKey/vrfPublicKey``).
public struct VRFPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// `point_to_string(Y)`: `02` or `03` followed by the 32-byte x coordinate.
    public let compressedRepresentation: Data
    let point: Point

    /// Parses a 33-byte compressed point.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)``, or ``ReceiptError/invalidCompressedPoint(_:)``
    ///   when the prefix is not 02/03, x is not below the field size, or x is not on the curve.
    public init(compressedRepresentation bytes: some DataProtocol, field: String = "vrf public key")
        throws(ReceiptError)
    {
        guard bytes.count == 33 else { throw .wrongLength(field, got: bytes.count, want: 33) }
        guard let p = Point(compressed33: [UInt8](bytes)) else { throw .invalidCompressedPoint(field) }
        compressedRepresentation = Data(bytes)
        point = p
    }

    /// The even-y point `02 ‖ x` of a BIP-340 key (specs/vrf.md §2).
    /// - Throws: ``ReceiptError/libraryFailure(_:)`` only if libsecp256k1 refuses an x it accepted as x-only.
    public init(_ key: XOnlyPublicKey) throws(ReceiptError) {
        let bytes = [0x02] + [UInt8](key.rawRepresentation)
        guard let p = Point(compressed33: bytes) else {
            throw .libraryFailure("parsing 02 || x of an x-only key")
        }
        compressedRepresentation = Data(bytes)
        point = p
    }

    /// Parses 66 lowercase hex characters.
    public init(hex: String, field: String = "vrf public key") throws(ReceiptError) {
        guard let data = Hex.decode(hex) else { throw .invalidField(field, reason: "not lowercase hex") }
        try self.init(compressedRepresentation: data, field: field)
    }

    public var hex: String { Hex.encode(compressedRepresentation) }
    public var description: String { hex }

    public static func == (a: VRFPublicKey, b: VRFPublicKey) -> Bool {
        a.compressedRepresentation == b.compressedRepresentation
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(compressedRepresentation) }

    /// `ECVRF_verify(Y, pi, alpha)` then `ECVRF_proof_to_hash(pi)` (specs/vrf.md §6–7).
    ///
    /// Total on every proof: a `Gamma` that is not a compressed curve point, `c = 0`, `s = 0`, `s ≥ n`,
    /// an intermediate point at infinity or a challenge mismatch all return nil; nothing traps.
    /// - Parameter alpha: the VRF input, any length.
    /// - Returns: `beta`, the 32-byte VRF output, when the proof is valid for this key and input; else nil.
    public func verify(_ alpha: some DataProtocol, proof: VRFProof) -> Digest32? {
        ECVRF.verify(y: self, alpha: [UInt8](alpha), proof: proof)
    }
}

/// An ECVRF secret scalar `x` with its public key `Y = x·G`.
///
/// The secret is kept in memory as given, like ``SchnorrSigningKey``.
public struct VRFSecretKey: Sendable {
    /// The 32-byte big-endian secret scalar `x`, in `[1, n)`.
    public let rawRepresentation: Data
    /// `Y = x·G`, compressed as it falls (prefix 02 or 03).
    public let publicKey: VRFPublicKey

    /// Uses a 32-byte secret scalar as it is (no parity normalization): the general ECVRF key.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)``, ``ReceiptError/invalidSecretKey`` for zero or
    ///   a value not below the group order.
    public init(rawRepresentation secret: some DataProtocol) throws(ReceiptError) {
        guard secret.count == 32 else { throw .wrongLength("secret key", got: secret.count, want: 32) }
        let x = [UInt8](secret)
        guard let y = Point.base(x) else { throw .invalidSecretKey }
        guard let compressed = y.compressed else { throw .libraryFailure("secp256k1_ec_pubkey_serialize") }
        rawRepresentation = Data(x)
        publicKey = VRFPublicKey(compressed: compressed, point: y)
    }

    /// The VRF key of a BIP-340 key: its secret negated when needed so that `x·G` has even y, i.e.
    /// `publicKey` is `02 ‖ key.publicKey` (specs/vrf.md §2).
    /// - Throws: ``ReceiptError/libraryFailure(_:)`` only if libsecp256k1 refuses a valid key.
    public init(_ key: SchnorrSigningKey) throws(ReceiptError) {
        var x = [UInt8](key.rawRepresentation)
        guard let y = Point.base(x), let compressed = y.compressed else {
            throw .libraryFailure("secp256k1_ec_pubkey_create")
        }
        if compressed[0] == 0x03 {
            guard secp256k1_ec_seckey_negate(Secp256k1Context.shared.raw, &x) == 1 else {
                throw .libraryFailure("secp256k1_ec_seckey_negate")
            }
        }
        try self.init(rawRepresentation: x)
        guard publicKey.compressedRepresentation == Data([0x02]) + key.publicKey.rawRepresentation else {
            throw .libraryFailure("even-y normalization of a BIP-340 key")
        }
    }

    /// `ECVRF_prove(x, alpha)` and `ECVRF_proof_to_hash` (specs/vrf.md §5, §7). Deterministic: the same key
    /// and input always give the same proof and output.
    /// - Parameter alpha: the VRF input, any length.
    /// - Returns: the 81-byte proof and `beta`, the 32-byte output any holder of `publicKey` can check.
    /// - Throws: ``ReceiptError/vrfProvingFailed(_:)`` for events of probability about 2^-128 or less (no
    ///   curve point in 256 hash-to-curve tries, `c = 0`, `s = 0`); ``ReceiptError/libraryFailure(_:)``.
    public func prove(_ alpha: some DataProtocol) throws(ReceiptError) -> (proof: VRFProof, output: Digest32)
    {
        try ECVRF.prove(x: [UInt8](rawRepresentation), y: publicKey, alpha: [UInt8](alpha))
    }
}

extension VRFPublicKey {
    fileprivate init(compressed: [UInt8], point: Point) {
        compressedRepresentation = Data(compressed)
        self.point = point
    }
}

extension SchnorrSigningKey {
    /// This key as a VRF key: `Y = 02 ‖ publicKey` (specs/vrf.md §2).
    public var vrfSecretKey: VRFSecretKey {
        get throws(ReceiptError) { try VRFSecretKey(self) }
    }

    /// A VRF proof and output for `alpha` under this key's even-y VRF key (specs/vrf.md §2, §5).
    /// Deterministic; verify with ``XOnlyPublicKey/vrfVerify(_:proof:)`` on `publicKey`.
    /// - Throws: as ``VRFSecretKey/prove(_:)``.
    public func vrfProve(_ alpha: some DataProtocol) throws(ReceiptError) -> (
        proof: VRFProof, output: Digest32
    ) {
        try VRFSecretKey(self).prove(alpha)
    }
}

extension XOnlyPublicKey {
    /// The VRF public key `02 ‖ x` (specs/vrf.md §2).
    /// - Throws: ``ReceiptError/libraryFailure(_:)`` only if libsecp256k1 refuses an x it accepted before.
    public var vrfPublicKey: VRFPublicKey {
        get throws(ReceiptError) { try VRFPublicKey(self) }
    }

    /// Verifies a VRF proof made by ``SchnorrSigningKey/vrfProve(_:)`` of the matching key.
    /// - Returns: the 32-byte output `beta` when valid, nil for any invalid proof (never traps).
    public func vrfVerify(_ alpha: some DataProtocol, proof: VRFProof) -> Digest32? {
        if let preverified = VerifiedSignatures.current,
            let beta = preverified.vrfOutput(.init(key: self, alpha: Data(alpha), proof: proof))
        {
            return beta
        }
        return vrfVerifyInFull(alpha, proof: proof)
    }

    /// ``vrfVerify(_:proof:)`` without consulting a preverified set.
    func vrfVerifyInFull(_ alpha: some DataProtocol, proof: VRFProof) -> Digest32? {
        // Lifting a parsed x-only key to its even-y point cannot fail; were it to, "does not
        // verify" is the safe answer (an audit draw is then refused, never accepted).
        guard let y = try? VRFPublicKey(self) else { return nil }
        return y.verify(alpha, proof: proof)
    }
}

// MARK: - The suite (specs/vrf.md §3–7)

/// The steps of ECVRF-SECP256K1-SHA256-TAI, named as in draft-irtf-cfrg-vrf-06 §5.
enum ECVRF {
    /// `suite_string`.
    static let suite: UInt8 = 0xFE
    /// `n`: octets of `c` (half the 32-byte field size).
    static let cLength = 16

    /// `ECVRF_hash_to_curve_try_and_increment(Y, alpha)` (§3): the first `ctr` in 0...255 for which
    /// `02 ‖ SHA-256(FE ‖ 01 ‖ point_to_string(Y) ‖ alpha ‖ ctr)` parses as a point; nil if none does.
    static func hashToCurve(y: [UInt8], alpha: [UInt8]) -> Point? {
        for ctr in 0...255 {
            let digest = SHA256.hash(data: [suite, 0x01] + y + alpha + [UInt8(ctr)])
            if let h = Point(compressed33: [0x02] + [UInt8](digest)) { return h }
        }
        return nil
    }

    /// `ECVRF_hash_points(P1, ..., Pm)` (§5): the first 16 bytes of
    /// `SHA-256(FE ‖ 02 ‖ point_to_string(P1) ‖ ... ‖ point_to_string(Pm))`.
    static func hashPoints(_ points: [[UInt8]]) -> [UInt8] {
        [UInt8](SHA256.hash(data: [suite, 0x02] + points.joined())).prefix(cLength).map { $0 }
    }

    /// `ECVRF_proof_to_hash` (§7): `SHA-256(FE ‖ 03 ‖ point_to_string(Gamma))` (cofactor 1; no trailing 00).
    static func proofToHash(gamma33: [UInt8]) -> Digest32 {
        Digest32(uncheckedBytes: Data(SHA256.hash(data: [suite, 0x03] + gamma33)))
    }

    /// `ECVRF_nonce_generation_RFC6979(x, h_string)` (§4): RFC 6979 §3.2 with HMAC-SHA-256, `qlen = 256`,
    /// `h1 = SHA-256(h_string)`, no extra data. Candidates outside `[1, n)` are skipped (RFC 6979 step h.3);
    /// nil after 256 candidates (each is skipped with probability below 2^-127).
    static func nonceRFC6979(x32 x: [UInt8], message: [UInt8]) -> [UInt8]? {
        let h = bits2octets([UInt8](SHA256.hash(data: message)))
        func mac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
            [UInt8](HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
        }
        var v = [UInt8](repeating: 0x01, count: 32)
        var k = [UInt8](repeating: 0x00, count: 32)
        k = mac(k, v + [0x00] + x + h)
        v = mac(k, v)
        k = mac(k, v + [0x01] + x + h)
        v = mac(k, v)
        for _ in 0..<256 {
            v = mac(k, v)
            if secp256k1_ec_seckey_verify(Secp256k1Context.shared.raw, v) == 1 { return v }
            k = mac(k, v + [0x00])
            v = mac(k, v)
        }
        return nil
    }

    /// secp256k1's group order `n`, big-endian.
    static let order: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ]

    /// RFC 6979 §2.3.4 `bits2octets` for a 32-byte hash and 256-bit `n`: the value reduced mod `n`
    /// (one conditional subtraction suffices since `2^256 < 2n`). Big-endian in and out.
    static func bits2octets(_ h: [UInt8]) -> [UInt8] {
        precondition(h.count == 32, "bits2octets takes a 32-byte hash output")
        guard !h.lexicographicallyPrecedes(order) else { return h }
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var d = Int(h[i]) - Int(order[i]) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 256 }
            out[i] = UInt8(d)
        }
        return out
    }

    /// `ECVRF_prove` (§5).
    static func prove(x: [UInt8], y: VRFPublicKey, alpha: [UInt8]) throws(ReceiptError) -> (
        proof: VRFProof, output: Digest32
    ) {
        let ctx = Secp256k1Context.shared.raw
        let yBytes = [UInt8](y.compressedRepresentation)
        // 1. H = hash_to_curve(Y, alpha); h_string = point_to_string(H).
        guard let h = hashToCurve(y: yBytes, alpha: alpha) else {
            throw .vrfProvingFailed("no curve point in 256 hash-to-curve tries; use another input")
        }
        guard let hBytes = h.compressed else { throw .libraryFailure("secp256k1_ec_pubkey_serialize") }
        // 2. Gamma = x·H.
        guard let gamma = h.multiplied(by: x), let gammaBytes = gamma.compressed else {
            throw .libraryFailure("secp256k1_ec_pubkey_tweak_mul (Gamma)")
        }
        // 3. k = nonce(x, h_string).
        guard let k = nonceRFC6979(x32: x, message: hBytes) else {
            throw .vrfProvingFailed("RFC 6979 produced no nonce in [1, n) in 256 candidates")
        }
        // 4. c = hash_points(H, Gamma, k·G, k·H).
        guard let kG = Point.base(k)?.compressed, let kH = h.multiplied(by: k)?.compressed else {
            throw .libraryFailure("secp256k1 scalar multiplication by the nonce")
        }
        let c = hashPoints([hBytes, gammaBytes, kG, kH])
        guard c.contains(where: { $0 != 0 }) else {
            throw .vrfProvingFailed("challenge c is zero (verifiers reject it); use another input")
        }
        // 5. s = (k + c·x) mod n.
        var cx = x
        guard secp256k1_ec_seckey_tweak_mul(ctx, &cx, [UInt8](repeating: 0, count: 16) + c) == 1 else {
            throw .libraryFailure("secp256k1_ec_seckey_tweak_mul (c·x)")
        }
        var s = k
        guard secp256k1_ec_seckey_tweak_add(ctx, &s, cx) == 1 else {
            throw .vrfProvingFailed("s = k + c·x is zero mod n (verifiers reject it); use another input")
        }
        // 6. pi = point_to_string(Gamma) ‖ c ‖ s; beta = proof_to_hash(pi).
        let proof = try VRFProof(rawRepresentation: gammaBytes + c + s)
        return (proof, proofToHash(gamma33: gammaBytes))
    }

    /// `ECVRF_verify` (§6): nil for every invalid proof.
    static func verify(y: VRFPublicKey, alpha: [UInt8], proof: VRFProof) -> Digest32? {
        // 1. Decode: Gamma a compressed point, 1 ≤ c < 2^128, 1 ≤ s < n.
        let gammaBytes = proof.gamma33
        let c = proof.c16
        let s = proof.s32
        guard let gamma = Point(compressed33: gammaBytes),
            c.contains(where: { $0 != 0 }),
            secp256k1_ec_seckey_verify(Secp256k1Context.shared.raw, s) == 1
        else { return nil }
        let c32 = [UInt8](repeating: 0, count: 16) + c
        // 2. H = hash_to_curve(Y, alpha).
        guard let h = hashToCurve(y: [UInt8](y.compressedRepresentation), alpha: alpha),
            let hBytes = h.compressed
        else { return nil }
        // 3. U = s·G − c·Y; V = s·H − c·Gamma (nil if either is the point at infinity).
        guard let sG = Point.base(s), let cY = y.point.multiplied(by: c32),
            let u = sG.subtracting(cY)?.compressed,
            let sH = h.multiplied(by: s), let cGamma = gamma.multiplied(by: c32),
            let v = sH.subtracting(cGamma)?.compressed
        else { return nil }
        // 4. c' = hash_points(H, Gamma, U, V); valid iff c' = c.
        guard hashPoints([hBytes, gammaBytes, u, v]) == c else { return nil }
        return proofToHash(gamma33: gammaBytes)
    }
}

// MARK: - Points through libsecp256k1's public API

/// A secp256k1 point other than infinity (libsecp256k1's `secp256k1_pubkey` cannot hold infinity).
///
/// Every operation returns nil where libsecp256k1 refuses: bad encodings, scalars that are zero or
/// not below `n`, and results at infinity.
struct Point: @unchecked Sendable {
    var raw: secp256k1_pubkey

    private static var ctx: OpaquePointer { Secp256k1Context.shared.raw }

    /// `string_to_point`: 33 bytes, prefix 02 (even y) or 03 (odd y), x below p and on the curve.
    init?(compressed33 bytes: [UInt8]) {
        guard bytes.count == 33, bytes[0] == 0x02 || bytes[0] == 0x03 else { return nil }
        var p = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Self.ctx, &p, bytes, 33) == 1 else { return nil }
        raw = p
    }

    private init(raw: secp256k1_pubkey) { self.raw = raw }

    /// `scalar32·G` (`secp256k1_ec_pubkey_create`); nil for a scalar of zero or not below `n`.
    static func base(_ scalar32: [UInt8]) -> Point? {
        var p = secp256k1_pubkey()
        guard scalar32.count == 32, secp256k1_ec_pubkey_create(ctx, &p, scalar32) == 1 else { return nil }
        return Point(raw: p)
    }

    /// `point_to_string`: the 33-byte compressed encoding.
    var compressed: [UInt8]? {
        var p = raw
        var out = [UInt8](repeating: 0, count: 33)
        var length = 33
        guard
            secp256k1_ec_pubkey_serialize(Self.ctx, &out, &length, &p, UInt32(SECP256K1_EC_COMPRESSED)) == 1,
            length == 33
        else { return nil }
        return out
    }

    /// `scalar32·self` (`secp256k1_ec_pubkey_tweak_mul`); nil for a scalar of zero or not below `n`.
    func multiplied(by scalar32: [UInt8]) -> Point? {
        var p = raw
        guard scalar32.count == 32, secp256k1_ec_pubkey_tweak_mul(Self.ctx, &p, scalar32) == 1 else {
            return nil
        }
        return Point(raw: p)
    }

    /// `self − other` (`secp256k1_ec_pubkey_negate` then `secp256k1_ec_pubkey_combine`); nil at infinity.
    func subtracting(_ other: Point) -> Point? {
        var a = raw
        var b = other.raw
        guard secp256k1_ec_pubkey_negate(Self.ctx, &b) == 1 else { return nil }
        var out = secp256k1_pubkey()
        let ok = withUnsafePointer(to: &a) { pa in
            withUnsafePointer(to: &b) { pb in
                let ins: [UnsafePointer<secp256k1_pubkey>?] = [pa, pb]
                return secp256k1_ec_pubkey_combine(Self.ctx, &out, ins, 2)
            }
        }
        return ok == 1 ? Point(raw: out) : nil
    }
}
