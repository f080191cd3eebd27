import Foundation
import TestSupport
import Testing

@testable import Kernel

/// A block matrix from one code per weight (`[0, 15]` or `[-128, 127]`) and `(S, Z)` per block.
func blockMatrix(rows: Int, cols: Int, bits: Int, codes: [Int], scales: [Int16]) throws -> QuantizedMatrix {
    var packed = [UInt8](repeating: 0, count: bits == 4 ? rows * cols / 2 : rows * cols)
    for i in 0..<(rows * cols) {
        if bits == 4 {
            packed[i / 2] |= UInt8(codes[i]) << (4 * (i & 1))
        } else {
            packed[i] = UInt8(bitPattern: Int8(codes[i]))
        }
    }
    let blocks = try BlockWeights(rows: rows, cols: cols, codeBits: bits, codes: packed, blockScales: scales)
    let one = try DyadicMultiplier(multiplier: 1 << 14, shift: 14)
    return try QuantizedMatrix(
        blocks: blocks, outputScales: Array(repeating: one, count: rows),
        valueScales: Array(repeating: one, count: rows))
}

/// Naive exact GEMM in Int64 with the weights formed one by one: `sum_k x_k (S_b c_k + Z_b)`.
func naiveBlock(_ a: [Int16], rows m: Int, codes: [Int], scales: [Int16], n: Int, k: Int) -> [Int64] {
    var c = [Int64](repeating: 0, count: m * n)
    for i in 0..<m {
        for r in 0..<n {
            var s: Int64 = 0
            for j in 0..<k {
                let b = 2 * (r * (k / 32) + j / 32)
                let w = Int64(scales[b]) * Int64(codes[r * k + j]) + Int64(scales[b + 1])
                s += Int64(a[i * k + j]) * w
            }
            c[i * n + r] = s
        }
    }
    return c
}

