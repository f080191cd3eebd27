import CKernelSIMD

/// Exact GEMM against block-quantized weights (specs/kernel.md §3.5):
/// `acc[t][r] = sum_b (S[r][b] * sum_{k in b} x[t][k] * c[r][k] + Z[r][b] * sum_{k in b} x[t][k])`,
/// the integer `sum_k x[t][k] * (S c + Z)` computed without forming the weights. Every path
/// (`mesh_gemm_block_vnni`, `mesh_gemm_block_avx2`, the Swift reference) returns the same
/// integers; output rows are split between threads in groups of 16.
public enum BlockGemm {
    /// Multiplies int16 activations `[rows, w.cols]` by the block matrix `w` transposed.
    ///
    /// - Returns: int64 `[rows, w.rows]`, exact (`|acc| < 2^54`, §3.5).
    /// - Throws: `.wrongShape` if `a.count != rows * w.cols`; `.pathUnavailable`.
    ///   The `blas` path runs the Swift reference (SGEMM is not exact on these sums).
    public static func multiply(
        _ a: [Int16], rows m: Int, _ w: BlockWeights, options: ExecutionOptions = .reference
    ) throws(KernelError) -> [Int64] {
        guard m >= 0, a.count == m * w.cols else {
            throw .wrongShape(what: "gemm input", got: [a.count], want: [m * w.cols])
        }
        let path = try options.path.resolved()
        let n = w.rows
        let nb = w.blocks
        var c = [Int64](repeating: 0, count: m * n)
        guard m > 0 else { return c }
        if path != .vnni && path != .avx2 {
            reference(a, rows: m, w, into: &c)
            return c
        }
        var xsum = [Int32](repeating: 0, count: m * nb)
        a.withUnsafeBufferPointer { ab in
            xsum.withUnsafeMutableBufferPointer {
                mesh_block_sums(ab.baseAddress!, w.cols, m, nb, $0.baseAddress!)
            }
        }
        let record = BlockWeights.recordBytes(codeBits: w.codeBits)
        let groups = (n + BlockWeights.groupRows - 1) / BlockWeights.groupRows
        let bits = Int32(w.codeBits)
        a.withUnsafeBufferPointer { ab in
            xsum.withUnsafeBufferPointer { xb in
                w.packed.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { cb in
                        let ap = SendablePointer(base: UnsafeMutablePointer(mutating: ab.baseAddress!))
                        let xp = SendablePointer(base: UnsafeMutablePointer(mutating: xb.baseAddress!))
                        let pp = SendablePointer(base: UnsafeMutablePointer(mutating: pb.baseAddress!))
                        let cp = SendablePointer(base: cb.baseAddress!)
                        parallelRanges(count: groups, threads: options.threads) { g0, g1 in
                            let rowCount = min(n, g1 * BlockWeights.groupRows) - g0 * BlockWeights.groupRows
                            let packed = pp.base + g0 * nb * record
                            let out = cp.base + g0 * BlockWeights.groupRows
                            if path == .vnni {
                                mesh_gemm_block_vnni(
                                    ap.base, w.cols, xp.base, nb, packed, bits, out, n, m, g1 - g0, rowCount)
                            } else {
                                mesh_gemm_block_avx2(
                                    ap.base, w.cols, xp.base, nb, packed, bits, out, n, m, g1 - g0, rowCount)
                            }
                        }
                    }
                }
            }
        }
        return c
    }

    /// The reference, straight from §3.5 on the canonical codes: per block the code sum and the
    /// activation sum, each block term in int64.
    static func reference(_ a: [Int16], rows m: Int, _ w: BlockWeights, into c: inout [Int64]) {
        let n = w.rows
        let k = w.cols
        for t in 0..<m {
            for r in 0..<n {
                var acc: Int64 = 0
                for b in 0..<w.blocks {
                    var dot: Int64 = 0
                    var sum: Int64 = 0
                    for j in (32 * b)..<(32 * b + 32) {
                        let x = Int64(a[t * k + j])
                        dot += x * w.code(r, j)
                        sum += x
                    }
                    let i = 2 * (r * w.blocks + b)
                    acc += Int64(w.blockScales[i]) * dot + Int64(w.blockScales[i + 1]) * sum
                }
                c[t * n + r] = acc
            }
        }
    }
}
