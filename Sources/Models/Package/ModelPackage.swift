import Crypto
import Foundation
import Kernel

/// A package loaded and fully verified: the kernel model, its tokenizer and its id.
public struct LoadedModel: Sendable {
    /// SHA-256 of the canonical manifest.
    public let id: ModelID
    public let manifest: PackageManifest
    public let model: QuantizedModel
    public let tokenizer: Tokenizer
}

/// The outcome of checking a package against its manifest.
public enum PackageVerdict: Sendable, Equatable {
    /// Every chunk, section, tensor and the tokenizer check out.
    case valid(ModelID)
    /// The manifest parses but the data does not match it (the reason names the chunk,
    /// section or tensor).
    case invalid(reason: String)
}

/// Progress of a long package operation, reported through a callback.
public struct PackageProgress: Sendable {
    /// What is happening ("write chunks", "verify chunks").
    public let phase: String
    public let done: Int
    public let total: Int
}

/// The content-addressed model package on disk (specs/model-package.md).
///
/// ```
/// DIR/manifest.json          canonical JSON manifest; model id = SHA-256 of its bytes
/// DIR/chunks/00000000.bin    payload bytes [0, chunk_size)
/// DIR/chunks/00000001.bin    payload bytes [chunk_size, 2·chunk_size) ...
/// ```
///
/// The payload is the concatenation of the sections listed in the manifest: every tensor of
/// `QuantizedModel.namedTensors()` as a canonical tensor (specs/kernel.md §7), in that order,
/// then the tokenizer as canonical JSON.
public enum ModelPackage {
    public static let manifestFile = "manifest.json"
    public static let chunkDirectory = "chunks"
    public static let defaultChunkSize = 1 << 20

    /// The relative path of chunk `index`: `chunks/` + 8 decimal digits + `.bin`.
    public static func chunkPath(_ index: Int) -> String {
        let digits = String(index)
        return chunkDirectory + "/" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
            + ".bin"
    }

    /// Builds the manifest and payload for `model` (deterministic: the same inputs give the
    /// same bytes and the same model id everywhere).
    public static func assemble(
        model: QuantizedModel, tokenizer: Tokenizer, name: String, source: [String: String],
        chunkSize: Int = defaultChunkSize
    ) throws(ModelError) -> (manifest: PackageManifest, payload: Data) {
        guard tokenizer.vocabularySize == model.config.vocabSize else {
            throw .badTokenizer(
                "tokenizer has \(tokenizer.vocabularySize) tokens, model vocabulary is \(model.config.vocabSize)"
            )
        }
        var payload = Data()
        var sections: [PackageSection] = []
        func add(_ name: String, _ kind: PackageSection.Kind, _ bytes: Data) {
            sections.append(
                PackageSection(
                    name: name, kind: kind, offset: payload.count, length: bytes.count,
                    sha256: Array(SHA256.hash(data: bytes))))
            payload.append(bytes)
        }
        for (tensorName, tensor) in model.namedTensors() { add(tensorName, .tensor, tensor.encoded()) }
        add("tokenizer", .tokenizer, tokenizer.canonicalJSON().encoded())
        guard PackageManifest.chunkSizes.contains(chunkSize) else {
            throw .badManifest("chunk_size \(chunkSize) is not a power of two in [4096, 67108864]")
        }
        var hashes: [[UInt8]] = []
        var offset = 0
        while offset < payload.count {
            let end = min(offset + chunkSize, payload.count)
            hashes.append(ChunkTree.hashLeaf(payload[offset..<end]))
            offset = end
        }
        let manifest = try PackageManifest(
            name: name, config: model.config, source: source, sections: sections,
            tokenizerKind: tokenizer.kind,
            chunkSize: chunkSize, payloadBytes: payload.count, chunkHashes: hashes,
            chunkRoot: ChunkTree.root(leafHashes: hashes))
        return (manifest, payload)
    }

