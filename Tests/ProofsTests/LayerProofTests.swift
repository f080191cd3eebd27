import Foundation
import Kernel
import TestSupport
import Testing

@testable import Proofs

/// A seeded dense circuit for tests.
func denseCircuit(
    name: String = "test", n: Int, m: Int, activation: String = "silu", residual: Bool = false,
    bias: Bool = false, bits: Int = 8, weightBits: Int? = nil, maxTokens: Int = 8, seed: UInt64 = 1
) throws -> Circuit {
    let weightField = weightBits.map { "\"weightBits\": \($0)," } ?? ""
    let json = """
        {"format": "mesh-validator/circuit/v1", "name": "\(name)", "kind": "dense",
         "inFeatures": \(n), "outFeatures": \(m), "activation": "\(activation)",
         "residual": \(residual), "bias": \(bias), "activationBits": \(bits), \(weightField)
         "maxTokens": \(maxTokens), "weights": "seeded", "seed": \(seed)}
        """
    return try Circuit(json: Data(json.utf8))
}

/// A random Q16 hidden tensor [tokens, width] with values in about ±4.0.
func randomHidden(tokens: Int, width: Int, seed: UInt64) throws -> CanonicalTensor {
    var rng = SeededRandom(seed: seed)
    let values = (0..<(tokens * width)).map { _ in
        Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 19)) - (1 << 18))
    }
    return try CanonicalTensor(
        kind: .hidden, fractionBits: 16, shape: [tokens, width], values: .int32(values))
}

/// The kernel's own dense layer (specs/kernel.md §5.1) on a Q16 input: the reference output.
func kernelDense(_ circuit: Circuit, _ w: LayerWeights, _ x: CanonicalTensor) throws -> CanonicalTensor {
    let values = try x.int32Values()
    let a = try QuantizedActivations.quantize(
        values, tokens: x.shape[0], width: circuit.inFeatures, bits: circuit.activationBits)
    let lut: ActivationFunction? =
        switch circuit.activation {
        case .none: nil
        case .silu: .silu
        case .gelu: .gelu
        }
    let y = try Dense.apply(a, w.linears[0], lut: lut, residual: circuit.residual ? values : nil)
    return try CanonicalTensor(
        kind: .hidden, fractionBits: 16, shape: [x.shape[0], circuit.outFeatures], values: .int32(y))
}

/// A statement whose output is the kernel's own output for a random input.
func honestStatement(_ circuit: Circuit, weights: LayerWeights? = nil, tokens: Int, seed: UInt64) throws
    -> LayerStatement
{
    let w = try weights ?? LayerWeights(seededFor: circuit)
    let x = try randomHidden(tokens: tokens, width: circuit.inFeatures, seed: seed)
    return try LayerStatement(circuit: circuit, weights: w, input: x, output: try kernelDense(circuit, w, x))
}

func isRejected(_ statement: LayerStatement, _ proof: Data) -> Bool {
    do {
        return try LayerProof.verify(statement, proof: proof) != .valid
    } catch {
        return true
    }
}

/// The error `verify` throws, or nil if it returns a verdict.
func verifyError(_ statement: LayerStatement, _ proof: Data) -> ProofsError? {
    do {
        _ = try LayerProof.verify(statement, proof: proof)
        return nil
    } catch {
        return error
    }
}

func withOutput(_ s: LayerStatement, _ change: (inout [Int32]) -> Void) throws -> LayerStatement {
    var v = try s.output.int32Values()
    change(&v)
    let y = try CanonicalTensor(
        kind: s.output.kind, fractionBits: 16, shape: s.output.shape, values: .int32(v))
    return try LayerStatement(circuit: s.circuit, weights: s.weights, input: s.input, output: y)
}

