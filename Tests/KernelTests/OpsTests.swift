import Crypto
import Foundation
import Testing

@testable import Kernel

/// Integer ops against float64 transcriptions of the textbook formulas (tolerances are the
/// quantization error budget, not the code's own output).
struct OpsTests {
    @Test func normsApproximateFloat() throws {
        var rng = SplitMix64(seed: 11)
        let n = 48
        for scale in [1.0e-3, 0.1, 3.0, 2000.0] {
            let xf = (0..<n).map { _ in Double(rng.nextFloat(scale: Float(scale))) }
            let x = xf.map { Int32(($0 * 65536).rounded()) }
            let xd = x.map { Double($0) / 65536 }
            let g = (0..<n).map { _ in 1 + Double(rng.nextFloat(scale: 0.3)) }
            let b = (0..<n).map { _ in Double(rng.nextFloat(scale: 0.2)) }
            let gq = g.map { Int32(($0 * 65536).rounded()) }
            let bq = b.map { Int32(($0 * 65536).rounded()) }
            let eps = 1e-5
            let epsQ = Int64((eps * 4_294_967_296).rounded())
            let rms = (xd.map { $0 * $0 }.reduce(0, +) / Double(n) + eps).squareRoot()
            let gotR = try Norms.rmsNorm(x, width: n, gamma: gq, epsilonQ32: epsQ)
            let mean = xd.reduce(0, +) / Double(n)
            let sd = (xd.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n) + eps).squareRoot()
            let gotL = try Norms.layerNorm(x, width: n, gamma: gq, beta: bq, epsilonQ32: epsQ)
            for i in 0..<n {
                let wantR = xd[i] / rms * Double(gq[i]) / 65536
                #expect(abs(Double(gotR[i]) / 65536 - wantR) < 1e-3 * max(1, abs(wantR)), "rms \(scale) \(i)")
                let wantL = (xd[i] - mean) / sd * Double(gq[i]) / 65536 + Double(bq[i]) / 65536
                #expect(abs(Double(gotL[i]) / 65536 - wantL) < 2e-3 * max(1, abs(wantL)), "ln \(scale) \(i)")
            }
        }
        #expect(try Norms.rmsNorm([0, 0], width: 2, gamma: [65536, 65536], epsilonQ32: 1) == [0, 0])
        #expect(
            try Norms.layerNorm([7, 7], width: 2, gamma: [1, 1], beta: [3, -4], epsilonQ32: 0) == [3, -4])
        #expect(throws: KernelError.self) {
            try Norms.rmsNorm([1, 2, 3], width: 2, gamma: [1, 1], epsilonQ32: 0)
        }
    }

    @Test func attentionApproximatesFloat() throws {
        var rng = SplitMix64(seed: 5)
        let (t, h, g, d) = (6, 4, 2, 8)
        func arr(_ n: Int, _ s: Float) -> [Int32] {
            (0..<n).map { _ in Int32((rng.nextFloat(scale: s) * 65536).rounded()) }
        }
        let q = arr(t * h * d, 2)
        let k = arr(t * g * d, 2)
        let v = arr(t * g * d, 3)
        var cache = LayerKVCache(kvHeads: g, headDim: d)
        try cache.append(keys: k, values: v, tokens: t)
        for causal in [true, false] {
            let got = try Attention.attend(
                queries: q, tokens: t, startPosition: 0, cache: cache, heads: h, causal: causal)
            for ti in 0..<t {
                for hi in 0..<h {
                    let kv = hi / (h / g)
                    let visible = causal ? ti + 1 : t
                    var s = [Double](repeating: 0, count: visible)
                    for j in 0..<visible {
                        var dot = 0.0
                        for i in 0..<d {
                            let qa = Double(q[(ti * h + hi) * d + i])
                            let kb = Double(k[(j * g + kv) * d + i])
                            dot += qa * kb
                        }
                        s[j] = dot / 4_294_967_296 / Double(d).squareRoot()
                    }
                    let mx = s.max() ?? 0
                    s = s.map { Foundation.exp($0 - mx) }
                    let sum = s.reduce(0, +)
                    for i in 0..<d {
                        var want = 0.0
                        for j in 0..<visible {
                            let vj = Double(v[(j * g + kv) * d + i])
                            want += s[j] / sum * vj / 65536
                        }
                        let gotv = Double(got[(ti * h + hi) * d + i]) / 65536
                        #expect(abs(gotv - want) < 2e-3 * max(1, abs(want)), "\(causal) \(ti) \(hi) \(i)")
                    }
                }
            }
        }
    }

    @Test func ropeRotatesPairs() throws {
        let d = 8
        let table = RopeTable(headDim: d, base: 10000, positions: 8)
        for style in [RopeStyle.interleaved, .halfSplit] {
            var x = (0..<d).map { Int32($0 * 10000 - 30000) }
            let x0 = x
            try Rope.apply(&x, tokens: 1, heads: 1, startPosition: 3, table: table, style: style)
            for i in 0..<(d / 2) {
                let (a, b) = style == .interleaved ? (2 * i, 2 * i + 1) : (i, i + d / 2)
                let ang = 3 * pow(10000, -Double(2 * i) / Double(d))
                let wa = Double(x0[a]) * Foundation.cos(ang) - Double(x0[b]) * Foundation.sin(ang)
                let wb = Double(x0[a]) * Foundation.sin(ang) + Double(x0[b]) * Foundation.cos(ang)
                #expect(abs(Double(x[a]) - wa) <= 1 && abs(Double(x[b]) - wb) <= 1)
            }
        }
        var y = [Int32](repeating: 0, count: d)
        #expect(throws: KernelError.sequenceTooLong(positions: 9, maxPositions: 8)) {
            try Rope.apply(&y, tokens: 1, heads: 1, startPosition: 8, table: table, style: .interleaved)
        }
    }

    @Test func canonicalTensorRoundTripAndErrors() throws {
        let values: [TensorValues] = [
            .int8([-128, 0, 127]), .int16([-32768, 1, 32767]), .int32([Int32.min, 0, Int32.max]),
            .int64([Int64.min, 0, Int64.max]),
        ]
        for v in values {
            let t = try CanonicalTensor(kind: .raw, fractionBits: 3, shape: [3], values: v)
            let e = t.encoded()
            #expect(e.count == 13 + 3 * t.dtype.size)
            #expect(try CanonicalTensor(decoding: e) == t)
            // The commitment hashes the values in place; it must be the hash of the encoding.
            #expect(t.commitment == Array(SHA256.hash(data: e)))
        }
        let t = try CanonicalTensor(kind: .hidden, fractionBits: 16, shape: [1, 2], values: .int32([1, -2]))
        #expect(
            Array(t.encoded()) == [
                0x4D, 0x56, 0x54, 0x31, 1, 2, 3, 16, 2, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0xFE, 0xFF, 0xFF,
                0xFF,
            ])
        #expect(throws: KernelError.self) { try CanonicalTensor(shape: [2], values: .int8([1])) }
        #expect(throws: KernelError.self) { try CanonicalTensor(shape: [], values: .int8([])) }
        #expect(throws: KernelError.malformedTensor("1 trailing bytes after the payload")) {
            try CanonicalTensor(decoding: t.encoded() + [0])
        }
    }

    @Test func namedTensorsRoundTrip() throws {
        for model in [try TinyModel.llama(), try TinyModel.bert(), try TinyModel.llama(weightBits: 16)] {
            var dict: [String: CanonicalTensor] = [:]
            for (n, t) in model.namedTensors() { dict[n] = try CanonicalTensor(decoding: t.encoded()) }
            #expect(try QuantizedModel(config: model.config, tensors: dict) == model)
            var missing = dict
            missing["blk.0.attn_q.scales"] = nil
            #expect(throws: KernelError.missingTensor("blk.0.attn_q.scales")) {
                try QuantizedModel(config: model.config, tensors: missing)
            }
            var extra = dict
            extra["zzz"] = dict["token_embd.weight"]
            #expect(throws: KernelError.unexpectedTensor("zzz")) {
                try QuantizedModel(config: model.config, tensors: extra)
            }
        }
        // Same floats, same bytes: quantization is a function of its input.
        #expect(try TinyModel.llama(seed: 5) == TinyModel.llama(seed: 5))
        #expect(try TinyModel.llama(seed: 5) != TinyModel.llama(seed: 6))
    }

    @Test func configValidation() {
        var c = TinyModel.llamaConfig()
        c.kvHeads = 3
        #expect(throws: KernelError.invalidConfig(field: "kvHeads", reason: "must divide heads (4)")) {
            try c.validate()
        }
        c = TinyModel.llamaConfig()
        c.activationBits = 12
        #expect(throws: KernelError.self) { try c.validate() }
        c = TinyModel.bertConfig()
        c.tiedEmbeddings = true
        #expect(throws: KernelError.self) { try c.validate() }
    }
}
