import Foundation

/// A set of BIP-340 signatures that have been checked and found valid, for checking a batch of
/// signatures across cores ahead of code that checks them one at a time.
///
/// The only way to add to the set is ``verify(_:)``, which runs the full libsecp256k1 verification
/// and keeps only what passes; there is no initializer from outside the type. So when
/// ``XOnlyPublicKey/isValidSignature(_:for:)`` finds a triple (key, 32-byte message, signature) in
/// the set bound by ``withPreverified(_:_:)``, the answer `true` is the answer the verification
/// would give; likewise a VRF output it holds is the one ``XOnlyPublicKey/vrfVerify(_:proof:)``
/// would compute. A triple that is absent (never checked, or checked and invalid) is verified in full
/// as usual. Nothing here can make an invalid signature pass.
public struct VerifiedSignatures: Sendable {
    /// One signature claim: `signature` is `key`'s signature of the 32-byte `message32`.
    public struct Claim: Hashable, Sendable {
        public var key: XOnlyPublicKey
        public var message32: Digest32
        public var signature: SchnorrSignature

        public init(key: XOnlyPublicKey, message32: Digest32, signature: SchnorrSignature) {
            self.key = key
            self.message32 = message32
            self.signature = signature
        }
    }

    /// One VRF claim: `proof` is `key`'s ECVRF proof for input `alpha` (specs/vrf.md).
    public struct VRFClaim: Hashable, Sendable {
        public var key: XOnlyPublicKey
        public var alpha: Data
        public var proof: VRFProof

        public init(key: XOnlyPublicKey, alpha: Data, proof: VRFProof) {
            self.key = key
            self.alpha = alpha
            self.proof = proof
        }
    }

    private var valid: Set<Claim> = []
    /// VRF claims that verified, with their output `beta` (a function of the proof alone).
    private var vrfOutputs: [VRFClaim: Digest32] = [:]

    private init() {}

    /// How many valid signatures the set holds.
    public var count: Int { valid.count }
    /// How many valid VRF proofs the set holds.
    public var vrfCount: Int { vrfOutputs.count }

    /// The output of a VRF claim that was verified and found valid (nil: not verified here).
    public func vrfOutput(_ claim: VRFClaim) -> Digest32? { vrfOutputs[claim] }

    /// Whether `claim` was verified and found valid.
    public func contains(_ claim: Claim) -> Bool { valid.contains(claim) }

    /// Verifies every claim in full and keeps the valid ones (invalid ones are dropped silently:
    /// the code that checks them later verifies them again and reports the failure itself).
    /// - Complexity: one libsecp256k1 verification per distinct claim and one ECVRF verification
    ///   per distinct VRF claim, on the calling thread.
    public static func verify(_ claims: some Sequence<Claim>, vrf: [VRFClaim] = []) -> VerifiedSignatures {
        var set = VerifiedSignatures()
        for c in claims where !set.valid.contains(c) {
            if c.key.verifyInFull(c.signature, message: c.message32.bytes) { set.valid.insert(c) }
        }
        for c in vrf where set.vrfOutputs[c] == nil {
            if let beta = c.key.vrfVerifyInFull(c.alpha, proof: c.proof) { set.vrfOutputs[c] = beta }
        }
        return set
    }

    /// The union of several sets (each built by ``verify(_:)``).
    public static func merging(_ sets: [VerifiedSignatures]) -> VerifiedSignatures {
        var out = VerifiedSignatures()
        for s in sets {
            out.valid.formUnion(s.valid)
            out.vrfOutputs.merge(s.vrfOutputs) { a, _ in a }
        }
        return out
    }

    /// The set consulted by ``XOnlyPublicKey/isValidSignature(_:for:)`` and
    /// ``XOnlyPublicKey/vrfVerify(_:proof:)`` in this task (nil: none).
    @TaskLocal static var current: VerifiedSignatures?

    /// Runs `body` with `preverified` consulted by every signature check it makes on this task
    /// (and tasks it creates).
    public static func withPreverified<R, E: Error>(
        _ preverified: VerifiedSignatures, _ body: () throws(E) -> R
    ) throws(E) -> R {
        // TaskLocal.withValue rethrows untyped; carry the typed error through a Result.
        let result: Result<R, E> = $current.withValue(preverified) {
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