/// The block GEMM (§3.5) on every path and 1/2/3 threads against naive loops; edge values;
/// the block tiny model on every path, split into shards, decoded step by step.
struct BlockPathTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 32), (1, 15, 64), (1, 16, 96), (2, 17, 32), (3, 33, 576), (1, 100, 1536), (33, 20, 128),
        (40, 16, 64), (5, 31, 2048),
    ]

    @Test(arguments: KernelPath.availableConcrete, [4, 8])
    func randomShapesMatchNaive(path: KernelPath, bits: Int) throws {
        var rng = SplitMix64(seed: 35 + UInt64(bits))
        let (lo, hi) = bits == 4 ? (0, 15) : (-128, 127)
        for (m, n, k) in Self.shapes {
            let codes = (0..<(n * k)).map { _ in rng.nextInt(lo, hi) }
            let scales = (0..<(n * k / 16)).map { _ in Int16(truncatingIfNeeded: rng.next()) }
            let w = try blockMatrix(rows: n, cols: k, bits: bits, codes: codes, scales: scales)
            let a = (0..<(m * k)).map { _ in Int16(truncatingIfNeeded: rng.next()) }
            let want = naiveBlock(a, rows: m, codes: codes, scales: scales, n: n, k: k)
            var reference = [Int64](repeating: 0, count: m * n)
            BlockGemm.reference(a, rows: m, try #require(w.blocks), into: &reference)
            #expect(reference == want)
            for threads in [1, 2, 3] {
                let got = try BlockGemm.multiply(
                    a, rows: m, try #require(w.blocks), options: .init(path: path, threads: threads))
                #expect(got == want, "\(path) \(bits)-bit \(m)x\(n)x\(k) t\(threads)")
            }
        }
    }

    /// Largest magnitudes at K = 2^16 (2048 blocks): codes at their extremes, `S`, `Z` and the
    /// activations at `±2^15` (-32768 included): sums near 2^53 come out exact.
    @Test(arguments: KernelPath.availableConcrete, [4, 8])
    func extremesAtMaximalK(path: KernelPath, bits: Int) throws {
        let k = 1 << 16
        let n = 3
        let cmax = bits == 4 ? 15 : -128
        let codes = (0..<(n * k)).map { i in i / k == 2 ? (bits == 4 ? 0 : 127) : cmax }
        let scales: [Int16] = (0..<(n * k / 16)).map { i in
            [Int16.min, Int16.min, Int16.max, Int16.min, -1, Int16.max][(i / (k / 16)) * 2 + (i & 1)]
        }
        let w = try blockMatrix(rows: n, cols: k, bits: bits, codes: codes, scales: scales)
        for a0 in [Int16.min, Int16.max, -1] {
            let a = [Int16](repeating: a0, count: k)
            let want = naiveBlock(a, rows: 1, codes: codes, scales: scales, n: n, k: k)
            for threads in [1, 2] {
                let got = try BlockGemm.multiply(
                    a, rows: 1, try #require(w.blocks), options: .init(path: path, threads: threads))
                #expect(got == want, "\(path) \(bits)-bit a=\(a0) t\(threads)")
            }
        }
    }

    @Test func blockModelAllPathsThreadsShardsAgree() throws {
        let model = try TinyModel.blockLlama()
        #expect(model.tokenEmbedding.blocks?.codeBits == 8)
        if case .llama(let bs) = model.blocks { #expect(bs[0].down.matrix.blocks?.codeBits == 4) }
        let ids = ShardTests.prompt
        let input = try CanonicalTensor(kind: .tokenIDs, shape: [ids.count], values: .int32(ids))
        var seen = Set<String>()
        for path in KernelPath.availableConcrete {
            for threads in [1, 2, 3] {
                let out = try Shard(model: model, layers: 0..<3, options: .init(path: path, threads: threads))
                    .run(input, logits: .all)
                seen.insert(out.commitmentHex)
            }
        }
        #expect(seen.count == 1)
        let whole = try Shard(model: model, layers: 0..<3).run(input)
        let mid = try Shard(model: model, layers: 0..<1).run(input)
        let rest = try Shard(model: model, layers: 1..<3).run(try CanonicalTensor(decoding: mid.encoded()))
        #expect(rest == whole)
    }

    /// Decode (one token per step, KV cache) gives the logits of prefill (all positions at once).
    @Test func decodeEqualsPrefill() throws {
        let model = try TinyModel.blockLlama()
        let ids = ShardTests.prompt
        for path in KernelPath.availableConcrete {
            let shard = try Shard(model: model, layers: 0..<3, options: .init(path: path, threads: 2))
            let all = try shard.run(
                try CanonicalTensor(kind: .tokenIDs, shape: [ids.count], values: .int32(ids)), logits: .all
            ).int32Values()
            var state = shard.makeState()
            for (t, id) in ids.enumerated() {
                let one = try shard.step(
                    try CanonicalTensor(kind: .tokenIDs, shape: [1], values: .int32([id])), state: &state)
                #expect(
                    try one.int32Values() == Array(all[(t * 64)..<((t + 1) * 64)]), "\(path) position \(t)")
            }
        }
    }

    /// The package form (`X.codes4` / `X.codes8`, `X.blocks`, `X.scales`) rebuilds the same model.
    @Test func namedTensorsRoundTrip() throws {
        let model = try TinyModel.blockLlama()
        let named = model.namedTensors()
        #expect(named.contains { $0.name == "token_embd.codes8" })
        #expect(named.contains { $0.name == "blk.2.ffn_down.codes4" })
        #expect(named.first { $0.name == "blk.0.attn_q.blocks" }?.tensor.shape == [32, 1, 2])
        let again = try QuantizedModel(
            config: model.config,
            tensors: Dictionary(uniqueKeysWithValues: named.map { ($0.name, $0.tensor) }))
        #expect(again == model)
    }

    /// §3.5 import rounding on known blocks: `D = max |d|, |m|`, `S = rne(d 32767 / D)`.
    @Test func quantizeBlockMatrixRoundsOnce() throws {
        let source = SourceBlocks(
            codeBits: 4, scales: [1, 0.5], offsets: [-8, 3], codes: (0..<64).map { UInt8($0 % 16) })
        let m = try Quantizer.quantizeBlockMatrix(
            name: "w", source: source, rows: 1, cols: 64, activationBits: 16)
        let b = try #require(m.blocks)
        #expect(b.blockScales == [4096, -32767, 2048, 12288])  // 4095.875, 2047.94, 12287.6
        #expect(m.outputScales[0] == (try DyadicMultiplier(factor: 8.0 / (32767.0 * 32767.0))))
        #expect(m.weight(0, 33) == 2048 * 1 + 12288)
        #expect(throws: KernelError.self) {
            try Quantizer.quantizeBlockMatrix(
                name: "w", source: source, rows: 1, cols: 48, activationBits: 16)
        }
        let bad = SourceBlocks(
            codeBits: 4, scales: [1], offsets: [0], codes: [16] + Array(repeating: 0, count: 31))
        #expect(throws: KernelError.valueOutOfRange(what: "w code 0", value: 16, range: "[0, 15]")) {
            try Quantizer.quantizeBlockMatrix(name: "w", source: bad, rows: 1, cols: 32, activationBits: 16)
        }
        let nan = SourceBlocks(
            codeBits: 4, scales: [.nan], offsets: [0], codes: Array(repeating: 0, count: 32))
        #expect(throws: KernelError.nonFiniteWeight(tensor: "w", index: 0)) {
            try Quantizer.quantizeBlockMatrix(name: "w", source: nan, rows: 1, cols: 32, activationBits: 16)
        }
        let zero = try Quantizer.quantizeBlockMatrix(
            name: "w",
            source: SourceBlocks(
                codeBits: 8, scales: [0], offsets: [0], codes: Array(repeating: 7, count: 32)),
            rows: 1, cols: 32, activationBits: 16)
        #expect(zero.outputScales[0] == .zero && zero.weight(0, 5) == 0)
    }

    /// The `blockDense` vectors of Fixtures/kernel/blocks.json, rebuilt from their inline
    /// integers, on every path and 1, 2, 3 threads: accumulators and dense outputs; and the tiny
    /// block llama's output commitment on every path and thread count.
    @Test func blockVectorsOnEveryPathAndThreadCount() throws {
        let url = RepoPaths.fixture("kernel/blocks.json")
        let v = try JSONDecoder().decode(ConformanceVectors.BlockVectors.self, from: Data(contentsOf: url))
        #expect(v.ops.count == 4 && v.models.count == 1)
        for c in v.ops {
            let p = c.params.mapValues { Int($0) }
            let (t, k, n, bits) = (p["tokens"] ?? 0, p["k"] ?? 0, p["n"] ?? 0, p["codeBits"] ?? 0)
            let x = c.inputs
            let codes = try #require(x["codes"]).map { Int($0) }
            let sv = try #require(x["S"])
            let zv = try #require(x["Z"])
            let scales = (0..<(2 * sv.count)).map { Int16($0 & 1 == 0 ? sv[$0 / 2] : zv[$0 / 2]) }
            let rows = try (0..<n).map { o in
                try DyadicMultiplier(
                    multiplier: Int32(try #require(x["M"])[o]), shift: Int32(try #require(x["sh"])[o]))
            }
            let unit = try blockMatrix(rows: n, cols: k, bits: bits, codes: codes, scales: scales)
            let m = try QuantizedMatrix(
                blocks: try #require(unit.blocks), outputScales: rows, valueScales: rows)
            let a = try QuantizedActivations(
                tokens: t, width: k, bits: 16, values: try #require(x["q"]).map { Int16($0) },
                mantissas: try #require(x["mant"]).map { Int32($0) },
                exponents: try #require(x["e"]).map { Int32($0) })
            for path in KernelPath.availableConcrete {
                for threads in [1, 2, 3] {
                    let options = ExecutionOptions(path: path, threads: threads)
                    let acc = try Dense.accumulate(a, m, options: options)
                    let y = try Dense.apply(a, try LinearWeights(matrix: m), options: options)
                    #expect(acc + y.map { Int64($0) } == c.want, "\(c.desc) \(path) t\(threads)")
                }
            }
        }
        let want = try #require(v.models.first)
        let model = try TinyModel.blockLlama(seed: want.seed)
        let input = try CanonicalTensor(
            kind: .tokenIDs, shape: [want.prompt.count], values: .int32(want.prompt))
        for path in KernelPath.availableConcrete {
            for threads in [1, 2, 3] {
                let shard = try Shard(
                    model: model, layers: 0..<model.config.layers,
                    options: .init(path: path, threads: threads))
                #expect(try shard.run(input).commitmentHex == want.outputCommitment, "\(path) t\(threads)")
            }
        }
    }

    @Test func malformedBlocksAreTypedErrors() throws {
        #expect(throws: KernelError.self) {
            try BlockWeights(
                rows: 1, cols: 48, codeBits: 4, codes: Array(repeating: 0, count: 24), blockScales: [0, 0])
        }
        #expect(throws: KernelError.invalidConfig(field: "codeBits", reason: "must be 4 or 8, got 2")) {
            try BlockWeights(rows: 1, cols: 32, codeBits: 2, codes: [], blockScales: [0, 0])
        }
        #expect(throws: KernelError.wrongShape(what: "block codes", got: [15], want: [16])) {
            try BlockWeights(
                rows: 1, cols: 32, codeBits: 4, codes: Array(repeating: 0, count: 15), blockScales: [0, 0])
        }
        var config = TinyModel.blockLlamaConfig()
        config.weightBits = 4
        #expect(throws: Never.self) { try config.validate() }
        // weightBits 4 on float weights without source blocks: refused, not silently 16-bit rows.
        let floats = TinyModel.floatWeights(config: config, seed: 3)
        let refusal = #expect(throws: KernelError.self) { try Quantizer.quantize(floats) }
        guard case .invalidConfig(let field, _) = refusal else {
            Issue.record("want invalidConfig(weightBits), got \(String(describing: refusal))")
            return
        }
        #expect(field == "weightBits")
        config.weightBits = 5
        #expect(throws: KernelError.self) { try config.validate() }
    }
}
