import Foundation
import Receipts

/// What a staking request asks for (specs/karma.md §4.1, §7).
public enum StakingAction: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Move `amount` from the liquid balance into bonded stake.
    case bond = 1
    /// Start unbonding `amount` of bonded stake; it matures after the unbonding period.
    case unbond = 2
    /// Move `amount` of matured unbonding stake back into the liquid balance.
    case withdraw = 3
    /// Leave jail after the jail period (`amount` must be 0).
    case unjail = 4

    /// The JSON name: `bond`, `unbond`, `withdraw`, `unjail`.
    public var description: String {
        switch self {
        case .bond: "bond"
        case .unbond: "unbond"
        case .withdraw: "withdraw"
        case .unjail: "unjail"
        }
    }

    init(name: String) throws(KarmaError) {
        guard let a = Self.allCases.first(where: { $0.description == name }) else {
            throw .invalidField("action", reason: "\"\(name)\" is not bond, unbond, withdraw or unjail")
        }
        self = a
    }
}

/// A node's signed request to bond, unbond, withdraw or unjail (specs/karma.md §4.1).
///
/// The validator service accepts these over HTTP and appends them to the ledger inside a
/// ``KarmaEntry``; the signature is re-checked by ``KarmaEngine/apply(_:to:)``. `nonce` must be above
/// every nonce the node used before, so a captured request cannot be replayed.
///
/// Canonical fields, in order: `version` u16 (= 1), `node` 32, `action` u8, `amount` u64 (µK),
/// `nonce` u64. Domain tag `mesh/karma/staking-request/v1`; the node signs.
public struct StakingRequest: KarmaMessage, Hashable {
    public static let domainTag = "mesh/karma/staking-request/v1"
    public static let messageVersion: UInt16 = 1

    /// The node whose stake moves (and who signs).
    public var node: XOnlyPublicKey
    public var action: StakingAction
    /// µK to move; 0 for ``StakingAction/unjail``, positive otherwise.
    public var amount: MicroKarma
    /// Strictly above the node's previous request nonce (gaps allowed).
    public var nonce: UInt64

    public init(node: XOnlyPublicKey, action: StakingAction, amount: MicroKarma, nonce: UInt64) {
        self.node = node
        self.action = action
        self.amount = amount
        self.nonce = nonce
    }

    public var signer: XOnlyPublicKey { node }

    public func encode(to writer: inout CanonicalWriter) {
        writer.u16(Self.messageVersion)
        writer.publicKey(node)
        writer.u8(action.rawValue)
        writer.u64(amount)
        writer.u64(nonce)
    }

    public init(from reader: inout CanonicalReader) throws(KarmaError) {
        try reader.version("stakingRequest", want: Self.messageVersion)
        node = try reader.karma { r throws(ReceiptError) in try r.publicKey("stakingRequest.node") }
        let raw = try reader.karma { r throws(ReceiptError) in try r.u8("stakingRequest.action") }
        guard let action = StakingAction(rawValue: raw) else {
            throw .invalidField("stakingRequest.action", reason: "\(raw) is not 1 (bond) ... 4 (unjail)")
        }
        self.action = action
        amount = try reader.karma { r throws(ReceiptError) in try r.u64("stakingRequest.amount") }
        nonce = try reader.karma { r throws(ReceiptError) in try r.u64("stakingRequest.nonce") }
    }

    public init(jsonObject: JSONValue) throws(KarmaError) {
        var r = try KarmaObjectReader(jsonObject, what: "stakingRequest")
        try r.version(want: Self.messageVersion)
        node = try r.publicKey("node")
        action = try StakingAction(name: try r.string("action"))
        amount = try r.u64("amount")
        nonce = try r.u64("nonce")
        try r.finish()
    }

    public func jsonObject() -> JSONValue {
        .object([
            "version": KarmaJSON.number(Self.messageVersion), "node": KarmaJSON.hex(node),
            "action": .string(action.description), "amount": KarmaJSON.u64(amount),
            "nonce": KarmaJSON.u64(nonce),
        ])
    }
}

/// A staking request with the node's signature.
public typealias SignedStakingRequest = Signed<StakingRequest>
