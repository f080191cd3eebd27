import CKernelSIMD
import COpenBLAS

/// Exact integer GEMM, `C[m][n] = sum_k A[m][k] * W[n][k]` (specs/kernel.md §3.4), on any
/// `KernelPath`, split over threads by output channel. All paths return identical integers.
///
/// `A` is an int8 plane or a uint8 plane (the low bytes of int16 activations); `W` is a
/// `QuantizedMatrix` `[N, K]`. `K <= 2^16` keeps every true sum inside int32.
public enum IntegerGemm {
    /// Which int8 plane of a `QuantizedMatrix` to multiply by.
    public enum Plane: Sendable {
        /// `weights` (the only plane of 8-bit weights).
        case high
        /// `lowWeights` (16-bit weights); zeros if the matrix has no low plane.
        case low
    }

    /// Multiplies an int8 activation plane `[rows, w.cols]` by `w` transposed.
    ///
    /// - Returns: int32 `[rows, w.rows]`, exact.
    /// - Throws: `.wrongShape` if `a.count != rows * w.cols`; `.pathUnavailable`.
    public static func multiply(
        _ a: [Int8], rows: Int, _ w: QuantizedMatrix, plane: Plane = .high,
        options: ExecutionOptions = .reference
    ) throws(KernelError) -> [Int32] {
        guard rows >= 0, a.count == rows * w.cols else {
            throw .wrongShape(what: "gemm input", got: [a.count], want: [rows * w.cols])
        }
        let path = try options.path.resolved()
        return a.withUnsafeBytes { raw in
            run(
                raw.baseAddress, unsigned: false, rows: rows, w, plane: plane, path: path,
                threads: options.threads)
        }
    }

    /// Multiplies a uint8 activation plane `[rows, w.cols]` by `w` transposed.
    public static func multiplyUnsigned(
        _ a: [UInt8], rows: Int, _ w: QuantizedMatrix, plane: Plane = .high,
        options: ExecutionOptions = .reference
    ) throws(KernelError) -> [Int32] {
        guard rows >= 0, a.count == rows * w.cols else {
            throw .wrongShape(what: "gemm input", got: [a.count], want: [rows * w.cols])
        }
        let path = try options.path.resolved()
        return a.withUnsafeBytes { raw in
            run(
                raw.baseAddress, unsigned: true, rows: rows, w, plane: plane, path: path,
                threads: options.threads)
        }
    }

    /// Multiplies int16 activations `[rows, w.cols]` by the int16 weights of `w` (the int16
    /// path of §3.4: `vpdpwssd` on AVX-512 VNNI, `vpmaddwd` on AVX2, int64 loops on `scalar`).
    ///
    /// - Returns: int64 `[rows, w.rows]`, exact; `nil` when `w` has no int16 weights
    ///   (8-bit weights, or planes whose combination leaves int16) or `path` is `blas` (exact
    ///   in FP32 only on the int8 planes): the caller multiplies plane by plane then.
    /// - Throws: `.wrongShape` if `a.count != rows * w.cols`; `.pathUnavailable`.
    public static func multiplyWide(
        _ a: [Int16], rows: Int, _ w: QuantizedMatrix, options: ExecutionOptions = .reference
    ) throws(KernelError) -> [Int64]? {
        guard rows >= 0, a.count == rows * w.cols else {
            throw .wrongShape(what: "gemm input", got: [a.count], want: [rows * w.cols])
        }
        let path = try options.path.resolved()
        guard let wide = w.wideWeights, path != .blas else { return nil }
        let n = w.rows
        let k = w.cols
        var c = [Int64](repeating: 0, count: rows * n)
        guard rows > 0 else { return c }
        a.withUnsafeBufferPointer { ab in
            wide.withUnsafeBufferPointer { wb in
                c.withUnsafeMutableBufferPointer { cb in
                    let ap = SendablePointer(base: UnsafeMutablePointer(mutating: ab.baseAddress!))
                    let wp = SendablePointer(base: UnsafeMutablePointer(mutating: wb.baseAddress!))
                    let cp = SendablePointer(base: cb.baseAddress!)
                    parallelRanges(count: n, threads: options.threads, granularity: 8) { n0, n1 in
                        let wRows = wp.base + n0 * k
                        let out = cp.base + n0
                        switch path {
                        case .vnni: mesh_gemm_i16_vnni(ap.base, k, wRows, k, out, n, rows, n1 - n0, k)
                        case .avx2: mesh_gemm_i16_avx2(ap.base, k, wRows, k, out, n, rows, n1 - n0, k)
                        default: scalarWide(ap.base, m: rows, wRows, n: n1 - n0, k: k, out, ldc: n)
                        }
                    }
                }
            }
        }
        return c
    }

