import Foundation
import Receipts

extension KarmaEntry {
    /// Every signature the rules check when this entry is applied, as claims for
    /// ``VerifiedSignatures/verify(_:)``: heartbeats (by their node), chunk receipts (by their
    /// downloader), staking requests (by their node) and the execution receipts of slash evidence
    /// (by their node).
    ///
    /// A claim left out here is not a hole: the engine verifies whatever the batch did not, in
    /// full (``VerifiedSignatures`` only ever answers "valid" for what it verified).
    public var signatureClaims: [VerifiedSignatures.Claim] {
        func claim<M>(_ s: Signed<M>) -> VerifiedSignatures.Claim {
            .init(key: s.message.signer, message32: s.message.digest, signature: s.signature)
        }
        func claim(_ s: SignedReceipt) -> VerifiedSignatures.Claim {
            .init(key: s.receipt.node, message32: s.receipt.digest, signature: s.signature)
        }
        switch body {
        case .uptime(let a): return a.heartbeats.map(claim)
        case .seeding(let a): return a.receipts.map { claim($0.receipt) }
        case .bond(let r), .unbond(let r), .withdraw(let r), .unjail(let r): return [claim(r)]
        case .slash(let s):
            switch s.offence {
            case .equivocation(let first, let second): return [claim(first), claim(second)]
            case .wrongOutput(let receipt, _), .invalidProof(let receipt, _, _): return [claim(receipt)]
            case .downtime, .correlation: return []
            }
        default: return []
        }
    }
}

extension KarmaEntry {
    /// The VRF proof the rules check when this entry is applied (an audit draw's), as a claim for
    /// ``VerifiedSignatures/verify(_:vrf:)``; same contract as ``signatureClaims``.
    public var vrfClaims: [VerifiedSignatures.VRFClaim] {
        guard case .auditDraw(let d) = body else { return [] }
        return [
            .init(
                key: d.validator, alpha: AuditDraw.alpha(jobID: d.jobID, receipts: d.receipts), proof: d.proof
            )
        ]
    }
}
