import CSecp256k1
import Foundation

/// The one libsecp256k1 context of the process.
///
/// libsecp256k1 documents a context as safe to share between threads for every operation that takes
/// it as `const` (signing, verification, key parsing); only `secp256k1_context_randomize` mutates it,
/// and that happens once, here, before the context is published.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let raw: OpaquePointer

    private init() {
        guard let ctx = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create returned NULL (out of memory)")
        }
        // Blinding against side channels for signing; a failure only loses the blinding.
        var seed = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in seed.indices { seed[i] = rng.next() }
        _ = secp256k1_context_randomize(ctx, seed)
        raw = ctx
    }

    deinit { secp256k1_context_destroy(raw) }
}

/// A BIP-340 x-only public key: 32 bytes, the x coordinate of a secp256k1 point with even y.
///
/// Parsing checks that the bytes are a valid x coordinate, once; the parsed form is kept so
/// verification does not pay for it again.
public struct XOnlyPublicKey: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 32-byte serialization.
    public let rawRepresentation: Data
    let parsed: ParsedKey

    struct ParsedKey: Sendable {
        var key: secp256k1_xonly_pubkey
    }

    /// Parses a 32-byte x-only key.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)`` or ``ReceiptError/invalidPublicKey(_:)``.
    public init(rawRepresentation bytes: some DataProtocol, field: String = "node") throws(ReceiptError) {
        guard bytes.count == 32 else { throw .wrongLength(field, got: bytes.count, want: 32) }
        let data = Data(bytes)
        if let known = ParsedKeyCache.shared.lookup(data) {
            rawRepresentation = data
            parsed = known
            return
        }
        var key = secp256k1_xonly_pubkey()
        let ok = data.withUnsafeBytes { buf in
            secp256k1_xonly_pubkey_parse(
                Secp256k1Context.shared.raw, &key, buf.bindMemory(to: UInt8.self).baseAddress!)
        }
        guard ok == 1 else { throw .invalidPublicKey(field) }
        rawRepresentation = data
        parsed = ParsedKey(key: key)
        ParsedKeyCache.shared.insert(data, parsed)
    }

    /// Parses 64 lowercase hex characters.
    public init(hex: String, field: String = "node") throws(ReceiptError) {
        guard let data = Hex.decode(hex) else { throw .invalidField(field, reason: "not lowercase hex") }
        try self.init(rawRepresentation: data, field: field)
    }

    public var hex: String { Hex.encode(rawRepresentation) }
    public var description: String { hex }

    /// BIP-340 verification of `signature` over `message` (any length; Mesh signs 32-byte tagged digests).
    ///
    /// Returns false for any invalid signature, including an `r` not below the field size or an `s` not
    /// below the group order; never throws.
    /// Inside ``VerifiedSignatures/withPreverified(_:_:)``, a 32-byte message whose triple the bound
    /// set holds is answered from the set (it was verified in full when the set was built).
    public func isValidSignature(_ signature: SchnorrSignature, for message: some DataProtocol) -> Bool {
        if message.count == 32, let preverified = VerifiedSignatures.current,
            preverified.contains(
                .init(key: self, message32: Digest32(uncheckedBytes: Data(message)), signature: signature))
        {
            return true
        }
        return verifyInFull(signature, message: message)
    }

    /// BIP-340 verification by libsecp256k1, always.
    func verifyInFull(_ signature: SchnorrSignature, message: some DataProtocol) -> Bool {
        let msg = [UInt8](message)
        var key = parsed.key
        return signature.rawRepresentation.withUnsafeBytes { sig in
            msg.withUnsafeBufferPointer { m in
                secp256k1_schnorrsig_verify(
                    Secp256k1Context.shared.raw, sig.bindMemory(to: UInt8.self).baseAddress!,
                    m.baseAddress, m.count, &key) == 1
            }
        }
    }

    public static func == (a: XOnlyPublicKey, b: XOnlyPublicKey) -> Bool {
        a.rawRepresentation == b.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }

    public init(from decoder: any Decoder) throws {
        self = try XOnlyPublicKey(hex: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

/// A 64-byte BIP-340 Schnorr signature `r || s`.
public struct SchnorrSignature: Hashable, Sendable, CustomStringConvertible {
    /// The 64 bytes.
    public let rawRepresentation: Data

    /// Wraps 64 bytes. Range checks of `r` and `s` happen at verification (they make it fail).
    public init(rawRepresentation bytes: some DataProtocol, field: String = "signature") throws(ReceiptError)
    {
        guard bytes.count == 64 else { throw .wrongLength(field, got: bytes.count, want: 64) }
        rawRepresentation = Data(bytes)
    }

    /// Parses 128 lowercase hex characters.
    public init(hex: String, field: String = "signature") throws(ReceiptError) {
        guard let data = Hex.decode(hex) else { throw .invalidField(field, reason: "not lowercase hex") }
        try self.init(rawRepresentation: data, field: field)
    }

    public var hex: String { Hex.encode(rawRepresentation) }
    public var description: String { hex }
}

/// A secp256k1 secret key that signs with BIP-340 Schnorr.
///
/// The key pair is computed once at creation. The secret is kept in memory as given; callers that
/// persist it are responsible for file permissions (the CLI writes mode 0600).
public struct SchnorrSigningKey: Sendable {
    /// The 32-byte secret scalar.
    public let rawRepresentation: Data
    /// The x-only public key (BIP-340 `pubkey(sk)`).
    public let publicKey: XOnlyPublicKey
    private let keypair: Keypair

    private struct Keypair: @unchecked Sendable {
        var raw: secp256k1_keypair
    }

    /// Creates a key from a 32-byte secret.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)``, ``ReceiptError/invalidSecretKey`` when the
    ///   secret is zero or not below the group order.
    public init(rawRepresentation secret: some DataProtocol) throws(ReceiptError) {
        guard secret.count == 32 else { throw .wrongLength("secret key", got: secret.count, want: 32) }
        let data = Data(secret)
        let ctx = Secp256k1Context.shared.raw
        var pair = secp256k1_keypair()
        let created = data.withUnsafeBytes { s in
            secp256k1_keypair_create(ctx, &pair, s.bindMemory(to: UInt8.self).baseAddress!)
        }
        guard created == 1 else { throw .invalidSecretKey }
        var xonly = secp256k1_xonly_pubkey()
        var out = [UInt8](repeating: 0, count: 32)
        guard secp256k1_keypair_xonly_pub(ctx, &xonly, nil, &pair) == 1,
            secp256k1_xonly_pubkey_serialize(ctx, &out, &xonly) == 1
        else { throw .libraryFailure("deriving the x-only public key") }
        rawRepresentation = data
        publicKey = try XOnlyPublicKey(rawRepresentation: out)
        keypair = Keypair(raw: pair)
    }

    /// A fresh random key from the system's cryptographically secure generator.
    public static func generate() -> SchnorrSigningKey {
        var rng = SystemRandomNumberGenerator()
        while true {
            let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let key = try? SchnorrSigningKey(rawRepresentation: secret) { return key }
        }
    }

    /// Signs `message` (any length; Mesh signs 32-byte tagged digests) per BIP-340.
    ///
    /// - Parameter auxiliaryRandom32: BIP-340 auxiliary randomness; nil draws 32 fresh random bytes
    ///   (recommended). Pass fixed bytes only to reproduce test vectors.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)`` for aux randomness not 32 bytes.
    public func signature(
        for message: some DataProtocol, auxiliaryRandom32: Data? = nil
    ) throws(ReceiptError) -> SchnorrSignature {
        var aux = [UInt8](repeating: 0, count: 32)
        if let given = auxiliaryRandom32 {
            guard given.count == 32 else { throw .wrongLength("aux_rand", got: given.count, want: 32) }
            aux = [UInt8](given)
        } else {
            var rng = SystemRandomNumberGenerator()
            for i in aux.indices { aux[i] = rng.next() }
        }
        let msg = [UInt8](message)
        var sig = [UInt8](repeating: 0, count: 64)
        var pair = keypair.raw
        let ok = aux.withUnsafeMutableBytes { auxBuf in
            var params = secp256k1_schnorrsig_extraparams()
            // SECP256K1_SCHNORRSIG_EXTRAPARAMS_MAGIC from secp256k1_schnorrsig.h.
            params.magic = (0xda, 0x6f, 0xb3, 0x8c)
            params.noncefp = nil
            params.ndata = auxBuf.baseAddress
            return msg.withUnsafeBufferPointer { m in
                secp256k1_schnorrsig_sign_custom(
                    Secp256k1Context.shared.raw, &sig, m.baseAddress, m.count, &pair, &params)
            }
        }
        guard ok == 1 else { throw .libraryFailure("secp256k1_schnorrsig_sign_custom") }
        return try SchnorrSignature(rawRepresentation: sig)
    }
}