    /// Writes a package into `directory` (created if needed; it must not already hold a
    /// manifest), then loads it back and checks that it verifies and reproduces `model`.
    ///
    /// - Returns: the manifest written (its `modelID` is the package's id).
    /// - Throws: `.io` for file errors or an existing package, any load error if the written
    ///   package does not read back identically.
    @discardableResult
    public static func write(
        model: QuantizedModel, tokenizer: Tokenizer, name: String, source: [String: String] = [:],
        to directory: URL, chunkSize: Int = defaultChunkSize,
        progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> PackageManifest {
        let (manifest, payload) = try assemble(
            model: model, tokenizer: tokenizer, name: name, source: source, chunkSize: chunkSize)
        let fm = FileManager.default
        let manifestURL = directory.appendingPathComponent(manifestFile)
        guard !fm.fileExists(atPath: manifestURL.path) else {
            throw .io(
                path: manifestURL.path, reason: "a package already exists here; choose an empty directory")
        }
        do {
            try fm.createDirectory(
                at: directory.appendingPathComponent(chunkDirectory), withIntermediateDirectories: true)
            for i in 0..<manifest.chunkCount {
                let start = i * manifest.chunkSize
                let chunk = payload[start..<(start + manifest.chunkLength(i))]
                try Data(chunk).write(to: directory.appendingPathComponent(chunkPath(i)), options: .atomic)
                progress?(PackageProgress(phase: "write chunks", done: i + 1, total: manifest.chunkCount))
            }
            // The manifest goes last: a directory with a manifest is a complete package.
            try manifest.encoded().write(to: manifestURL, options: .atomic)
        } catch {
            throw .io(path: directory.path, reason: "cannot write package: \(error.localizedDescription)")
        }
        let loaded = try load(directory: directory, progress: progress)
        guard loaded.id == manifest.modelID, loaded.model == model, loaded.tokenizer == tokenizer else {
            throw .io(path: directory.path, reason: "package read back differs from what was written")
        }
        return manifest
    }

    /// Reads and parses `DIR/manifest.json`.
    public static func readManifest(directory: URL) throws(ModelError) -> PackageManifest {
        let url = directory.appendingPathComponent(manifestFile)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, reason: "cannot read manifest: \(error.localizedDescription)")
        }
        guard data.count <= 64 << 20 else { throw .badManifest("manifest.json is larger than 64 MiB") }
        return try PackageManifest(canonical: data)
    }

    /// Reads chunk `index` and checks its length and leaf hash against the manifest.
    ///
    /// - Throws: `.chunkMissing`, `.chunkSizeMismatch` or `.chunkHashMismatch` naming the chunk.
    public static func readChunk(directory: URL, manifest: PackageManifest, index: Int) throws(ModelError)
        -> Data
    {
        let url = directory.appendingPathComponent(chunkPath(index))
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .chunkMissing(index: index, path: url.path)
        }
        let want = manifest.chunkLength(index)
        guard data.count == want else { throw .chunkSizeMismatch(index: index, got: data.count, want: want) }
        let leaf = ChunkTree.hashLeaf(data)
        guard leaf == manifest.chunkHashes[index] else {
            throw .chunkHashMismatch(
                index: index, got: hexString(leaf), want: hexString(manifest.chunkHashes[index]))
        }
        return data
    }

    /// Loads a package, verifying every chunk against the manifest, every section against its
    /// SHA-256, and the model and tokenizer against the config.
    ///
    /// - Throws: the first problem found, naming the chunk, section or tensor.
    public static func load(
        directory: URL, progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> LoadedModel {
        try load(manifest: try readManifest(directory: directory), directory: directory, progress: progress)
    }

    /// Loads the payload described by an already parsed `manifest` from `directory`.
    static func load(
        manifest: PackageManifest, directory: URL, progress: (@Sendable (PackageProgress) -> Void)?
    ) throws(ModelError) -> LoadedModel {
        var payload = Data()
        payload.reserveCapacity(manifest.payloadBytes)
        for i in 0..<manifest.chunkCount {
            payload.append(try readChunk(directory: directory, manifest: manifest, index: i))
            progress?(PackageProgress(phase: "verify chunks", done: i + 1, total: manifest.chunkCount))
        }
        var tensors: [String: CanonicalTensor] = [:]
        var tokenizer: Tokenizer? = nil
        for s in manifest.sections {
            let bytes = payload[s.offset..<(s.offset + s.length)]
            let hash = Array(SHA256.hash(data: bytes))
            guard hash == s.sha256 else {
                throw .badManifest(
                    "section \(s.name): SHA-256 \(hexString(hash)), manifest says \(hexString(s.sha256))")
            }
            switch s.kind {
            case .tensor:
                do {
                    tensors[s.name] = try CanonicalTensor(decoding: bytes)
                } catch {
                    throw .kernel(error)
                }
            case .tokenizer:
                tokenizer = try Tokenizer(canonicalJSON: try CanonicalJSON(canonical: Data(bytes)))
            }
        }
        guard let tokenizer else { throw .badManifest("no tokenizer section") }
        guard tokenizer.kind == manifest.tokenizerKind else {
            throw .badManifest(
                "tokenizer section is \(tokenizer.kind), manifest says \(manifest.tokenizerKind)")
        }
        guard tokenizer.vocabularySize == manifest.config.vocabSize else {
            throw .badTokenizer(
                "tokenizer has \(tokenizer.vocabularySize) tokens, config vocab_size is \(manifest.config.vocabSize)"
            )
        }
        let model: QuantizedModel
        do {
            model = try QuantizedModel(config: manifest.config, tensors: tensors)
        } catch {
            throw .kernel(error)
        }
        // Canonical order: the sections must be exactly the model's tensors in §6 order.
        let order = model.namedTensors().map(\.name) + ["tokenizer"]
        guard order == manifest.sections.map(\.name) else {
            throw .badManifest("sections are not in canonical tensor order")
        }
        return LoadedModel(id: manifest.modelID, manifest: manifest, model: model, tokenizer: tokenizer)
    }

    /// Checks a package: `.valid(id)` when everything matches the manifest, `.invalid(reason)`
    /// when a chunk, section, tensor or the tokenizer does not.
    ///
    /// - Throws: only when `manifest.json` is missing or malformed.
    public static func verify(
        directory: URL, progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> PackageVerdict {
        let manifest = try readManifest(directory: directory)
        do {
            let loaded = try load(manifest: manifest, directory: directory, progress: progress)
            return .valid(loaded.id)
        } catch {
            return .invalid(reason: error.description)
        }
    }

    /// The inclusion proof of chunk `index` against `manifest.chunkRoot`, for a seeder to send
    /// with the chunk; `nil` if `index` is out of range.
    public static func inclusionProof(manifest: PackageManifest, index: Int) -> ChunkInclusionProof? {
        ChunkTree.inclusionProof(index: index, leafHashes: manifest.chunkHashes)
    }
}
