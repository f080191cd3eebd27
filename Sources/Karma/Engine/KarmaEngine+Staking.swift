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
            guard a.balance >= r.amount else {
                throw .insufficientBalance(node: node.hex, have: a.balance, want: r.amount)
            }
            a.balance -= r.amount
            a.bonded = try CheckedMath.add(a.bonded, r.amount, "bonded stake of \(node.hex)")
            if a.nextLivenessWindow == nil { a.nextLivenessWindow = window(containing: now) }
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
