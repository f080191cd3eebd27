import Testing

@testable import Kernel

/// Exact `roundShift(a * b, s)` with saturation, from 128-bit integers (independent of
/// `FixedPoint.mulRoundShift`).
@available(macOS 15, *)
func referenceMulRoundShift(_ a: Int64, _ b: Int64, _ s: Int) -> Int64 {
    let p = Int128(a) * Int128(b)
    let limit = Int128(1) << 62
    var r: Int128
    if s >= 1 {
        let t = min(s, 126)
        r = (p + (Int128(1) << (t - 1))) >> t
    } else {
        r = p
        for _ in 0..<min(-s, 62) {
            r *= 2
            if r > limit || r < -limit { break }
        }
    }
    return Int64(min(max(r, -limit), limit))
}

struct DenseTests {
    @Test func mulRoundShiftMatchesWideReference() throws {
        guard #available(macOS 15, *) else { return }
        var rng = SplitMix64(seed: 7)
        let edges: [Int64] = [
            0, 1, -1, 2, -2, 3, (1 << 31) - 1, -(1 << 31), 1 << 46, -(1 << 46), (1 << 62) - 1, -(1 << 62),
        ]
        let factors: [Int64] = [0, 1, 3, 1 << 14, (1 << 23) - 1, 1 << 22, 255 * 32767]
        for a in edges {
            for b in factors {
                for s in [-3, 0, 1, 2, 15, 30, 45, 61, 62, 63, 64, 65, 100, 126, 130] {
                    #expect(
                        FixedPoint.mulRoundShift(a, b, s) == referenceMulRoundShift(a, b, s), "\(a) \(b) \(s)"
                    )
                }
            }
        }
        for _ in 0..<20000 {
            let a = Int64(bitPattern: rng.next()) >> Int64(rng.nextInt(0, 62))
            let b = Int64(rng.nextInt(0, (1 << 23) - 1))
            let s = rng.nextInt(-5, 90)
            #expect(FixedPoint.mulRoundShift(a, b, s) == referenceMulRoundShift(a, b, s), "\(a) \(b) \(s)")
        }
    }

    /// The dense primitive against a direct transcription of §5.1 (naive sum over the
    /// combined 16-bit values, 128-bit product), all planes, paths and threads.
    @Test(arguments: [(8, 8), (16, 8), (8, 16), (16, 16)])
    func denseMatchesSpecTranscription(bits: Int, weightBits: Int) throws {
        guard #available(macOS 15, *) else { return }
        var rng = SplitMix64(seed: UInt64(bits * 100 + weightBits))
        let (t, k, n) = (5, 77, 9)
        let floats = (0..<(n * k)).map { _ in rng.nextFloat(scale: 0.3) }
        let m = try Quantizer.quantizeMatrix(
            name: "w", values: floats, rows: n, cols: k, activationBits: bits, weightBits: weightBits)
        let bias = (0..<n).map { _ in Int32(rng.nextInt(-70000, 70000)) }
        let w = try LinearWeights(matrix: m, bias: bias)
        let z = (0..<(t * k)).map { i in i % 13 == 0 ? Int32.max : Int32(rng.nextInt(-300000, 300000)) }
        let a = try QuantizedActivations.quantize(z, tokens: t, width: k, bits: bits)
        let residual = (0..<(t * n)).map { _ in Int32(rng.nextInt(-1 << 20, 1 << 20)) }
        var want = [Int32](repeating: 0, count: t * n)
        for i in 0..<t {
            for o in 0..<n {
                var acc: Int64 = 0
                for c in 0..<k { acc += Int64(a.values[i * k + c]) * m.weight(o, c) }
                let s = m.outputScales[o]
                var y = referenceMulRoundShift(
                    acc, Int64(a.mantissas[i]) * Int64(s.multiplier), Int(s.shift) - Int(a.exponents[i]))
                y = min(max(y, -2_147_483_647), 2_147_483_647) + Int64(bias[o])
                y = min(max(y, -2_147_483_647), 2_147_483_647)
                y = Int64(ActivationFunction.gelu.apply(Int32(y))) + Int64(residual[i * n + o])
                want[i * n + o] = Int32(min(max(y, -2_147_483_647), 2_147_483_647))
            }
        }
        for path in KernelPath.availableConcrete {
            for threads in [1, 2] {
                let got = try Dense.apply(
                    a, w, lut: .gelu, residual: residual, options: .init(path: path, threads: threads))
                #expect(got == want, "\(path) t\(threads)")
            }
        }
    }

    /// Per-token quantization (§3.3) against its definition, including the all-zero token and
    /// extreme values.
    @Test func perTokenQuantization() throws {
        let rows: [[Int32]] = [
            [0, 0, 0], [1, -1, 0], [127, -128, 5], [Int32.max, -Int32.max, 12345], [300, -299, 1],
        ]
        for bits in [8, 16] {
            let amax: Int64 = bits == 8 ? 127 : 32767
            let a = try QuantizedActivations.quantize(
                rows.flatMap { $0 }, tokens: rows.count, width: 3, bits: bits)
            for (t, row) in rows.enumerated() {
                let m = row.map { Int64($0.magnitude) }.max()!
                if m == 0 {
                    #expect(a.mantissas[t] == 0 && a.values[(3 * t)..<(3 * t + 3)].allSatisfy { $0 == 0 })
                    continue
                }
                let den = Int64(a.mantissas[t]) << Int64(a.exponents[t])
                #expect(den >= m && a.mantissas[t] <= 256)
                #expect(a.exponents[t] == 0 || a.mantissas[t] > 128, "mantissa uses its 8 bits")
                for (i, z) in row.enumerated() {
                    // q = floor(Amax * z / den + 1/2), checked without division rounding helpers.
                    let q = Int64(a.values[3 * t + i])
                    let num = 2 * amax * Int64(z) + den
                    #expect(q * 2 * den <= num && num < (q + 1) * 2 * den)
                    #expect(abs(q) <= amax)
                }
            }
        }
    }

    @Test func shapeErrors() throws {
        let m = try Quantizer.quantizeMatrix(
            name: "w", values: [1, 2, 3, 4, 5, 6], rows: 2, cols: 3, activationBits: 8)
        let a = try QuantizedActivations.quantize([1, 2], tokens: 1, width: 2, bits: 8)
        #expect(throws: KernelError.wrongShape(what: "dense input width", got: [2], want: [3])) {
            try Dense.apply(a, try LinearWeights(matrix: m))
        }
        #expect(throws: KernelError.self) { try LinearWeights(matrix: m, bias: [1]) }
        #expect(throws: KernelError.nonFiniteWeight(tensor: "w", index: 1)) {
            try Quantizer.quantizeMatrix(name: "w", values: [1, .nan], rows: 1, cols: 2, activationBits: 8)
        }
    }
}
