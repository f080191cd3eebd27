import Foundation
import Kernel
import TestSupport
import Testing

@testable import Models

@Suite("model package")
struct ModelPackageTests {
    @Test("write then load round-trips the model and tokenizer, for both architectures")
    func roundTrip() throws {
        for arch in [Architecture.llama, .bert] {
            let dir = try RepoPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let (model, tokenizer) = try TinyPackage.make(arch, seed: 7)
            let manifest = try ModelPackage.write(
                model: model, tokenizer: tokenizer, name: "t", to: dir, chunkSize: 4096)
            #expect(manifest.chunkCount > 1)
            let loaded = try ModelPackage.load(directory: dir)
            #expect(loaded.model == model)
            #expect(loaded.tokenizer == tokenizer)
            #expect(loaded.id == manifest.modelID)
            #expect(try ModelPackage.verify(directory: dir) == .valid(manifest.modelID))
            // The manifest on disk is exactly the canonical encoding, and the id is its hash.
            let bytes = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
            #expect(bytes == manifest.encoded())
            #expect(try PackageManifest(canonical: bytes) == manifest)
            // Writing over an existing package is refused.
            #expect(throws: ModelError.self) {
                try ModelPackage.write(
                    model: model, tokenizer: tokenizer, name: "t", to: dir, chunkSize: 4096)
            }
        }
    }

    @Test("the same inputs give the same model id; a different seed or chunk size another")
    func determinism() throws {
        let a = try ModelPackage.assemble(
            model: try TinyPackage.make(.llama, seed: 3).0,
            tokenizer: try TinyPackage.make(.llama, seed: 3).1,
            name: "x", source: [:], chunkSize: 4096)
        let b = try ModelPackage.assemble(
            model: try TinyPackage.make(.llama, seed: 3).0,
            tokenizer: try TinyPackage.make(.llama, seed: 3).1,
            name: "x", source: [:], chunkSize: 4096)
        #expect(a.manifest.modelID == b.manifest.modelID)
        #expect(a.payload == b.payload)
        let (m4, t4) = try TinyPackage.make(.llama, seed: 4)
        let c = try ModelPackage.assemble(model: m4, tokenizer: t4, name: "x", source: [:], chunkSize: 4096)
        #expect(c.manifest.modelID != a.manifest.modelID)
        let (m3, t3) = try TinyPackage.make(.llama, seed: 3)
        let d = try ModelPackage.assemble(model: m3, tokenizer: t3, name: "x", source: [:], chunkSize: 8192)
        #expect(d.manifest.modelID != a.manifest.modelID)
        #expect(d.manifest.chunkRoot != a.manifest.chunkRoot)
    }

    @Test("a corrupt, truncated, missing or extended chunk is named")
    func corruptChunks() throws {
        let dir = try RepoPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try TinyPackage.write(architecture: .llama, seed: 1, to: dir)
        let index = 3
        let url = dir.appendingPathComponent(ModelPackage.chunkPath(index))
        let original = try Data(contentsOf: url)

        var flipped = original
        flipped[100] ^= 0x01
        try flipped.write(to: url)
        #expect(
            throws: ModelError.chunkHashMismatch(
                index: index, got: hexString(ChunkTree.hashLeaf(flipped)),
                want: hexString(manifest.chunkHashes[index]))
        ) {
            try ModelPackage.load(directory: dir)
        }
        guard case .invalid(let reason) = try ModelPackage.verify(directory: dir) else {
            Issue.record("corrupt chunk verified")
            return
        }
        #expect(reason.hasPrefix("chunk 3: SHA-256"))

        try original.prefix(original.count - 1).write(to: url)
        #expect(
            throws: ModelError.chunkSizeMismatch(index: index, got: original.count - 1, want: original.count)
        ) {
            try ModelPackage.load(directory: dir)
        }
        try (original + [0]).write(to: url)
        #expect(
            throws: ModelError.chunkSizeMismatch(index: index, got: original.count + 1, want: original.count)
        ) {
            try ModelPackage.load(directory: dir)
        }
        try FileManager.default.removeItem(at: url)
        #expect(throws: ModelError.chunkMissing(index: index, path: url.path)) {
            try ModelPackage.load(directory: dir)
        }
        try original.write(to: url)
        #expect(try ModelPackage.verify(directory: dir) == .valid(manifest.modelID))
    }

    @Test("a tampered manifest is rejected")
    func tamperedManifest() throws {
        let dir = try RepoPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try TinyPackage.write(architecture: .bert, seed: 2, to: dir)
        let url = dir.appendingPathComponent("manifest.json")
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        // Pretty-printing the same content is not canonical.
        let pretty = text.replacingOccurrences(of: ",\"", with: ", \"")
        try Data(pretty.utf8).write(to: url)
        #expect(throws: ModelError.self) { try ModelPackage.verify(directory: dir) }
        // A changed chunk hash no longer matches the root.
        let h0 = hexString(manifest.chunkHashes[0])
        let changed = text.replacingOccurrences(of: h0, with: String(repeating: "0", count: 64))
        try Data(changed.utf8).write(to: url)
        #expect(
            throws: ModelError.chunkRootMismatch(
                got: hexString(
                    ChunkTree.root(
                        leafHashes: [[UInt8](repeating: 0, count: 32)] + manifest.chunkHashes.dropFirst())),
                want: hexString(manifest.chunkRoot))
        ) {
            try ModelPackage.readManifest(directory: dir)
        }
        // An unknown field is rejected even when canonical.
        let extra = text.replacingOccurrences(of: "{\"config\"", with: "{\"aaa\":1,\"config\"")
        try Data(extra.utf8).write(to: url)
        #expect(throws: ModelError.badManifest("unknown field aaa")) {
            try ModelPackage.readManifest(directory: dir)
        }
        try FileManager.default.removeItem(at: url)
        #expect(throws: ModelError.self) { try ModelPackage.verify(directory: dir) }
    }

    @Test("synthetic tokenizers round-trip text and have the requested size")
    func syntheticTokenizers() throws {
        let bpe = try TinyPackage.byteLevelTokenizer(vocabularySize: 400)
        #expect(bpe.vocabularySize == 400)
        let text = "The validator re-runs 42 shards. Ünïcödé!"
        let ids = bpe.encode(text)
        #expect(ids.count < text.utf8.count)
        #expect(try bpe.decode(ids) == text)
        // The kernel's tiny llama has 64 tokens: lowercase text still round-trips.
        let small = try TinyPackage.byteLevelTokenizer(vocabularySize: 64)
        #expect(small.vocabularySize == 64)
        #expect(try small.decode(small.encode("the nodes run the model.")) == "the nodes run the model.")
        let wp = try TinyPackage.wordPieceTokenizer(vocabularySize: 160)
        #expect(wp.vocabularySize == 160)
        #expect(try wp.decode(wp.encode("The ledger records karma.")) == "the ledger records karma .")
        let wpSmall = try TinyPackage.wordPieceTokenizer(vocabularySize: 64)
        #expect(try wpSmall.decode(wpSmall.encode("Hello world")) == "hello world")
    }
}
