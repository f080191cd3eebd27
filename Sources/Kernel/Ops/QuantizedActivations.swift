import CKernelSIMD

/// Per-token quantized GEMM inputs (specs/kernel.md §3.3): `tokens × width` signed integers
/// of `bits` bits (`|q| <= Amax = 2^(bits-1) - 1`) and one scale `mant * 2^e / (Amax * 2^16)`
/// per token.
public struct QuantizedActivations: Sendable, Equatable {
    public let tokens: Int
    public let width: Int
    /// 8 or 16.
    public let bits: Int
    /// Row-major `[tokens, width]`.
    public let values: [Int16]
    /// Per-token mantissa, `0` (all-zero token) or in `[1, 256]`.
    public let mantissas: [Int32]
    /// Per-token exponent, `>= 0`.
    public let exponents: [Int32]

    /// Wraps raw values after checking shapes and ranges (for tests and proofs).
    public init(
        tokens: Int, width: Int, bits: Int, values: [Int16], mantissas: [Int32], exponents: [Int32]
    ) throws(KernelError) {
        guard bits == 8 || bits == 16 else {
            throw .valueOutOfRange(what: "activation bits", value: Int64(bits), range: "{8, 16}")
        }
        guard tokens >= 1, width >= 1, width <= ModelConfig.maxDimension else {
            throw .wrongShape(what: "activations", got: [tokens, width], want: [tokens, width])
        }
        guard values.count == tokens * width, mantissas.count == tokens, exponents.count == tokens
        else {
            throw .wrongShape(
                what: "activations", got: [values.count, mantissas.count, exponents.count],
                want: [tokens * width, tokens, tokens])
        }
        let amax = Int16((1 << (bits - 1)) - 1)
        if let bad = values.first(where: { $0 < -amax || $0 > amax }) {
            throw .valueOutOfRange(what: "activation", value: Int64(bad), range: "[-Amax, Amax]")
        }
        for t in 0..<tokens {
            guard (0...256).contains(mantissas[t]), (0...62).contains(exponents[t]) else {
                throw .valueOutOfRange(
                    what: "token \(t) scale", value: Int64(mantissas[t]), range: "mant [0, 256], e [0, 62]")
            }
        }
        self.init(
            unchecked: tokens, width: width, bits: bits, values: values, mantissas: mantissas,
            exponents: exponents)
    }

    init(
        unchecked tokens: Int, width: Int, bits: Int, values: [Int16], mantissas: [Int32],
        exponents: [Int32]
    ) {
        self.tokens = tokens
        self.width = width
        self.bits = bits
        self.values = values
        self.mantissas = mantissas
        self.exponents = exponents
    }

    /// `2^(bits-1) - 1`.
    public var amax: Int64 { (1 << Int64(bits - 1)) - 1 }

    /// Quantizes Q16 rows per token (§3.3 `quantizeToken`).
    ///
    /// - Parameters: `z` row-major `[tokens, width]` Q16; `bits` 8 or 16; `threads` splits the
    ///   tokens between pool threads (the result does not depend on it).
    /// - Throws: `.wrongShape` if `z.count != tokens * width`.
    public static func quantize(
        _ z: [Int32], tokens: Int, width: Int, bits: Int, threads: Int = 1
    ) throws(KernelError) -> QuantizedActivations {
        guard tokens >= 1, width >= 1, z.count == tokens * width else {
            throw .wrongShape(what: "activations to quantize", got: [z.count], want: [tokens * width])
        }
        guard bits == 8 || bits == 16 else {
            throw .valueOutOfRange(what: "activation bits", value: Int64(bits), range: "{8, 16}")
        }
        let amax = (Int64(1) << Int64(bits - 1)) - 1
        var mants = [Int32](repeating: 0, count: tokens)
        var exps = [Int32](repeating: 0, count: tokens)
        let q = [Int16](unsafeUninitializedCapacity: z.count) { qb, count in
            z.withUnsafeBufferPointer { zb in
                mants.withUnsafeMutableBufferPointer { mb in
                    exps.withUnsafeMutableBufferPointer { eb in
                        let rows = QuantizeRows(
                            z: zb.baseAddress!, width: width, amax: amax, q: qb.baseAddress!,
                            mant: mb.baseAddress!,
                            exps: eb.baseAddress!)
                        parallelRanges(count: tokens, threads: threads) { rows.run($0, $1) }
                    }
                }
            }
            count = z.count
        }
        return QuantizedActivations(
            unchecked: tokens, width: width, bits: bits, values: q, mantissas: mants, exponents: exps)
    }

    /// `mesh_quantize_rows` on tokens `[begin, end)`: what one pool task does.
    private struct QuantizeRows: @unchecked Sendable {
        let z: UnsafePointer<Int32>
        let width: Int
        let amax: Int64
        let q: UnsafeMutablePointer<Int16>
        let mant: UnsafeMutablePointer<Int32>
        let exps: UnsafeMutablePointer<Int32>

        func run(_ begin: Int, _ end: Int) {
            mesh_quantize_rows(
                z + begin * width, end - begin, width, amax, q + begin * width, mant + begin, exps + begin)
        }
    }

    /// The Swift reference of `quantize` (shapes already checked; the C path is checked
    /// against it).
    static func quantizeReference(
        _ z: [Int32], tokens: Int, width: Int, bits: Int
    ) -> QuantizedActivations {
        let amax = (Int64(1) << Int64(bits - 1)) - 1
        var q = [Int16](repeating: 0, count: z.count)
        var mants = [Int32](repeating: 0, count: tokens)
        var exps = [Int32](repeating: 0, count: tokens)
        z.withUnsafeBufferPointer { zb in
            for t in 0..<tokens {
                let row = zb.baseAddress! + t * width
                var m: Int64 = 0
                for i in 0..<width { m = max(m, Int64(row[i].magnitude)) }
                if m == 0 { continue }
                let e = max(0, FixedPoint.bitLength(m) - 8)
                let mant = (m + (Int64(1) << e) - 1) >> e
                let den = mant << e
                for i in 0..<width {
                    q[t * width + i] = Int16(FixedPoint.divRound(amax * Int64(row[i]), den))
                }
                mants[t] = Int32(mant)
                exps[t] = Int32(e)
            }
        }
        return QuantizedActivations(
            unchecked: tokens, width: width, bits: bits, values: q, mantissas: mants, exponents: exps)
    }

    /// The int8 plane (bits == 8) or the signed high plane `q >> 8` (bits == 16).
    var highPlane: [Int8] {
        bits == 8
            ? values.map { Int8(truncatingIfNeeded: $0) } : values.map { Int8(truncatingIfNeeded: $0 >> 8) }
    }

    /// The unsigned low plane `q & 255` (bits == 16 only).
    var lowPlane: [UInt8] { values.map { UInt8(truncatingIfNeeded: $0) } }
}
