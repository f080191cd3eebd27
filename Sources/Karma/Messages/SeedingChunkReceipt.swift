import Foundation
import Receipts

/// A downloader's signed statement that a seeder served it one chunk of a model package
/// (specs/karma.md §4.1).
///
/// The chunk is named by the model id, the model's chunk Merkle root, its index under that root and
/// its hash, so anyone holding the model manifest can check the chunk exists. Canonical fields, in
/// order: `version` u16 (= 1), `seeder` 32, `downloader` 32, `modelID` 32, `chunkRoot` 32,
/// `chunkIndex` u32, `chunkBytes` u32, `chunkHash` 32, `servedAtMs` u64. Domain tag
/// `mesh/karma/seeding-chunk-receipt/v1`; the **downloader** signs.
public struct SeedingChunkReceipt: KarmaMessage, Hashable {
    public static let domainTag = "mesh/karma/seeding-chunk-receipt/v1"
    public static let messageVersion: UInt16 = 1

    /// The node that served the chunk (and earns for it).
    public var seeder: XOnlyPublicKey
    /// The node that received the chunk (and signs).
    public var downloader: XOnlyPublicKey
    /// The model package id (hash of its manifest).
    public var modelID: Digest32
    /// The root of the model's chunk Merkle tree.
    public var chunkRoot: Digest32
    /// The chunk's leaf index under `chunkRoot`.
    public var chunkIndex: UInt32
    /// The chunk's length in bytes.
    public var chunkBytes: UInt32
    /// The chunk's content hash (the leaf the Merkle tree commits to).
    public var chunkHash: Digest32
    /// When the downloader finished receiving the chunk, ms since the Unix epoch.
    public var servedAtMs: UInt64

    public init(
        seeder: XOnlyPublicKey, downloader: XOnlyPublicKey, modelID: Digest32, chunkRoot: Digest32,
        chunkIndex: UInt32, chunkBytes: UInt32, chunkHash: Digest32, servedAtMs: UInt64
    ) {
        self.seeder = seeder
        self.downloader = downloader
        self.modelID = modelID
        self.chunkRoot = chunkRoot
        self.chunkIndex = chunkIndex
        self.chunkBytes = chunkBytes
        self.chunkHash = chunkHash
        self.servedAtMs = servedAtMs
    }

    public var signer: XOnlyPublicKey { downloader }

    public func encode(to writer: inout CanonicalWriter) {
        writer.u16(Self.messageVersion)
        writer.publicKey(seeder)
        writer.publicKey(downloader)
        writer.digest(modelID)
        writer.digest(chunkRoot)
        writer.u32(chunkIndex)
        writer.u32(chunkBytes)
        writer.digest(chunkHash)
        writer.u64(servedAtMs)
    }

    public init(from reader: inout CanonicalReader) throws(KarmaError) {
        try reader.version("seedingChunkReceipt", want: Self.messageVersion)
        seeder = try reader.karma { r throws(ReceiptError) in try r.publicKey("seedingChunkReceipt.seeder") }
        downloader = try reader.karma { r throws(ReceiptError) in
            try r.publicKey("seedingChunkReceipt.downloader")
        }
        modelID = try reader.karma { r throws(ReceiptError) in try r.digest("seedingChunkReceipt.modelID") }
        chunkRoot = try reader.karma { r throws(ReceiptError) in try r.digest("seedingChunkReceipt.chunkRoot")
        }
        chunkIndex = try reader.karma { r throws(ReceiptError) in try r.u32("seedingChunkReceipt.chunkIndex")
        }
        chunkBytes = try reader.karma { r throws(ReceiptError) in try r.u32("seedingChunkReceipt.chunkBytes")
        }
        chunkHash = try reader.karma { r throws(ReceiptError) in try r.digest("seedingChunkReceipt.chunkHash")
        }
        servedAtMs = try reader.karma { r throws(ReceiptError) in try r.u64("seedingChunkReceipt.servedAtMs")
        }
    }

    public init(jsonObject: JSONValue) throws(KarmaError) {
        var r = try KarmaObjectReader(jsonObject, what: "seedingChunkReceipt")
        try r.version(want: Self.messageVersion)
        seeder = try r.publicKey("seeder")
        downloader = try r.publicKey("downloader")
        modelID = try r.digest("modelID")
        chunkRoot = try r.digest("chunkRoot")
        chunkIndex = UInt32(try r.number("chunkIndex", max: UInt64(UInt32.max)))
        chunkBytes = UInt32(try r.number("chunkBytes", max: UInt64(UInt32.max)))
        chunkHash = try r.digest("chunkHash")
        servedAtMs = try r.u64("servedAtMs")
        try r.finish()
    }

    public func jsonObject() -> JSONValue {
        .object([
            "version": KarmaJSON.number(Self.messageVersion), "seeder": KarmaJSON.hex(seeder),
            "downloader": KarmaJSON.hex(downloader), "modelID": KarmaJSON.hex(modelID),
            "chunkRoot": KarmaJSON.hex(chunkRoot), "chunkIndex": KarmaJSON.number(chunkIndex),
            "chunkBytes": KarmaJSON.number(chunkBytes), "chunkHash": KarmaJSON.hex(chunkHash),
            "servedAtMs": KarmaJSON.u64(servedAtMs),
        ])
    }
}

/// A seeding chunk receipt with the downloader's signature.
public typealias SignedSeedingChunkReceipt = Signed<SeedingChunkReceipt>
