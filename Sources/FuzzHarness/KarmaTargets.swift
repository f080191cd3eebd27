import Foundation
import Karma
import Receipts

/// The karma rules' parsers of untrusted bytes: ledger entries (what an auditor reads), the signed
/// node requests of `POST /v1/nodes/*`, and the audit draw's VRF proofs.
enum KarmaTargets {
    /// The VRF key the `vrf` target verifies against: the even-y key of secret scalar 7.
    static let vrfKey: Result<SchnorrSigningKey, ReceiptError> = Result { () throws(ReceiptError) in
        try SchnorrSigningKey(rawRepresentation: Data(repeating: 0, count: 31) + [7])
    }

    /// Read as a ledger entry's canonical bytes and as its JSON form (specs/karma.md §4). What is
    /// accepted re-encodes to the input (canonical bytes have one encoding), and survives the round
    /// trip through the other form; its signature claims can be checked without a trap.
    @Sendable static func entry(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let target = "karma-entry"
        var reasons: [String] = []
        var decoded: KarmaEntry?
        do {
            let e = try KarmaEntry(canonicalBytes: input)
            try require(Array(e.canonicalBytes) == input, target, "accepted bytes re-encode differently")
            decoded = e
        } catch let e as InvariantViolation {
            throw e
        } catch {
            reasons.append("canonical: \(error)")
        }
        if decoded == nil {
            do { decoded = try KarmaEntry(json: input) } catch { reasons.append("json: \(error)") }
        }
        guard let entry = decoded else { return .rejected(reason: reasons.joined(separator: "; ")) }
        let line = Data(entry.jsonLine().utf8)
        let fromJSON: KarmaEntry
        do { fromJSON = try KarmaEntry(json: line) } catch {
            throw InvariantViolation(
                target: target, message: "the JSON form of an accepted entry does not read: \(error)")
        }
        try require(fromJSON == entry, target, "the JSON round trip changes the entry")
        let fromBytes: KarmaEntry
        do { fromBytes = try KarmaEntry(canonicalBytes: entry.canonicalBytes) } catch {
            throw InvariantViolation(
                target: target, message: "the canonical bytes of an accepted entry do not read: \(error)")
        }
        try require(fromBytes == entry, target, "the canonical round trip changes the entry")
        _ = VerifiedSignatures.verify(entry.signatureClaims, vrf: entry.vrfClaims)
        return .accepted
    }

    /// Read as a signed heartbeat, chunk receipt or staking request in JSON (specs/karma.md §2),
    /// as the node endpoints read them. What is accepted survives a JSON round trip, and its
    /// signature check gives a verdict.
    @Sendable static func nodeRequest(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        var reasons: [String] = []
        func attempt<M: KarmaMessage>(_: M.Type, _ name: String) throws(InvariantViolation) -> Bool {
            let signed: Signed<M>
            do { signed = try Signed<M>(json: input) } catch {
                reasons.append("\(name): \(error)")
                return false
            }
            let again: Signed<M>
            do { again = try Signed<M>(json: signed.json()) } catch {
                throw InvariantViolation(
                    target: "node-request", message: "the JSON of an accepted \(name) does not read: \(error)"
                )
            }
            try require(
                again.json() == signed.json(), "node-request", "the \(name) JSON round trip changes it")
            _ = signed.isValid
            return true
        }
        if try attempt(Heartbeat.self, "heartbeat") { return .accepted }
        if try attempt(SeedingChunkReceipt.self, "chunk receipt") { return .accepted }
        if try attempt(StakingRequest.self, "staking request") { return .accepted }
        return .rejected(reason: reasons.joined(separator: "; "))
    }

    /// The first 81 bytes are an ECVRF proof, the rest its input `alpha`, verified under
    /// ``vrfKey`` (specs/vrf.md). Verification is total (a verdict, never a trap), deterministic,
    /// and a proof that verifies stops verifying when any byte of its `s` changes.
    @Sendable static func vrf(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let target = "vrf"
        guard case .success(let key) = vrfKey else {
            throw InvariantViolation(target: target, message: "the fixed VRF key does not build")
        }
        let proof: VRFProof
        do { proof = try VRFProof(rawRepresentation: input.prefix(VRFProof.byteCount)) } catch {
            return .rejected(reason: "\(error)")
        }
        try require(
            Array(proof.rawRepresentation) == Array(input.prefix(VRFProof.byteCount)), target,
            "proof bytes change")
        let alpha = Data(input.dropFirst(VRFProof.byteCount))
        let beta = key.publicKey.vrfVerify(alpha, proof: proof)
        try require(
            key.publicKey.vrfVerify(alpha, proof: proof) == beta, target, "verification is not deterministic")
        guard beta != nil else { return .rejected(reason: "the proof does not verify") }
        for i in (VRFProof.byteCount - 32)..<VRFProof.byteCount {
            var changed = Array(proof.rawRepresentation)
            changed[i] ^= 0x01
            let other: VRFProof
            do { other = try VRFProof(rawRepresentation: changed) } catch {
                throw InvariantViolation(target: target, message: "81 bytes do not wrap as a proof: \(error)")
            }
            try require(
                key.publicKey.vrfVerify(alpha, proof: other) == nil, target,
                "the proof still verifies with byte \(i) of s changed")
        }
        return .accepted
    }
}
