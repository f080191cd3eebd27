import Dispatch
import Synchronization
import Testing

@testable import Kernel

/// A 16-bit-weight matrix whose combined weights are `values` (each in `[-2^15, 32639]`, the
/// range two int8 planes `256 * hi + lo` can hold inside int16).
func wideMatrix(rows: Int, cols: Int, _ values: [Int]) throws -> QuantizedMatrix {
    let one = try DyadicMultiplier(multiplier: 1 << 14, shift: 14)
    let hi = values.map { Int8(($0 + 128) >> 8) }
    let lo = values.indices.map { Int8(values[$0] - 256 * Int(hi[$0])) }
    return try QuantizedMatrix(
        rows: rows, cols: cols, weights: hi, lowWeights: lo,
        outputScales: Array(repeating: one, count: rows), valueScales: Array(repeating: one, count: rows))
}

/// Naive exact int16 GEMM in Int64 straight from §3.4 (`w.weight` = `256 * hi + lo`).
func naiveWide(_ a: [Int16], rows: Int, _ w: QuantizedMatrix) -> [Int64] {
    var c = [Int64](repeating: 0, count: rows * w.rows)
    for i in 0..<rows {
        for j in 0..<w.rows {
            var s: Int64 = 0
            for k in 0..<w.cols { s += Int64(a[i * w.cols + k]) * w.weight(j, k) }
            c[i * w.rows + j] = s
        }
    }
    return c
}

/// Q16 rows for the C-vs-Swift checks: row `r` of round `round` is, by `(round + r) % 5`, the
/// extremes (`Int32.min`, `±(2^31 - 1)`, 0, ±1), zeros, random values shifted down to any size,
/// values around powers of two, or full-range random values.
func edgeRows(rows: Int, width: Int, round: Int, _ rng: inout SplitMix64) -> [Int32] {
    (0..<(rows * width)).map { i in
        switch (round + i / width) % 5 {
        case 0: return [Int32.min, Int32.max, -Int32.max, 0, 1, -1][i % 6]
        case 1: return 0
        case 2: return Int32(truncatingIfNeeded: rng.next()) >> Int32(rng.nextInt(0, 31))
        case 3: return [255, -256, 128, -129, 65535, -65536][i % 6]
        default: return Int32(truncatingIfNeeded: rng.next())
        }
    }
}

