import Crypto
import Foundation
import Kernel

/// A model id: SHA-256 of a package's canonical manifest bytes (specs/model-package.md §5).
public struct ModelID: Sendable, Hashable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; `nil` for any other length.
    public init?(bytes32: [UInt8]) {
        guard bytes32.count == 32 else { return nil }
        self.bytes = bytes32
    }

    init(digest: SHA256.Digest) {
        self.bytes = Array(digest)
    }

    /// Parses 64 lowercase hex digits; `nil` otherwise.
    public init?(hex: String) {
        guard let b = bytesFromHex(hex, count: 32) else { return nil }
        self.bytes = b
    }

    /// 64 lowercase hex digits.
    public var hex: String { hexString(bytes) }
    public var description: String { hex }
}

/// One contiguous byte range of the payload (a canonical tensor or the tokenizer).
public struct PackageSection: Sendable, Equatable {
    /// `tensor` or `tokenizer`.
    public enum Kind: String, Sendable { case tensor, tokenizer }

    public let name: String
    public let kind: Kind
    /// Byte range `[offset, offset + length)` of the payload.
    public let offset: Int
    public let length: Int
    /// SHA-256 of the section's bytes (for tensors: the kernel's tensor commitment).
    public let sha256: [UInt8]

    public init(name: String, kind: Kind, offset: Int, length: Int, sha256: [UInt8]) {
        self.name = name
        self.kind = kind
        self.offset = offset
        self.length = length
        self.sha256 = sha256
    }
}

/// The manifest of a content-addressed model package (specs/model-package.md §3).
///
/// Stored as canonical JSON in `manifest.json`; the model id is the SHA-256 of those bytes.
/// The manifest commits to every payload byte: through each chunk's leaf hash, their Merkle root
/// and each section's SHA-256.
public struct PackageManifest: Sendable, Equatable {
    public static let format = "mesh-model-package"
    public static let version = 1
    /// Chunk sizes allowed: powers of two from 4 KiB to 64 MiB.
    public static let chunkSizes = (12...26).map { 1 << $0 }

    /// Human-readable model name (not used for identity beyond being hashed).
    public let name: String
    public let config: ModelConfig
    /// Provenance, e.g. `["format": "gguf", "file": "...", "sha256": "..."]`.
    public let source: [String: String]
    /// Sections in payload order, tiling `[0, payloadBytes)`.
    public let sections: [PackageSection]
    /// Bytes per chunk (the last chunk may be shorter, never empty).
    public let chunkSize: Int
    /// Total payload bytes.
    public let payloadBytes: Int
    /// `ChunkTree.hashLeaf` of each chunk, in order.
    public let chunkHashes: [[UInt8]]
    /// `ChunkTree.root(leafHashes: chunkHashes)`.
    public let chunkRoot: [UInt8]

    /// Number of chunks: `ceil(payloadBytes / chunkSize)`.
    public var chunkCount: Int { chunkHashes.count }

    /// Expected length of chunk `index`.
    public func chunkLength(_ index: Int) -> Int {
        min(chunkSize, payloadBytes - index * chunkSize)
    }

    /// The tokenizer's kind (`byte_level_bpe` / `wordpiece`), recorded in the manifest so that
    /// `model info` can show it without reading the payload.
    public let tokenizerKind: String

