import Testing

@testable import Kernel

struct ShardTests {
    static let prompt: [Int32] = [1, 5, 9, 33, 2, 63, 0, 17, 40, 41, 12]

    func tokens(_ ids: [Int32]) throws -> CanonicalTensor {
        try CanonicalTensor(kind: .tokenIDs, shape: [ids.count], values: .int32(ids))
    }

    @Test(arguments: [(8, 8), (16, 8), (8, 16), (16, 16)])
    func llamaAllPathsAndThreadsAgree(bits: Int, weightBits: Int) throws {
        let model = try TinyModel.llama(activationBits: bits, weightBits: weightBits)
        var seen = Set<String>()
        for path in KernelPath.availableConcrete {
            for threads in [1, 2, 3] {
                let shard = try Shard(
                    model: model, layers: 0..<3, options: .init(path: path, threads: threads))
                let out = try shard.run(try tokens(Self.prompt), logits: .all)
                #expect(out.kind == .logits)
                #expect(out.shape == [Self.prompt.count, 64])
                seen.insert(out.commitmentHex)
            }
        }
        #expect(seen.count == 1)
    }

    @Test func bertAllPathsAgree() throws {
        let model = try TinyModel.bert()
        var seen = Set<String>()
        for path in KernelPath.availableConcrete {
            for threads in [1, 2, 3] {
                let shard = try Shard(
                    model: model, layers: 0..<2, options: .init(path: path, threads: threads))
                let out = try shard.run(try tokens(Self.prompt))
                #expect(out.kind == .embedding)
                seen.insert(out.commitmentHex)
            }
        }
        #expect(seen.count == 1)
    }

    /// Running [0,1) then [1,3) equals running [0,3): shard boundaries are exact.
    @Test func splitShardsEqualWhole() throws {
        for model in [try TinyModel.llama(), try TinyModel.bert()] {
            let n = model.config.layers
            let whole = try Shard(model: model, layers: 0..<n).run(try tokens(Self.prompt))
            let mid = try Shard(model: model, layers: 0..<1).run(try tokens(Self.prompt))
            #expect(mid.kind == .hidden)
            let decoded = try CanonicalTensor(decoding: mid.encoded())
            let rest = try Shard(model: model, layers: 1..<n).run(decoded)
            #expect(rest == whole)
        }
    }

    /// Incremental decoding with a KV cache gives the same logits as recomputing from scratch.
    @Test func kvCacheMatchesRecompute() throws {
        let model = try TinyModel.llama()
        let gen = try ShardedGenerator(model: model, parts: 2)
        let produced = try gen.generate(prompt: Self.prompt, maxTokens: 5)
        #expect(produced.count == 5)
        var seq = Self.prompt
        let full = try Shard(model: model, layers: 0..<3)
        for t in produced {
            let logits = try full.run(try tokens(seq)).int32Values()
            #expect(Int32(ShardedGenerator.argmax(logits)) == t)
            seq.append(t)
        }
        let one = try ShardedGenerator(model: model, parts: 3).generate(prompt: Self.prompt, maxTokens: 5)
        #expect(one == produced)
    }

    @Test func badInputsAreTypedErrors() throws {
        let model = try TinyModel.llama()
        #expect(throws: KernelError.layerRangeOutOfBounds(start: 2, end: 4, layers: 3)) {
            try Shard(model: model, layers: 2..<4)
        }
        #expect(throws: KernelError.layerRangeOutOfBounds(start: 1, end: 1, layers: 3)) {
            try Shard(model: model, layers: 1..<1)
        }
        let first = try Shard(model: model, layers: 0..<1)
        #expect(throws: KernelError.tokenOutOfRange(token: 64, vocab: 64)) {
            try first.run(try tokens([1, 64]))
        }
        #expect(throws: KernelError.sequenceTooLong(positions: 65, maxPositions: 64)) {
            try first.run(try tokens([Int32](repeating: 1, count: 65)))
        }
        let second = try Shard(model: model, layers: 1..<3)
        #expect(throws: KernelError.wrongTensorKind(got: "token-ids", want: "hidden")) {
            try second.run(try tokens([1, 2]))
        }
        let wrongWidth = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [2, 31], values: .int32(.init(repeating: 0, count: 62)))
        #expect(throws: KernelError.self) { try second.run(wrongWidth) }
    }
}