    /// The int16 reference: plain loops, int64 accumulation (exact).
    static func scalarWide(
        _ a: UnsafePointer<Int16>, m: Int, _ w: UnsafePointer<Int16>, n: Int, k: Int,
        _ c: UnsafeMutablePointer<Int64>, ldc: Int
    ) {
        for i in 0..<m {
            let row = a + i * k
            for j in 0..<n {
                let wr = w + j * k
                var s: Int64 = 0
                for t in 0..<k { s &+= Int64(row[t]) &* Int64(wr[t]) }
                c[i * ldc + j] = s
            }
        }
    }

    static func run(
        _ a: UnsafeRawPointer?, unsigned: Bool, rows m: Int, _ w: QuantizedMatrix, plane: Plane,
        path: KernelPath, threads: Int
    ) -> [Int32] {
        let n = w.rows
        let k = w.cols
        var c = [Int32](repeating: 0, count: m * n)
        guard m > 0, let a else { return c }
        let values: [Int8]
        let sums: [Int32]
        switch plane {
        case .high:
            values = w.weights
            sums = w.rowSums
        case .low:
            guard let low = w.lowWeights else { return c }
            values = low
            sums = w.lowRowSums
        }
        let aBytes = SendablePointer(
            base: UnsafeMutablePointer(mutating: a.assumingMemoryBound(to: UInt8.self)))
        if path == .blas {
            c.withUnsafeMutableBufferPointer { cb in
                values.withUnsafeBufferPointer { wb in
                    blas(
                        aBytes.base, unsigned: unsigned, m: m, wb.baseAddress!, n: n, k: k, cb.baseAddress!,
                        threads: threads)
                }
            }
            return c
        }
        c.withUnsafeMutableBufferPointer { cb in
            values.withUnsafeBufferPointer { wb in
                sums.withUnsafeBufferPointer { sb in
                    let cp = SendablePointer(base: cb.baseAddress!)
                    let wp = SendablePointer(base: UnsafeMutablePointer(mutating: wb.baseAddress!))
                    let sp = SendablePointer(base: UnsafeMutablePointer(mutating: sb.baseAddress!))
                    parallelRanges(count: n, threads: threads, granularity: 4) { n0, n1 in
                        let wRows = wp.base + n0 * k
                        let out = cp.base + n0
                        switch path {
                        case .vnni:
                            mesh_gemm_i8_vnni(
                                aBytes.base, k, unsigned ? 1 : 0, wRows, k, sp.base + n0, out, n, m,
                                n1 - n0, k)
                        case .avx2:
                            mesh_gemm_i8_avx2(
                                aBytes.base, k, unsigned ? 1 : 0, wRows, k, out, n, m, n1 - n0, k)
                        default:
                            scalar(
                                aBytes.base, unsigned: unsigned, m: m, wRows, n: n1 - n0, k: k, out, ldc: n)
                        }
                    }
                }
            }
        }
        return c
    }

    /// The reference: plain loops, int32 accumulation (exact: the true sum fits).
    static func scalar(
        _ a: UnsafePointer<UInt8>, unsigned: Bool, m: Int, _ w: UnsafePointer<Int8>, n: Int, k: Int,
        _ c: UnsafeMutablePointer<Int32>, ldc: Int
    ) {
        for i in 0..<m {
            let row = a + i * k
            for j in 0..<n {
                let wr = w + j * k
                var s: Int32 = 0
                if unsigned {
                    for t in 0..<k { s &+= Int32(row[t]) &* Int32(wr[t]) }
                } else {
                    for t in 0..<k { s &+= Int32(Int8(bitPattern: row[t])) &* Int32(wr[t]) }
                }
                c[i * ldc + j] = s
            }
        }
    }

    /// SGEMM on K-chunks of at most 1024 (int8 × int8) or 512 (uint8 × int8), so every partial
    /// sum has magnitude `<= 2^24` and is exact in FP32; chunk results are added in int32.
    static func blas(
        _ a: UnsafePointer<UInt8>, unsigned: Bool, m: Int, _ w: UnsafePointer<Int8>, n: Int, k: Int,
        _ c: UnsafeMutablePointer<Int32>, threads: Int
    ) {
        let chunk = unsigned ? 512 : 1024
        openblas_set_num_threads(Int32(threads))
        var k0 = 0
        var af = [Float](repeating: 0, count: m * min(chunk, k))
        var wf = [Float](repeating: 0, count: n * min(chunk, k))
        var cf = [Float](repeating: 0, count: m * n)
        while k0 < k {
            let kc = min(chunk, k - k0)
            for i in 0..<m {
                for t in 0..<kc {
                    let v = a[i * k + k0 + t]
                    af[i * kc + t] = unsigned ? Float(v) : Float(Int8(bitPattern: v))
                }
            }
            for j in 0..<n {
                for t in 0..<kc { wf[j * kc + t] = Float(w[j * k + k0 + t]) }
            }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(kc), 1, af, Int32(kc),
                wf, Int32(kc), 0, &cf, Int32(n))
            for i in 0..<(m * n) { c[i] &+= Int32(cf[i]) }
            k0 += kc
        }
    }
}