    /// Builds and checks a manifest.
    ///
    /// - Throws: `.badManifest` if the sections do not tile the payload, the chunk hashes do
    ///   not match the payload length or root, or the chunk size is not allowed.
    public init(
        name: String, config: ModelConfig, source: [String: String], sections: [PackageSection],
        tokenizerKind: String, chunkSize: Int, payloadBytes: Int, chunkHashes: [[UInt8]], chunkRoot: [UInt8]
    ) throws(ModelError) {
        guard Self.chunkSizes.contains(chunkSize) else {
            throw .badManifest("chunk_size \(chunkSize) is not a power of two in [4096, 67108864]")
        }
        guard payloadBytes >= 1 else { throw .badManifest("empty payload") }
        let want = (payloadBytes + chunkSize - 1) / chunkSize
        guard chunkHashes.count == want else {
            throw .badManifest(
                "\(chunkHashes.count) chunk hashes for \(payloadBytes) bytes in \(chunkSize)-byte chunks (want \(want))"
            )
        }
        guard chunkHashes.allSatisfy({ $0.count == 32 }), chunkRoot.count == 32 else {
            throw .badManifest("hashes must be 32 bytes")
        }
        let root = ChunkTree.root(leafHashes: chunkHashes)
        guard root == chunkRoot else {
            throw .chunkRootMismatch(got: hexString(root), want: hexString(chunkRoot))
        }
        var cursor = 0
        var names = Set<String>()
        var tokenizers = 0
        for s in sections {
            guard s.offset == cursor, s.length >= 1 else {
                throw .badManifest(
                    "section \(s.name) at [\(s.offset), +\(s.length)) does not follow byte \(cursor)")
            }
            guard names.insert(s.name).inserted else { throw .badManifest("duplicate section \(s.name)") }
            guard s.sha256.count == 32 else { throw .badManifest("section \(s.name): hash is not 32 bytes") }
            if s.kind == .tokenizer { tokenizers += 1 }
            cursor += s.length
        }
        guard cursor == payloadBytes else {
            throw .badManifest("sections cover \(cursor) of \(payloadBytes) payload bytes")
        }
        guard tokenizers == 1 else { throw .badManifest("\(tokenizers) tokenizer sections (want 1)") }
        do {
            try config.validate()
        } catch {
            throw .kernel(error)
        }
        self.name = name
        self.config = config
        self.source = source
        self.sections = sections
        self.tokenizerKind = tokenizerKind
        self.chunkSize = chunkSize
        self.payloadBytes = payloadBytes
        self.chunkHashes = chunkHashes
        self.chunkRoot = chunkRoot
    }

    // MARK: Canonical JSON (specs/model-package.md §3.1)

    public func canonicalJSON() -> CanonicalJSON {
        let c = config
        let configJSON: CanonicalJSON = .object([
            "architecture": .string(c.architecture.rawValue),
            "vocab_size": .int(Int64(c.vocabSize)),
            "width": .int(Int64(c.width)),
            "layers": .int(Int64(c.layers)),
            "heads": .int(Int64(c.heads)),
            "kv_heads": .int(Int64(c.kvHeads)),
            "head_dim": .int(Int64(c.headDim)),
            "ffn_width": .int(Int64(c.ffnWidth)),
            "max_positions": .int(Int64(c.maxPositions)),
            "rope_base_f64": CanonicalJSON.float64(c.ropeBase),
            "rope_style": .string(c.ropeStyle == .interleaved ? "interleaved" : "half_split"),
            "norm_epsilon_f64": CanonicalJSON.float64(c.normEpsilon),
            "type_vocab_size": .int(Int64(c.typeVocabSize)),
            "tied_embeddings": .bool(c.tiedEmbeddings),
            "activation_bits": .int(Int64(c.activationBits)),
            "weight_bits": .int(Int64(c.weightBits)),
        ])
        return .object([
            "format": .string(Self.format),
            "version": .int(Int64(Self.version)),
            "name": .string(name),
            "config": configJSON,
            "source": .object(source.mapValues { .string($0) }),
            "tokenizer": .object(["kind": .string(tokenizerKind)]),
            "sections": .array(
                sections.map {
                    .object([
                        "name": .string($0.name), "kind": .string($0.kind.rawValue),
                        "offset": .int(Int64($0.offset)), "length": .int(Int64($0.length)),
                        "sha256": .string(hexString($0.sha256)),
                    ])
                }),
            "payload": .object([
                "chunk_size": .int(Int64(chunkSize)),
                "bytes": .int(Int64(payloadBytes)),
                "chunk_hashes": .array(chunkHashes.map { .string(hexString($0)) }),
                "chunk_root": .string(hexString(chunkRoot)),
            ]),
        ])
    }

    /// The canonical manifest bytes (what `manifest.json` holds).
    public func encoded() -> Data { canonicalJSON().encoded() }

    /// The model id: SHA-256 of `encoded()`.
    public var modelID: ModelID {
        ModelID(digest: SHA256.hash(data: encoded()))
    }