/// The int16 path (vpdpwssd / vpmaddwd / scalar) against naive loops and against the int8-plane
/// path, on every available path and 1/2/3 threads; and the per-token C code (requantization,
/// quantization, attention) against its Swift reference.
struct WidePathTests {
    static let widePaths = KernelPath.availableConcrete.filter { $0 != .blas }
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 9, 31), (1, 17, 32), (2, 8, 33), (3, 11, 576), (1, 13, 1536), (5, 9, 2047),
        (2, 5, 2048), (1, 7, 2049), (4, 3, 4099),
    ]

    @Test(arguments: widePaths)
    func randomShapesMatchNaiveAndPlanes(path: KernelPath) throws {
        var rng = SplitMix64(seed: 16)
        for (m, n, k) in Self.shapes {
            let values = (0..<(n * k)).map { _ in rng.nextInt(-32768, 32639) }
            let w = try wideMatrix(rows: n, cols: k, values)
            #expect(w.wideWeights != nil)
            let a = (0..<(m * k)).map { _ in Int16(rng.nextInt(-32767, 32767)) }
            let want = naiveWide(a, rows: m, w)
            let input = try QuantizedActivations(
                tokens: m, width: k, bits: 16, values: a, mantissas: Array(repeating: 1, count: m),
                exponents: Array(repeating: 0, count: m))
            for threads in [1, 2, 3] {
                let opts = ExecutionOptions(path: path, threads: threads)
                let got = try IntegerGemm.multiplyWide(a, rows: m, w, options: opts)
                #expect(got == want, "\(path) \(m)x\(n)x\(k) t\(threads)")
                #expect(try Dense.accumulatePlanes(input, w, options: opts) == want, "\(path) planes")
            }
        }
    }

    /// Every combination of the extreme values (±2^15 activations including -32768, weights
    /// -32768 and 32639) at K = 2^16: the largest sums (~2^46) come out exact.
    @Test(arguments: widePaths)
    func extremesAtMaximalK(path: KernelPath) throws {
        let k = 1 << 16
        for wv in [-32768, 32639, -1] {
            let w = try wideMatrix(rows: 3, cols: k, Array(repeating: wv, count: 3 * k))
            for av in [Int16.min, Int16.max, -32767, 255, -256] {
                let a = [Int16](repeating: av, count: 2 * k)
                for threads in [1, 2, 3] {
                    let got = try IntegerGemm.multiplyWide(
                        a, rows: 2, w, options: .init(path: path, threads: threads))
                    let want = Int64(av) * Int64(wv) * Int64(k)
                    #expect(got == [Int64](repeating: want, count: 6), "\(path) \(av)*\(wv) t\(threads)")
                }
            }
        }
    }

    /// Alternating signs inside one lane block: partial sums swing without leaving the bound.
    @Test(arguments: widePaths)
    func alternatingExtremes(path: KernelPath) throws {
        let k = 5000
        let values = (0..<(4 * k)).map { $0 % 3 == 0 ? -32768 : 32639 }
        let w = try wideMatrix(rows: 4, cols: k, values)
        let a = (0..<(3 * k)).map { $0 % 2 == 0 ? Int16.min : Int16.max }
        #expect(
            try IntegerGemm.multiplyWide(a, rows: 3, w, options: .init(path: path, threads: 2))
                == naiveWide(a, rows: 3, w))
    }

    /// Planes whose combination leaves int16 have no int16 weights: the plane path runs.
    @Test func outOfRangePlanesFallBack() throws {
        let one = try DyadicMultiplier(multiplier: 1 << 14, shift: 14)
        let w = try QuantizedMatrix(
            rows: 1, cols: 2, weights: [-128, 1], lowWeights: [-128, 0], outputScales: [one],
            valueScales: [one])
        #expect(w.wideWeights == nil)
        #expect(try IntegerGemm.multiplyWide([1, 1], rows: 1, w) == nil)
        let input = try QuantizedActivations(
            tokens: 1, width: 2, bits: 16, values: [3, -2], mantissas: [1], exponents: [0])
        #expect(try Dense.accumulate(input, w) == [3 * -32896 - 2 * 256])
    }

    @Test func mulRoundShiftMatchesReference() {
        var rng = SplitMix64(seed: 7)
        var aValues: [Int64] = [0, 1, -1, Int64.max, Int64.min, 1 << 62, -(1 << 62), (1 << 62) - 1, 1 << 47]
        var bValues: [Int64] = [0, 1, 1 << 23, (1 << 23) - 1, (1 << 62) - 1, 32767 * 256]
        for _ in 0..<40 {
            aValues.append(Int64(bitPattern: rng.next()) >> Int64(rng.nextInt(0, 63)))
            bValues.append(Int64(rng.next() >> UInt64(rng.nextInt(2, 63))))
        }
        for a in aValues {
            for b in bValues {
                for s in -130...130 {
                    let want = FixedPoint.mulRoundShift(a, b, s)
                    let got = FixedPoint.mulRoundShiftC(a, b, s)
                    #expect(got == want, "mulRoundShift(\(a), \(b), \(s))")
                    if got != want { return }
                }
            }
        }
    }

    @Test func finishMatchesReference() throws {
        var rng = SplitMix64(seed: 5)
        let t = 3
        let n = 40
        var scales: [DyadicMultiplier] = [.zero, try DyadicMultiplier(multiplier: 32767, shift: -64)]
        scales.append(try DyadicMultiplier(multiplier: 16384, shift: 126))
        while scales.count < n {
            scales.append(
                try DyadicMultiplier(
                    multiplier: Int32(rng.nextInt(1 << 14, (1 << 15) - 1)),
                    shift: Int32(rng.nextInt(-64, 126))))
        }
        let matrix = try QuantizedMatrix(
            rows: n, cols: 1, weights: Array(repeating: 1, count: n), outputScales: scales,
            valueScales: scales)
        let extremes: [Int64] = [0, 1, -1, Int64.max, Int64.min, 1 << 47, -(1 << 47), 1 << 62]
        for round in 0..<30 {
            let acc = (0..<(t * n)).map { i in
                i < extremes.count && round % 2 == 0
                    ? extremes[i] : Int64(bitPattern: rng.next()) >> Int64(rng.nextInt(1, 63))
            }
            let input = try QuantizedActivations(
                tokens: t, width: 1, bits: 16, values: Array(repeating: 0, count: t),
                mantissas: (0..<t).map { _ in Int32(rng.nextInt(0, 256)) },
                exponents: (0..<t).map { _ in Int32(rng.nextInt(0, 62)) })
            let bias = (0..<n).map { _ in Int32(truncatingIfNeeded: rng.next()) }
            let residual = (0..<(t * n)).map { _ in Int32(truncatingIfNeeded: rng.next() >> 1) }
            for lut in [nil, ActivationFunction.silu, .gelu] {
                for b in [nil, bias] {
                    for r in [nil, residual] {
                        let weights = try LinearWeights(matrix: matrix, bias: b)
                        let want = Dense.finishReference(
                            accumulators: acc, input: input, weights: weights, lut: lut, residual: r)
                        for threads in [1, 2, 3] {
                            let got = try Dense.finish(
                                accumulators: acc, input: input, weights: weights, lut: lut, residual: r,
                                threads: threads)
                            #expect(got == want, "round \(round) lut \(String(describing: lut)) t\(threads)")
                        }
                    }
                }
            }
        }
    }

    @Test func quantizeMatchesReference() throws {
        var rng = SplitMix64(seed: 3)
        let width = 67
        for bits in [8, 16] {
            for round in 0..<60 {
                let rows = 4
                let z = edgeRows(rows: rows, width: width, round: round, &rng)
                let want = QuantizedActivations.quantizeReference(z, tokens: rows, width: width, bits: bits)
                for threads in [1, 2, 3] {
                    let got = try QuantizedActivations.quantize(
                        z, tokens: rows, width: width, bits: bits, threads: threads)
                    #expect(got == want, "bits \(bits) round \(round) t\(threads)")
                }
            }
        }
    }

    @Test func rmsNormMatchesReference() throws {
        var rng = SplitMix64(seed: 13)
        for width in [1, 7, 576, 1536] {
            for round in 0..<12 {
                let rows = 3
                let x = edgeRows(rows: rows, width: width, round: round, &rng)
                let gamma = (0..<width).map { i in
                    i % 5 == 0
                        ? [Int32.max, -Int32.max, 0, 65536][i % 4]
                        : Int32(truncatingIfNeeded: rng.next() >> 40)
                }
                for eps: Int64 in [0, 42950, 1 << 40, Int64.max] {
                    let want = Norms.rmsNormReference(x, width: width, gamma: gamma, epsilonQ32: eps)
                    for threads in [1, 2, 3] {
                        let got = try Norms.rmsNorm(
                            x, width: width, gamma: gamma, epsilonQ32: eps, threads: threads)
                        #expect(got == want, "width \(width) round \(round) eps \(eps) t\(threads)")
                    }
                }
            }
        }
    }

    @Test func attentionMatchesReference() throws {
        var rng = SplitMix64(seed: 11)
        for (heads, kvHeads, d) in [(4, 2, 64), (9, 3, 64), (2, 2, 8), (3, 1, 256), (1, 1, 2)] {
            var cache = LayerKVCache(kvHeads: kvHeads, headDim: d)
            let positions = 37
            func value(_ i: Int) -> Int32 {
                switch rng.nextInt(0, 9) {
                case 0: return [Int32.max, -Int32.max, Int32.min, 0][i % 4]
                case 1, 2: return Int32(truncatingIfNeeded: rng.next())
                default: return Int32(truncatingIfNeeded: rng.next()) >> 12
                }
            }
            let w = kvHeads * d
            try cache.append(
                keys: (0..<(positions * w)).map(value), values: (0..<(positions * w)).map(value),
                tokens: positions)
            for (tokens, start) in [(1, positions - 1), (5, 20), (positions, 0)] {
                let q = (0..<(tokens * heads * d)).map(value)
                for causal in [true, false] {
                    let want = try Attention.attendReference(
                        queries: q, tokens: tokens, startPosition: start, cache: cache, heads: heads,
                        causal: causal)
                    for threads in [1, 2, 3] {
                        let got = try Attention.attend(
                            queries: q, tokens: tokens, startPosition: start, cache: cache, heads: heads,
                            causal: causal, threads: threads)
                        #expect(
                            got == want, "h\(heads)/\(kvHeads) d\(d) t\(tokens) causal \(causal) x\(threads)")
                    }
                }
            }
        }
    }

    /// Decoding one token at a time gives the same logits as running the whole sequence, on
    /// every path and 1/2/3 threads (each token's computation is its own: per-token scales,
    /// causal attention).
    @Test(arguments: [(16, 16), (16, 8), (8, 8)])
    func decodeStepsMatchPrefillOnEveryPathAndThreadCount(bits: Int, weightBits: Int) throws {
        let model = try TinyModel.llama(activationBits: bits, weightBits: weightBits)
        let prompt: [Int32] = [1, 5, 9, 33, 2, 63, 0, 17]
        let whole = try Shard(model: model, layers: 0..<model.config.layers)
            .run(
                try CanonicalTensor(kind: .tokenIDs, shape: [prompt.count], values: .int32(prompt)),
                logits: .all)
        let all = try whole.int32Values()
        let vocab = model.config.vocabSize
        for path in KernelPath.availableConcrete {
            for threads in [1, 2, 3] {
                let shard = try Shard(
                    model: model, layers: 0..<model.config.layers,
                    options: .init(path: path, threads: threads))
                var state = shard.makeState()
                for (i, id) in prompt.enumerated() {
                    let out = try shard.step(
                        try CanonicalTensor(kind: .tokenIDs, shape: [1], values: .int32([id])), state: &state)
                    #expect(
                        try out.int32Values() == Array(all[(i * vocab)..<((i + 1) * vocab)]),
                        "\(path) t\(threads) position \(i)")
                }
            }
        }
    }

    /// Shards run at once from several threads share one pool per thread count: a caller that
    /// finds the pool busy runs its ranges inline. Every run gives the same logits.
    @Test func concurrentShardsShareThePoolAndAgree() throws {
        let model = try TinyModel.llama(activationBits: 16, weightBits: 16)
        let input = try CanonicalTensor(kind: .tokenIDs, shape: [6], values: .int32([3, 1, 4, 1, 5, 9]))
        let want = try Shard(model: model, layers: 0..<model.config.layers).run(input).commitmentHex
        let got = Mutex([String](repeating: "", count: 8))
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let hex = try? Shard(
                model: model, layers: 0..<model.config.layers, options: .init(path: .auto, threads: 2 + i % 2)
            ).run(input).commitmentHex
            got.withLock { $0[i] = hex ?? "error" }
        }
        #expect(got.withLock { $0 } == [String](repeating: want, count: 8))
    }
}
