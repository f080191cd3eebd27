import Foundation
import Receipts

/// A liveness heartbeat a node signs and sends to validators (specs/karma.md §4.1).
///
/// Canonical fields, in order: `version` u16 (= 1), `node` 32, `timestampMs` u64, `sequence` u64.
/// Domain tag `mesh/karma/heartbeat/v1`. A heartbeat counts for the window that contains its
/// `timestampMs` (§5.5).
public struct Heartbeat: KarmaMessage, Hashable {
    public static let domainTag = "mesh/karma/heartbeat/v1"
    public static let messageVersion: UInt16 = 1

    /// The node that is alive (and signs).
    public var node: XOnlyPublicKey
    /// The node's clock when it sent the heartbeat, in ms since the Unix epoch.
    public var timestampMs: UInt64
    /// A counter the node increases with every heartbeat.
    public var sequence: UInt64

    public init(node: XOnlyPublicKey, timestampMs: UInt64, sequence: UInt64) {
        self.node = node
        self.timestampMs = timestampMs
        self.sequence = sequence
    }

    public var signer: XOnlyPublicKey { node }

    public func encode(to writer: inout CanonicalWriter) {
        writer.u16(Self.messageVersion)
        writer.publicKey(node)
        writer.u64(timestampMs)
        writer.u64(sequence)
    }

    public init(from reader: inout CanonicalReader) throws(KarmaError) {
        try reader.version("heartbeat", want: Self.messageVersion)
        node = try reader.karma { r throws(ReceiptError) in try r.publicKey("heartbeat.node") }
        timestampMs = try reader.karma { r throws(ReceiptError) in try r.u64("heartbeat.timestampMs") }
        sequence = try reader.karma { r throws(ReceiptError) in try r.u64("heartbeat.sequence") }
    }

    public init(jsonObject: JSONValue) throws(KarmaError) {
        var r = try KarmaObjectReader(jsonObject, what: "heartbeat")
        try r.version(want: Self.messageVersion)
        node = try r.publicKey("node")
        timestampMs = try r.u64("timestampMs")
        sequence = try r.u64("sequence")
        try r.finish()
    }

    public func jsonObject() -> JSONValue {
        .object([
            "version": KarmaJSON.number(Self.messageVersion), "node": KarmaJSON.hex(node),
            "timestampMs": KarmaJSON.u64(timestampMs), "sequence": KarmaJSON.u64(sequence),
        ])
    }
}

/// A heartbeat with its node's signature.
public typealias SignedHeartbeat = Signed<Heartbeat>
