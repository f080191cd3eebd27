import Foundation
import Receipts

extension KarmaEngine {
    /// Bond, unbond, withdraw and unjail (specs/karma.md §7).
    func applyStaking(
        _ signed: SignedStakingRequest, as action: StakingAction, now: UInt64, _ s: inout KarmaState
    ) throws(KarmaError) {
        let r = signed.message
        let node = r.node
        guard r.action == action else {
            throw .invalidField("request.action", reason: "a \(action) entry carries a \(r.action) request")
        }
        guard signed.isValid else { throw .invalidSignature("staking request is not signed by \(node.hex)") }
        var a = s.account(node)
        guard r.nonce > a.nonce else { throw .staleNonce(node: node.hex, got: r.nonce, last: a.nonce) }
        if action == .unjail {
            guard r.amount == 0 else { throw .invalidField("request.amount", reason: "must be 0 for unjail") }
        } else {
            guard r.amount > 0 else { throw .invalidField("request.amount", reason: "must be positive") }
        }
        switch action {
        case .bond:
            // Escrow first (it has no other use), then the balance (§7.1).
            let available = try CheckedMath.add(a.escrow, a.balance, "escrow and balance of \(node.hex)")
            guard available >= r.amount else {
                throw .insufficientBalance(node: node.hex, have: available, want: r.amount)
            }
            let fromEscrow = min(a.escrow, r.amount)
            a.escrow -= fromEscrow
            a.balance -= r.amount - fromEscrow
            a.bonded = try CheckedMath.add(a.bonded, r.amount, "bonded stake of \(node.hex)")
            if a.nextLivenessWindow == nil { a.nextLivenessWindow = window(containing: now) }
            // Holding the node bond releases what was earned in escrow (§5.0).
            if a.bonded >= parameters.minNodeBond, a.escrow > 0 {
                a.balance = try CheckedMath.add(a.balance, a.escrow, "balance of \(node.hex)")
                a.escrow = 0
            }
        case .unbond:
            guard a.bonded >= r.amount else {
                throw .insufficientBonded(node: node.hex, have: a.bonded, want: r.amount)
            }
            guard UInt64(a.unbonding.count) < parameters.maxUnbondingEntries else {
                throw .tooManyUnbondingEntries(node: node.hex, limit: Int(parameters.maxUnbondingEntries))
            }
            let matures = try CheckedMath.add(now, parameters.unbondingPeriodMs, "unbonding maturity")
            a.bonded -= r.amount
            a.unbonding.append(UnbondingEntry(amount: r.amount, maturesAtMs: matures))
        case .withdraw:
            let matured = try CheckedMath.sum(
                a.unbonding.filter { $0.maturesAtMs <= now }.map(\.amount), "matured")
            guard matured >= r.amount else {
                throw .insufficientMatured(node: node.hex, have: matured, want: r.amount)
            }
            var left = r.amount
            var kept: [UnbondingEntry] = []
            for var e in a.unbonding {
                if e.maturesAtMs <= now, left > 0 {
                    let take = min(left, e.amount)
                    e.amount -= take
                    left -= take
                }
                if e.amount > 0 { kept.append(e) }
            }
            a.unbonding = kept
            a.balance = try CheckedMath.add(a.balance, r.amount, "balance of \(node.hex)")
        case .unjail:
            guard let until = a.jailedUntilMs else { throw .notJailed(node: node.hex) }
            guard now >= until else { throw .jailNotExpired(node: node.hex, untilMs: until, nowMs: now) }
            a.jailedUntilMs = nil
            let current = window(containing: now)
            a.nextLivenessWindow = max(a.nextLivenessWindow ?? current, current)
        }
        a.nonce = r.nonce
        s.accounts[node] = a
    }
}