    /// Parses `manifest.json` bytes.
    ///
    /// - Throws: `.badManifest` for non-canonical JSON, a wrong format or version, a missing or
    ///   mistyped field; `.kernel` for an invalid model config.
    public init(canonical data: Data) throws(ModelError) {
        let json = try CanonicalJSON(canonical: data)
        let top = "manifest"
        guard try json.string("format", in: top) == Self.format else {
            throw .badManifest("format is not \(Self.format)")
        }
        let version = try json.int("version", in: top)
        guard version == Self.version else { throw .badManifest("unsupported version \(version)") }
        let expectedTop: Set = [
            "format", "version", "name", "config", "source", "tokenizer", "sections", "payload",
        ]
        if case .object(let m) = json, let extra = m.keys.first(where: { !expectedTop.contains($0) }) {
            throw .badManifest("unknown field \(extra)")
        }
        let c = try json.field("config", in: top)
        let cp = "manifest.config"
        guard let arch = Architecture(rawValue: try c.string("architecture", in: cp)) else {
            throw .unsupportedArchitecture(try c.string("architecture", in: cp))
        }
        let ropeStyle: RopeStyle
        switch try c.string("rope_style", in: cp) {
        case "interleaved": ropeStyle = .interleaved
        case "half_split": ropeStyle = .halfSplit
        case let other: throw .badManifest("\(cp).rope_style \(other) is not interleaved or half_split")
        }
        let config = ModelConfig(
            architecture: arch, vocabSize: try c.int("vocab_size", in: cp), width: try c.int("width", in: cp),
            layers: try c.int("layers", in: cp), heads: try c.int("heads", in: cp),
            kvHeads: try c.int("kv_heads", in: cp), headDim: try c.int("head_dim", in: cp),
            ffnWidth: try c.int("ffn_width", in: cp), maxPositions: try c.int("max_positions", in: cp),
            ropeBase: try c.float64("rope_base_f64", in: cp), ropeStyle: ropeStyle,
            normEpsilon: try c.float64("norm_epsilon_f64", in: cp),
            typeVocabSize: try c.int("type_vocab_size", in: cp),
            tiedEmbeddings: try c.bool("tied_embeddings", in: cp),
            activationBits: try c.int("activation_bits", in: cp), weightBits: try c.int("weight_bits", in: cp)
        )
        var source: [String: String] = [:]
        guard case .object(let s) = try json.field("source", in: top) else {
            throw .badManifest("manifest.source is not an object")
        }
        for (k, v) in s {
            guard case .string(let str) = v else {
                throw .badManifest("manifest.source.\(k) is not a string")
            }
            source[k] = str
        }
        var sections: [PackageSection] = []
        for (i, item) in try json.array("sections", in: top).enumerated() {
            let p = "manifest.sections[\(i)]"
            let kindName = try item.string("kind", in: p)
            guard let kind = PackageSection.Kind(rawValue: kindName) else {
                throw .badManifest("\(p).kind \(kindName) is not tensor or tokenizer")
            }
            guard let hash = bytesFromHex(try item.string("sha256", in: p), count: 32) else {
                throw .badManifest("\(p).sha256 is not 64 lowercase hex digits")
            }
            sections.append(
                PackageSection(
                    name: try item.string("name", in: p), kind: kind, offset: try item.int("offset", in: p),
                    length: try item.int("length", in: p), sha256: hash))
        }
        let payload = try json.field("payload", in: top)
        let pp = "manifest.payload"
        var hashes: [[UInt8]] = []
        for (i, h) in try payload.stringArray("chunk_hashes", in: pp).enumerated() {
            guard let b = bytesFromHex(h, count: 32) else {
                throw .badManifest("\(pp).chunk_hashes[\(i)] is not 64 hex digits")
            }
            hashes.append(b)
        }
        guard let root = bytesFromHex(try payload.string("chunk_root", in: pp), count: 32) else {
            throw .badManifest("\(pp).chunk_root is not 64 hex digits")
        }
        try self.init(
            name: try json.string("name", in: top), config: config, source: source, sections: sections,
            tokenizerKind: try json.field("tokenizer", in: top).string("kind", in: "manifest.tokenizer"),
            chunkSize: try payload.int("chunk_size", in: pp), payloadBytes: try payload.int("bytes", in: pp),
            chunkHashes: hashes, chunkRoot: root)
        // Every field must round-trip: extra or missing nested fields change the bytes.
        guard encoded() == data else { throw .badManifest("manifest has fields outside the schema") }
    }
}
