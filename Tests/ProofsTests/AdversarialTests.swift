import Foundation
import Kernel
import TestSupport
import Testing

@testable import Proofs

/// A llama-mlp circuit over block `block` of a model.
func mlpCircuit(
    width: Int, ffn: Int, bits: Int, weightBits: Int = 8, block: Int = 0, maxTokens: Int = 8
) throws -> Circuit {
    let json = """
        {"format": "mesh-validator/circuit/v1", "name": "mlp-test", "kind": "llama-mlp",
         "inFeatures": \(width), "outFeatures": \(ffn), "activation": "none", "residual": false,
         "bias": false, "activationBits": \(bits), "weightBits": \(weightBits),
         "maxTokens": \(maxTokens), "weights": "model", "block": \(block)}
        """
    return try Circuit(json: Data(json.utf8))
}

/// The FFN half of the kernel's llama block (specs/kernel.md §6.2), composed from the kernel's
/// public functions exactly as `Shard.llamaBlock` does.
func kernelFFN(_ model: QuantizedModel, block: Int, _ x: [Int32], tokens: Int) throws -> [Int32] {
    guard case .llama(let blocks) = model.blocks else { throw ProofsError.malformedCircuit("not llama") }
    let b = blocks[block]
    let c = model.config
    let z = try Norms.rmsNorm(x, width: c.width, gamma: b.ffnNorm.gamma, epsilonQ32: c.normEpsilonQ32)
    let a = try QuantizedActivations.quantize(z, tokens: tokens, width: c.width, bits: c.activationBits)
    let g = try Dense.apply(a, b.gate, lut: .silu)
    let u = try Dense.apply(a, b.up)
    var h = [Int32](repeating: 0, count: g.count)
    for i in 0..<g.count {
        h[i] = FixedPoint.saturate32(FixedPoint.roundShift(Int64(g[i]) * Int64(u[i]), 16))
    }
    let hq = try QuantizedActivations.quantize(h, tokens: tokens, width: c.ffnWidth, bits: c.activationBits)
    return try Dense.apply(hq, b.down, residual: x)
}

@Suite struct AdversarialTests {
    /// specs/kernel.md §5.1 requantization straight from the spec, with the product exact in
    /// 128 bits: `sat32(roundShift(acc·mant·M, sh − e))` (`roundShift` saturating to ±2^62).
    @available(macOS 15.0, *)
    static func referenceRequantize(_ acc: Int64, mant: Int64, scale: DyadicMultiplier, e: Int) -> Int64 {
        let p = Int128(acc) * Int128(mant) * Int128(scale.multiplier)
        let s = Int(scale.shift) - e
        let limit = Int128(1) << 62
        var y: Int128
        if s > 0 {
            y = s >= 127 ? 0 : (p + (Int128(1) << (s - 1))) >> s
        } else {
            let l = min(-s, 62)
            y = p > (limit >> l) ? limit : (p < -(limit >> l) ? -limit : p << l)
        }
        y = min(max(y, -limit), limit)
        return Int64(min(max(y, -Int128(Int32.max)), Int128(Int32.max)))
    }