@Suite struct LayerProofTests {
    @Test(arguments: [
        (4, 3, 1, 8, 8, "silu", false, false),
        (16, 12, 3, 8, 8, "none", false, true),
        (12, 12, 5, 16, 8, "gelu", true, true),
        (32, 8, 4, 16, 8, "silu", false, false),
        (5, 7, 3, 8, 16, "silu", false, true),
        (24, 24, 6, 16, 16, "none", true, false),
        (33, 17, 2, 16, 16, "gelu", false, true),
    ])
    func roundTripOnRandomLayers(
        n: Int, m: Int, tokens: Int, bits: Int, weightBits: Int, activation: String, residual: Bool,
        bias: Bool
    ) throws {
        let c = try denseCircuit(
            n: n, m: m, activation: activation, residual: residual, bias: bias, bits: bits,
            weightBits: weightBits)
        let s = try honestStatement(c, tokens: tokens, seed: UInt64(n * m + tokens))
        #expect(s.weights.linears[0].matrix.weightBits == weightBits)
        let proof = try LayerProof.prove(s)
        #expect(try LayerProof.verify(s, proof: proof) == .valid)
        #expect(try LayerProof.verifyWithProfile(s, proof: proof).verdict == .valid)
        // One output element off by one: the profiled verifier gives the same verdict.
        let bad = try withOutput(s) { $0[0] &+= 1 }
        #expect(try LayerProof.verify(bad, proof: proof) != .valid)
        #expect(
            try LayerProof.verifyWithProfile(bad, proof: proof).verdict
                == LayerProof.verify(bad, proof: proof))
    }

    /// 16-bit weights whose low plane is wrong in one entry: the hi-plane-only statement of
    /// version 1 could not see it; the two-plane W~ must.
    @Test func lowWeightPlaneIsBound() throws {
        let c = try denseCircuit(n: 16, m: 8, bits: 16, weightBits: 16)
        let s = try honestStatement(c, tokens: 2, seed: 31)
        let proof = try LayerProof.prove(s)
        let w = s.weights.linears[0].matrix
        var low = try #require(w.lowWeights)
        low[3] = low[3] == 0 ? 1 : 0
        let matrix = try QuantizedMatrix(
            rows: w.rows, cols: w.cols, weights: w.weights, lowWeights: low, outputScales: w.outputScales,
            valueScales: w.valueScales)
        let other = try LayerWeights(
            circuit: c, linears: [try LinearWeights(matrix: matrix, bias: nil)], norm: nil)
        #expect(other.digest != s.weights.digest)
        let s2 = try LayerStatement(circuit: c, weights: other, input: s.input, output: s.output)
        #expect(isRejected(s2, proof))
        // 8-bit weights for a 16-bit circuit are refused outright.
        let c8 = try denseCircuit(n: 16, m: 8, bits: 16, weightBits: 8)
        #expect(throws: ProofsError.self) {
            try LayerWeights(circuit: c, linears: try LayerWeights(seededFor: c8).linears, norm: nil)
        }
    }

    /// Explicit (SiLU) and derived (no table, §5.3) stages.
    @Test(arguments: ["silu", "none"])
    func everySingleByteChangeIsRejected(activation: String) throws {
        let c = try denseCircuit(n: 4, m: 3, activation: activation, residual: false, bias: true, bits: 8)
        let s = try honestStatement(c, tokens: 2, seed: 7)
        let proof = try LayerProof.prove(s)
        #expect(try LayerProof.verify(s, proof: proof) == .valid)
        var accepted: [Int] = []
        for i in 0..<proof.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var bad = proof
                bad[i] ^= mask
                if !isRejected(s, bad) { accepted.append(i) }
            }
        }
        #expect(accepted.isEmpty, "accepted changes at offsets \(accepted)")
    }

    @Test func outputOffByOneIsRejected() throws {
        let c = try denseCircuit(n: 16, m: 12, bits: 8)
        let s = try honestStatement(c, tokens: 3, seed: 8)
        let proof = try LayerProof.prove(s)
        for index in [0, 17, 35] {
            for delta: Int32 in [1, -1] {
                let bad = try withOutput(s) { $0[index] &+= delta }
                let verdict = try LayerProof.verify(bad, proof: proof)
                guard case .invalid(let reason) = verdict else {
                    Issue.record("off-by-one at \(index) accepted")
                    continue
                }
                #expect(reason.contains("output[\(index / 12)][\(index % 12)]"))
            }
        }
        // The prover refuses to prove it.
        let bad = try withOutput(s) { $0[0] &+= 1 }
        #expect(throws: ProofsError.self) { try LayerProof.prove(bad) }
    }

    @Test func replayAgainstAnotherCircuitWeightsOrInputIsRejected() throws {
        let c = try denseCircuit(n: 16, m: 12, bits: 8, seed: 1)
        let s = try honestStatement(c, tokens: 3, seed: 9)
        let proof = try LayerProof.prove(s)
        // Another circuit (other seed: other id) with the same shapes.
        let c2 = try denseCircuit(n: 16, m: 12, bits: 8, seed: 2)
        let s2 = try honestStatement(c2, tokens: 3, seed: 9)
        #expect(isRejected(s2, proof))
        // The same circuit with other weights (one weight changed): the transcript binds the
        // weights digest, and the final check evaluates W~ from the weights held.
        let w = s.weights.linears[0]
        var changed = w.matrix.weights
        changed[5] = changed[5] == 1 ? 2 : 1
        let matrix = try QuantizedMatrix(
            rows: w.matrix.rows, cols: w.matrix.cols, weights: changed, outputScales: w.matrix.outputScales,
            valueScales: w.matrix.valueScales)
        let otherWeights = try LayerWeights(
            circuit: c, linears: [try LinearWeights(matrix: matrix)], norm: nil)
        let s3 = try LayerStatement(circuit: c, weights: otherWeights, input: s.input, output: s.output)
        #expect(isRejected(s3, proof))
        // Another input (with its own true output).
        let s4 = try honestStatement(c, tokens: 3, seed: 10)
        #expect(isRejected(s4, proof))
        // Another token count.
        let s5 = try honestStatement(c, tokens: 2, seed: 9)
        #expect(isRejected(s5, proof))
    }

    @Test func truncatedAndOversizedProofsThrowClearErrors() throws {
        let c = try denseCircuit(n: 8, m: 4, bits: 8)
        let s = try honestStatement(c, tokens: 2, seed: 11)
        let proof = try LayerProof.prove(s)
        for length in 0..<proof.count {
            #expect(throws: ProofsError.self) { try LayerProof.verify(s, proof: proof.prefix(length)) }
        }
        let error = verifyError(s, proof.prefix(proof.count - 1))
        guard case .truncatedProof = error else {
            Issue.record("want .truncatedProof, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("truncated proof") == true)
        #expect(throws: ProofsError.trailingBytes(count: 1)) { try LayerProof.verify(s, proof: proof + [0]) }
        let huge = Data(count: ProofFormat.maxProofBytes + 1)
        #expect(throws: ProofsError.self) { try LayerProof.verify(s, proof: huge) }
    }
}

/// Derived stages (specs/proofs.md §5.3): the accumulator of the GEMM that produces Y with no
/// table after it is not sent; the proof carries only its difference from the baseline.
@Suite struct DerivedStageTests {
    /// A layer whose requantization step is at most one accumulator unit (`2^s ≤ c`; here
    /// K = 64 and inputs in ±4.0): every difference is 0, the stage's section is empty, and
    /// the proof's size does not depend on T.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func finelyRequantizedStagesCarryNoEntries(residual: Bool, bias: Bool) throws {
        let c = try denseCircuit(
            n: 64, m: 64, activation: "none", residual: residual, bias: bias, bits: 8, maxTokens: 64)
        var sizes: Set<Int> = []
        for tokens in [1, 7, 64] {
            let s = try honestStatement(c, tokens: tokens, seed: UInt64(tokens))
            let proof = try LayerProof.prove(s)
            #expect(try LayerProof.verify(s, proof: proof) == .valid)
            let decoded = try ProofFormat(decoding: proof, shape: LayerProof.shape(c))
            #expect(ProofFormat.EntryEncoding(decoded.stages[0].entries)?.bits == 0)
            sizes.insert(proof.count)
        }
        // 43-byte header; width, offset and length; round count and 6 rounds of 48 bytes.
        #expect(sizes == [43 + 13 + 1 + 6 * 48])
    }

    /// Y off by one moves the derived accumulator; the sumcheck rejects it.
    @Test func outputOffByOneIsRejectedThroughTheDerivedAccumulator() throws {
        let c = try denseCircuit(n: 32, m: 16, activation: "none", residual: false, bias: true, bits: 8)
        let s = try honestStatement(c, tokens: 3, seed: 12)
        let proof = try LayerProof.prove(s)
        #expect(try LayerProof.verify(s, proof: proof) == .valid)
        for index in [0, 17, 47] {
            for delta: Int32 in [1, -1] {
                let bad = try withOutput(s) { $0[index] &+= delta }
                #expect(try LayerProof.verify(bad, proof: proof) != .valid, "index \(index) delta \(delta)")
            }
        }
    }

    /// The baseline's exact ceiling division (double estimate, then an exact correction in
    /// wrapping 64-bit products) equals a 128-bit reference over the whole domain: shifts 1...62, divisors from 1 to 2^31, both
    /// sides of the clamp.
    @available(macOS 15.0, *)
    @Test func ceilingQuotientMatchesA128BitReference() {
        var rng = SeededRandom(seed: 78)
        let bound: Int64 = (1 << 45) + 12345
        var clamped = 0
        var inside = 0
        for _ in 0..<50_000 {
            let y0 = Int64(bitPattern: rng.next()) >> (30 + Int(rng.next() % 34))  // |y0| ≤ 2^33
            let s = 1 + Int(rng.next() % 62)
            let c = max(1, Int64(rng.next() % (1 << 31)) >> Int(rng.next() % 31))
            let n = (Int128(y0) << s) - (Int128(1) << (s - 1))
            var q = n / Int128(c)
            if n % Int128(c) > 0 { q += 1 }
            let want = Int64(min(max(q, Int128(-bound)), Int128(bound)))
            if abs(want) == bound { clamped += 1 } else { inside += 1 }
            let estimate = (Double(y0) - 0.5) * Double(sign: .plus, exponent: s, significand: 1) / Double(c)
            let got = AccumulatorBaseline.ceilingQuotient(
                y0, shift: s, divisor: c, estimate: estimate, bound: bound)
            if got != want {
                Issue.record("y0 \(y0) s \(s) c \(c): got \(got), want \(want)")
                return
            }
        }
        #expect(clamped > 1000 && inside > 1000)
    }

    /// `derive` (the per-row and per-token estimate factors) equals §5.3 computed with Int128
    /// over extreme scales, shifts on both sides of [1, 62], and outputs, residuals and biases
    /// at the int32 limits.
    @available(macOS 15.0, *)
    @Test func deriveMatchesTheSpecFormulaOnExtremes() throws {
        let bound: Int64 = (1 << 45) + 7
        let shifts: [Int32] = [-64, 0, 1, 2, 20, 40, 61, 62, 63, 90, 126]
        let scales = try shifts.flatMap { sh in
            try [16384, 24577, 32767].map { try DyadicMultiplier(multiplier: Int32($0), shift: sh) }
        }
        let n = scales.count
        let mants: [Int32] = [1, 128, 200, 256]
        let exps: [Int32] = [0, 1, 7, 30, 62]
        var rng = SeededRandom(seed: 79)
        for mant in mants {
            for e in exps {
                let a = try QuantizedActivations(
                    tokens: 1, width: 1, bits: 8, values: [0], mantissas: [mant], exponents: [e])
                let edge: [Int32] = [Int32.max, -Int32.max, 0, 1, -1]
                let y = (0..<n).map { i in i < 5 ? edge[i] : Int32(truncatingIfNeeded: rng.next()) }
                let residual = (0..<n).map { i in
                    i % 3 == 0 ? -Int32.max : Int32(truncatingIfNeeded: rng.next())
                }
                let bias = (0..<n).map { i in i % 4 == 0 ? Int32.max : Int32(truncatingIfNeeded: rng.next()) }
                let got = AccumulatorBaseline.derive(
                    output: y, residual: residual, bias: bias, activations: a, scales: scales, bound: bound)
                for o in 0..<n {
                    let c = Int128(mant) * Int128(scales[o].multiplier)
                    let sh = Int(scales[o].shift) - Int(e)
                    var want: Int128 = 0
                    if sh >= 1, sh <= 62 {
                        let y0 = Int128(y[o]) - Int128(residual[o]) - Int128(bias[o])
                        let num = (y0 << sh) - (Int128(1) << (sh - 1))
                        var q = num / c
                        if num % c > 0 { q += 1 }
                        want = min(max(q, Int128(-bound)), Int128(bound))
                    }
                    #expect(Int128(got[o]) == want, "mant \(mant) e \(e) scale \(scales[o])")
                }
            }
        }
    }

    /// The baseline is the least accumulator the dense tail maps to y (when one exists and
    /// nothing saturates): checked against the kernel's `Dense.finish` on random accumulators,
    /// per-token scales and output scales, with and without bias and residual.
    @Test func baselineIsTheLeastPreimageUnderTheDenseTail() throws {
        var rng = SeededRandom(seed: 77)
        let (t, n) = (5, 12)
        let bound: Int64 = 1 << 30
        var values: [Int16] = []
        for _ in 0..<(t * 3) { values.append(Int16(truncatingIfNeeded: rng.next() % 255) - 127) }
        let mants = (0..<t).map { i in i == 0 ? Int32(1) : Int32(128 + rng.next() % 129) }
        let exps = (0..<t).map { i in Int32(i % 3 == 0 ? 0 : 1 + rng.next() % 9) }
        let a = try QuantizedActivations(
            tokens: t, width: 3, bits: 8, values: values, mantissas: mants, exponents: exps)
        let scales = try (0..<n).map { o in
            try DyadicMultiplier(multiplier: Int32(16384 + rng.next() % 16384), shift: Int32(20 + o))
        }
        let matrix = try QuantizedMatrix(
            rows: n, cols: 3, weights: [Int8](repeating: 1, count: n * 3), outputScales: scales,
            valueScales: scales)
        let bias = (0..<n).map { _ in Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 20)) - (1 << 19)) }
        let residual = (0..<(t * n)).map { _ in
            Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 20)) - (1 << 19))
        }
        // |acc·c / 2^s| < 2^16 · 2^23 / 2^11 = 2^28: nothing saturates, so every y has a preimage.
        let acc = (0..<(t * n)).map { _ in Int64(rng.next() % (1 << 16)) - (1 << 15) }
        var checked = 0
        for b in [nil, bias] {
            for r in [nil, residual] {
                let layer = try LinearWeights(matrix: matrix, bias: b)
                let y = try KernelBridge.dense(
                    accumulators: acc, input: a, weights: layer, lut: nil, residual: r)
                let base = AccumulatorBaseline.derive(
                    output: y, residual: r, bias: b, activations: a, scales: scales, bound: bound)
                let atBase = try KernelBridge.dense(
                    accumulators: base, input: a, weights: layer, lut: nil, residual: r)
                let below = try KernelBridge.dense(
                    accumulators: base.map { $0 - 1 }, input: a, weights: layer, lut: nil, residual: r)
                for i in 0..<(t * n) {
                    let s = Int(scales[i % n].shift) - Int(exps[i / n])
                    guard s >= 1, s <= AccumulatorBaseline.maxShift else {
                        #expect(base[i] == 0)
                        continue
                    }
                    #expect(base[i] <= acc[i], "entry \(i)")
                    #expect(atBase[i] == y[i], "entry \(i)")
                    #expect(below[i] != y[i], "entry \(i)")
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
    }
}

@Suite struct ProofFormatTests {
    /// Canonical encodings (§6): offset = least entry, width = least holding the largest excess.
    @Test func entryEncodingRoundTripsAtEveryWidth() throws {
        var rng = SeededRandom(seed: 40)
        for bits in 1...ProofFormat.maxEntryBits {
            let top = (Int64(1) << bits) - 1
            // Any offset with every entry in [−2^47, 2^47).
            let offset = -(Int64(1) << 47) + Int64(rng.next() % UInt64((Int64(1) << 48) - top))
            var values: [Int64] = [offset, offset + top, offset + (top >> 1) + 1]
            for _ in 0..<13 { values.append(offset + Int64(rng.next() % UInt64(top + 1))) }
            let e = try #require(ProofFormat.EntryEncoding(values))
            #expect(e == ProofFormat.EntryEncoding(offset: offset, bits: bits))
            let packed = ProofFormat.pack(values, offset: offset, bits: bits)
            #expect(packed.count == (values.count * bits + 7) / 8)
            var unpacked = try #require(ProofFormat.unpack(packed[...], count: values.count, bits: bits))
            try ProofFormat.addOffset(offset, to: &unpacked, bits: bits, stage: 0)
            #expect(unpacked == values)
        }
        #expect(ProofFormat.EntryEncoding([5, 5]) == ProofFormat.EntryEncoding(offset: 5, bits: 0))
        #expect(ProofFormat.EntryEncoding([0, 1]) == ProofFormat.EntryEncoding(offset: 0, bits: 1))
        #expect(ProofFormat.EntryEncoding([-128, 127]) == ProofFormat.EntryEncoding(offset: -128, bits: 8))
        #expect(ProofFormat.EntryEncoding([-(1 << 47), (1 << 47) - 1])?.bits == 48)
        #expect(ProofFormat.EntryEncoding([1 << 47]) == nil)
        #expect(ProofFormat.EntryEncoding([-(1 << 47) - 1]) == nil)
        // Width 0: equal entries, no bytes.
        #expect(ProofFormat.pack([7, 7, 7], offset: 7, bits: 0).isEmpty)
        #expect(ProofFormat.unpack([][...], count: 3, bits: 0) == [0, 0, 0])
        #expect(ProofFormat.unpack([0][...], count: 3, bits: 0) == nil)
    }

    /// Other encodings of the same entries are malformed: an offset below the least entry, a
    /// width wider than needed, entries beyond 2^47.
    @Test func nonCanonicalEntryEncodingsAreMalformed() throws {
        var narrow: [Int64] = [0, 1, 2]  // excesses over the offset 0, width 2
        #expect(throws: Never.self) { try ProofFormat.addOffset(0, to: &narrow, bits: 2, stage: 0) }
        for (offset, excesses, bits) in [
            (Int64(0), [Int64(1), 2, 3], 2), (0, [0, 1, 2], 3), ((1 << 47) - 2, [0, 2], 2),
        ] {
            var v = excesses
            #expect(throws: ProofsError.self) {
                try ProofFormat.addOffset(offset, to: &v, bits: bits, stage: 1)
            }
        }
    }

    @Test func nonCanonicalFieldElementsAreMalformed() throws {
        let c = try denseCircuit(n: 4, m: 3, bits: 8)
        let s = try honestStatement(c, tokens: 2, seed: 12)
        var proof = try LayerProof.prove(s)
        // The first coordinate of the first round polynomial: the 8 bytes before the last 4·48 − 8.
        let at = proof.count - 2 * 48
        proof.replaceSubrange(at..<(at + 8), with: [UInt8](repeating: 0xFF, count: 8))
        #expect(throws: ProofsError.nonCanonicalFieldElement(offset: at)) {
            try LayerProof.verify(s, proof: proof)
        }
    }

    /// The fast unpacker against a bit-at-a-time reader written from §6 ("u_e occupies stream
    /// bits [e·w, (e+1)·w), stream bit b is bit b mod 8 of byte ⌊b/8⌋").
    @Test func unpackMatchesABitAtATimeReader() throws {
        var rng = SeededRandom(seed: 41)
        for bits in [1, 3, 7, 8, 9, 21, 33, 47, 48] {
            for count in [1, 2, 5, 8, 13, 64] {
                let length = (count * bits + 7) / 8
                var stream = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let used = (count * bits) % 8
                if used != 0 { stream[length - 1] &= UInt8((1 << used) - 1) }
                var want: [Int64] = []
                for e in 0..<count {
                    var v: Int64 = 0
                    for j in 0..<bits {
                        let b = e * bits + j
                        if (stream[b / 8] >> (b % 8)) & 1 == 1 { v |= Int64(1) << j }
                    }
                    want.append(v)
                }
                #expect(
                    ProofFormat.unpack(stream[...], count: count, bits: bits) == want, "w \(bits) n \(count)")
                #expect(ProofFormat.pack(want, offset: 0, bits: bits) == stream, "w \(bits) n \(count)")
                // A slice that does not start at index 0 (as inside a proof).
                let shifted = [0xAB] + stream
                #expect(ProofFormat.unpack(shifted[1...], count: count, bits: bits) == want)
            }
        }
    }

    @Test func nonzeroPaddingIsRejected() {
        let packed = ProofFormat.pack([1, 2, 3], offset: 0, bits: 3)  // 9 bits: 7 padding bits
        var bad = packed
        bad[1] |= 0x80
        #expect(ProofFormat.unpack(bad[...], count: 3, bits: 3) == nil)
        #expect(ProofFormat.unpack(packed[...], count: 3, bits: 3) == [1, 2, 3])
    }
}
