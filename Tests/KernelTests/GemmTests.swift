import Testing

@testable import Kernel

/// Naive exact GEMM in Int64 straight from §3.4.
func naiveGemm(_ a: [Int], rows: Int, _ w: QuantizedMatrix) -> [Int64] {
    var c = [Int64](repeating: 0, count: rows * w.rows)
    for i in 0..<rows {
        for j in 0..<w.rows {
            var s: Int64 = 0
            for k in 0..<w.cols { s += Int64(a[i * w.cols + k]) * Int64(w.weights[j * w.cols + k]) }
            c[i * w.rows + j] = s
        }
    }
    return c
}

func matrix(rows: Int, cols: Int, _ gen: (Int) -> Int8) throws -> QuantizedMatrix {
    let one = try DyadicMultiplier(multiplier: 1 << 14, shift: 14)
    return try QuantizedMatrix(
        rows: rows, cols: cols, weights: (0..<(rows * cols)).map(gen),
        outputScales: Array(repeating: one, count: rows), valueScales: Array(repeating: one, count: rows))
}

struct GemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 5, 63), (3, 7, 64), (4, 4, 65), (5, 9, 127), (2, 130, 200), (7, 3, 1025), (9, 17, 300),
    ]

    @Test(arguments: KernelPath.availableConcrete)
    func randomShapesMatchNaive(path: KernelPath) throws {
        var rng = SplitMix64(seed: 42)
        for (m, n, k) in Self.shapes {
            let w = try matrix(rows: n, cols: k) { _ in Int8(truncatingIfNeeded: rng.next()) }
            let a = (0..<(m * k)).map { _ in Int8(truncatingIfNeeded: rng.next()) }
            let u = (0..<(m * k)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for threads in [1, 2, 3] {
                let opts = ExecutionOptions(path: path, threads: threads)
                let got = try IntegerGemm.multiply(a, rows: m, w, options: opts).map { Int64($0) }
                #expect(got == naiveGemm(a.map { Int($0) }, rows: m, w), "\(path) \(m)x\(n)x\(k) t\(threads)")
                let gotU = try IntegerGemm.multiplyUnsigned(u, rows: m, w, options: opts).map { Int64($0) }
                #expect(gotU == naiveGemm(u.map { Int($0) }, rows: m, w), "\(path) u8 \(m)x\(n)x\(k)")
            }
        }
    }

    /// Extreme values everywhere: the largest sums the spec allows must come out exact.
    @Test(arguments: KernelPath.availableConcrete)
    func adversarialExtremes(path: KernelPath) throws {
        let k = 4099
        let opts = ExecutionOptions(path: path, threads: 2)
        for (av, wv) in [(Int8(-128), Int8(-128)), (127, 127), (-128, 127), (127, -128)] {
            let w = try matrix(rows: 5, cols: k) { _ in wv }
            let a = [Int8](repeating: av, count: 3 * k)
            let got = try IntegerGemm.multiply(a, rows: 3, w, options: opts)
            #expect(got.allSatisfy { Int64($0) == Int64(av) * Int64(wv) * Int64(k) }, "\(path) \(av)*\(wv)")
            let u = [UInt8](repeating: 255, count: 3 * k)
            let gotU = try IntegerGemm.multiplyUnsigned(u, rows: 3, w, options: opts)
            #expect(gotU.allSatisfy { Int64($0) == 255 * Int64(wv) * Int64(k) }, "\(path) 255*\(wv)")
        }
    }

    /// K = 2^16 with -128 * -128: the largest int8 sum (2^30), and 255 * -128 (|sum| ~ 2^31).
    @Test(arguments: KernelPath.availableConcrete)
    func maximalK(path: KernelPath) throws {
        let k = 1 << 16
        let w = try matrix(rows: 4, cols: k) { _ in -128 }
        let opts = ExecutionOptions(path: path, threads: 1)
        let a = [Int8](repeating: -128, count: k)
        #expect(
            try IntegerGemm.multiply(a, rows: 1, w, options: opts) == [Int32](repeating: 1 << 30, count: 4))
        let u = [UInt8](repeating: 255, count: k)
        let want = Int32(-255 * 128 * k)
        #expect(
            try IntegerGemm.multiplyUnsigned(u, rows: 1, w, options: opts)
                == [Int32](repeating: want, count: 4))
    }

    @Test func wrongShapeThrows() throws {
        let w = try matrix(rows: 2, cols: 3) { _ in 1 }
        #expect(throws: KernelError.self) { try IntegerGemm.multiply([1, 2], rows: 1, w) }
    }
}