    /// The trace's dense tail (`KernelBridge.dense` → `Dense.finish`) on the kernel's own
    /// accumulators equals `Dense.apply` and a spec-level reference with 128-bit products, on
    /// extreme inputs (saturating, all-zero and tiny tokens, ±max weights in both planes,
    /// large and negative shifts) and every bias/lut/residual combination; and the proven
    /// statement's integer product equals the kernel's accumulators (16-bit weights included).
    @available(macOS 15.0, *)
    @Test(arguments: [(8, 8), (16, 8), (8, 16), (16, 16)])
    func denseTailMatchesKernelAndSpecOnExtremes(bits: Int, weightBits: Int) throws {
        var rng = SeededRandom(seed: UInt64(bits * 100 + weightBits))
        let (t, k, n) = (4, 24, 10)
        var x = [Int32](repeating: 0, count: t * k)
        for i in 0..<k {
            x[i] = i % 2 == 0 ? Int32.max - 1 : -(Int32.max - 1)  // token 0: extremes
            x[2 * k + i] = Int32(truncatingIfNeeded: rng.next() % 3) - 1  // token 2: tiny
            x[3 * k + i] = Int32(truncatingIfNeeded: rng.next())  // token 3: full range
        }  // token 1 stays all zero
        func plane() -> [Int8] {
            (0..<(n * k)).map { i in
                switch i % 5 {
                case 0: Int8.min
                case 1: Int8.max
                default: Int8(truncatingIfNeeded: rng.next())
                }
            }
        }
        let high = plane()
        let low: [Int8]? = weightBits == 16 ? plane() : nil
        var scales: [DyadicMultiplier] = []
        for o in 0..<n {
            let shift: Int32 = [20, -3, 40, 0, 33][o % 5]
            scales.append(try DyadicMultiplier(multiplier: Int32(16384 + o * 1000), shift: shift))
        }
        let matrix = try QuantizedMatrix(
            rows: n, cols: k, weights: high, lowWeights: low, outputScales: scales, valueScales: scales)
        let bias = (0..<n).map { o in o == 0 ? Int32.max : Int32(truncatingIfNeeded: rng.next()) }
        let a = try QuantizedActivations.quantize(x, tokens: t, width: k, bits: bits)
        let acc = try Dense.accumulate(a, matrix)
        #expect(try GemmCall(a, matrix).statement.product() == acc)
        let residual = (0..<(t * n)).map { _ in Int32(truncatingIfNeeded: rng.next()) }
        for b in [nil, bias] {
            let layer = try LinearWeights(matrix: matrix, bias: b)
            for lut in [nil, ActivationFunction.silu, .gelu] {
                for r in [nil, residual] {
                    let want = try Dense.apply(a, layer, lut: lut, residual: r)
                    let got = try KernelBridge.dense(
                        accumulators: acc, input: a, weights: layer, lut: lut, residual: r)
                    #expect(got == want)
                    if b == nil && lut == nil && r == nil {
                        for i in 0..<t {
                            for o in 0..<n {
                                let ref = Self.referenceRequantize(
                                    acc[i * n + o], mant: Int64(a.mantissas[i]), scale: scales[o],
                                    e: Int(a.exponents[i]))
                                #expect(Int64(got[i * n + o]) == ref, "token \(i) output \(o)")
                            }
                        }
                    }
                }
            }
        }
        // Wrong-length accumulators are an error, not a trap.
        let plain = try LinearWeights(matrix: matrix)
        #expect(throws: ProofsError.self) {
            try KernelBridge.dense(
                accumulators: Array(acc.dropLast()), input: a, weights: plain, lut: nil, residual: nil)
        }
    }

    /// A wrong accumulator that still rounds to the claimed output passes the output check; the
    /// sumcheck must catch it, even when the cheater bends the first round to fit its claim.
    @Test func wrongAccumulatorWithTheSameOutputIsCaughtBySumcheck() throws {
        // SiLU maps every pre-activation below -16.0 to 0, so large negative accumulators can
        // move without changing the output; large inputs make such entries common.
        let c = try denseCircuit(n: 16, m: 8, activation: "silu", bits: 8)
        let w = try LayerWeights(seededFor: c)
        var rng = SeededRandom(seed: 21)
        let xs = (0..<32).map { _ in Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 30)) - (1 << 29)) }
        let x = try CanonicalTensor(kind: .hidden, fractionBits: 16, shape: [2, 16], values: .int32(xs))
        let s = try LayerStatement(circuit: c, weights: w, input: x, output: try kernelDense(c, w, x))
        let honest = try ProofFormat(decoding: try LayerProof.prove(s), shape: LayerProof.shape(c))
        var stage = honest.stages[0]
        // Find an entry whose +1 change leaves the output unchanged (coarse requantization).
        var found: Int?
        for i in stage.entries.indices {
            var acc = stage.entries
            acc[i] += 1
            let y = try LayerTrace.run(circuit: c, weights: s.weights, input: s.input) {
                (_: GemmCall) throws(ProofsError) in acc
            }
            if y == s.output {
                found = i
                break
            }
        }
        let index = try #require(found, "no accumulator entry absorbs +1 (test needs coarser scales)")
        stage.entries[index] += 1
        // Re-run the transcript so Fiat–Shamir is consistent with the forged accumulator.
        var transcript = s.transcript()
        transcript.observe("accumulator", try #require(ProofFormat.entrySection(stage)))
        var calls: [GemmCall] = []
        _ = try LayerTrace.run(circuit: c, weights: s.weights, input: s.input) {
            (call: GemmCall) throws(ProofsError) in
            calls.append(call)
            return stage.entries
        }
        let st = calls[0].statement
        let (rCol, rRow) = MatmulArgument.samplePoint(st, &transcript)
        let forgedClaim = IntegerMatrixMLE.evaluate(
            stage.entries, rows: st.tokens, cols: st.outputs, colPoint: rCol, rowPoint: rRow)
        transcript.observe("claim", ext: [forgedClaim])
        let lk = Multilinear.variableCount(st.inner)
        var f = st.input.foldRows(rowPoint: rRow, colVariables: lk)
        var g = st.weights.foldRows(rowPoint: rCol, colVariables: lk)
        var trueClaim = GoldilocksExt2.zero
        for i in f.indices { trueClaim += f[i] * g[i] }
        let delta = forgedClaim - trueClaim
        #expect(delta != .zero)
        // Round 0 bent by δ·X so p(0) + p(1) = forged claim; later rounds honest.
        var rounds: [ProductSumcheck.RoundPolynomial] = []
        var first = true
        while f.count > 1 {
            var p = ProductSumcheck.RoundPolynomial(at0: .zero, at1: .zero, at2: .zero)
            for i in 0..<(f.count / 2) {
                let (f0, f1, g0, g1) = (f[2 * i], f[2 * i + 1], g[2 * i], g[2 * i + 1])
                p.at0 += f0 * g0
                p.at1 += f1 * g1
                p.at2 += (f1 + f1 - f0) * (g1 + g1 - g0)
            }
            if first {
                p.at1 += delta
                p.at2 += delta + delta
                first = false
            }
            transcript.observe("sumcheck-round", ext: [p.at0, p.at1, p.at2])
            let r = transcript.sampleExt2("sumcheck-challenge")
            rounds.append(p)
            f = Multilinear.fold(f, at: r)
            g = Multilinear.fold(g, at: r)
        }
        stage.rounds = rounds
        let forged = ProofFormat(circuitID: c.id, tokens: 2, stages: [stage]).encoded()
        let verdict = try LayerProof.verify(s, proof: forged)
        guard case .invalid(let reason) = verdict else {
            Issue.record("forged accumulator accepted")
            return
        }
        #expect(reason.contains("sumcheck"))
    }

    @Test func accumulatorsBeyondTheGemmBoundAreInvalidNotACrash() throws {
        let c = try denseCircuit(n: 8, m: 4, bits: 16)
        let s = try honestStatement(c, tokens: 1, seed: 22)
        var p = try ProofFormat(decoding: try LayerProof.prove(s), shape: LayerProof.shape(c))
        p.stages[0].entries[0] = (1 << 46)
        let verdict = try LayerProof.verify(s, proof: p.encoded())
        guard case .invalid(let reason) = verdict else {
            Issue.record("out-of-bound accumulator accepted")
            return
        }
        #expect(reason.contains("bound"))
    }

    @Test(arguments: [(8, 8), (16, 8), (16, 16)])
    func llamaMLPBlockRoundTripMatchesTheKernel(bits: Int, weightBits: Int) throws {
        let model = try TinyModel.llama(seed: 5, activationBits: bits, weightBits: weightBits)
        let c = try mlpCircuit(
            width: model.config.width, ffn: model.config.ffnWidth, bits: bits, weightBits: weightBits,
            block: 1)
        let w = try LayerWeights(circuit: c, model: model)
        let tokens = 3
        let x = try randomHidden(tokens: tokens, width: model.config.width, seed: 23)
        let y = try kernelFFN(model, block: 1, try x.int32Values(), tokens: tokens)
        let yt = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [tokens, model.config.width], values: .int32(y))
        let s = try LayerStatement(circuit: c, weights: w, input: x, output: yt)
        let proof = try LayerProof.prove(s)
        #expect(try LayerProof.verify(s, proof: proof) == .valid)
        let bad = try withOutput(s) { $0[5] &-= 1 }
        #expect(isRejected(bad, proof))
        // Another block's weights: rejected.
        let c0 = try mlpCircuit(
            width: model.config.width, ffn: model.config.ffnWidth, bits: bits, weightBits: weightBits,
            block: 0)
        let w0 = try LayerWeights(circuit: c0, model: model)
        let s0 = try LayerStatement(circuit: c0, weights: w0, input: x, output: yt)
        #expect(isRejected(s0, proof))
        let s1 = try LayerStatement(circuit: c, weights: w0, input: x, output: yt)
        #expect(isRejected(s1, proof))
    }
}
