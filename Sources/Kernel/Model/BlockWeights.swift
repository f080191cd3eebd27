/// Block-quantized weights of one matrix (specs/kernel.md §3.5): per row, blocks of 32
/// consecutive columns, each with an unsigned 4-bit or signed 8-bit code `c` per weight and one
/// int16 pair `(S_b, Z_b)` per block; the integer weight is `w = S_b * c + Z_b`, relative to the
/// row's `outputScale` like every other weight format. The GEMM never forms `w`:
/// `acc = sum_b (S_b * sum_{k in b} x_k c_k + Z_b * sum_{k in b} x_k)`, exact in int64 (§3.5).
///
/// Two layouts of the same integers are kept: the canonical one of the package (`codes`,
/// `blockScales`, §6.4) and `packed`, the C micro-kernels' layout built once here.
public struct BlockWeights: Sendable, Equatable {
    /// Columns per block.
    public static let blockSize = 32
    /// Rows interleaved per group of the packed layout (one int32 lane per row).
    static let groupRows = 16

    public let rows: Int
    public let cols: Int
    /// 4 (unsigned codes `[0, 15]`, from Q4_0 / Q4_1 sources) or 8 (signed codes `[-128, 127]`,
    /// from Q8_0 sources).
    public let codeBits: Int
    /// Canonical codes, row-major. 4-bit: `cols / 2` bytes per row, byte `j` holding column
    /// `2j` in its low nibble and `2j + 1` in its high nibble; 8-bit: `cols` bytes per row,
    /// each the two's complement code.
    public let codes: [UInt8]
    /// `(S_b, Z_b)` for row `r`, block `b` at `2 * (r * blocks + b)`; any int16 is accepted.
    public let blockScales: [Int16]
    /// The micro-kernels' layout (see `pack`).
    let packed: [UInt8]

    /// Blocks per row (`cols / 32`).
    public var blocks: Int { cols / Self.blockSize }

    /// Wraps canonical codes and block scales after checking shapes.
    ///
    /// - Throws: `.invalidConfig` unless `codeBits` is 4 or 8; `.wrongShape` unless
    ///   `cols` is a positive multiple of 32 and the arrays have the sizes above.
    public init(rows: Int, cols: Int, codeBits: Int, codes: [UInt8], blockScales: [Int16])
        throws(KernelError)
    {
        guard codeBits == 4 || codeBits == 8 else {
            throw .invalidConfig(field: "codeBits", reason: "must be 4 or 8, got \(codeBits)")
        }
        guard rows >= 1, cols >= Self.blockSize, cols % Self.blockSize == 0,
            cols <= ModelConfig.maxDimension, rows <= 1 << 24
        else {
            throw .wrongShape(
                what: "block matrix (cols a multiple of 32, at most 2^16)", got: [rows, cols],
                want: [rows, max(Self.blockSize, cols / Self.blockSize * Self.blockSize)])
        }
        let rowBytes = codeBits == 4 ? cols / 2 : cols
        guard codes.count == rows * rowBytes else {
            throw .wrongShape(what: "block codes", got: [codes.count], want: [rows * rowBytes])
        }
        guard blockScales.count == rows * (cols / Self.blockSize) * 2 else {
            throw .wrongShape(
                what: "block scales", got: [blockScales.count], want: [rows * (cols / Self.blockSize) * 2])
        }
        self.rows = rows
        self.cols = cols
        self.codeBits = codeBits
        self.codes = codes
        self.blockScales = blockScales
        self.packed = Self.pack(rows: rows, cols: cols, codeBits: codeBits, codes: codes, scales: blockScales)
    }

    /// The code of `(r, c)`: `[0, 15]` or `[-128, 127]`.
    @inlinable
    public func code(_ r: Int, _ c: Int) -> Int64 {
        if codeBits == 4 {
            let byte = codes[r * (cols / 2) + c / 2]
            return Int64(c & 1 == 0 ? byte & 0x0F : byte >> 4)
        }
        return Int64(Int8(bitPattern: codes[r * cols + c]))
    }

    /// The integer weight of `(r, c)`: `S_b * c + Z_b` (`|w| < 2^23`).
    @inlinable
    public func weight(_ r: Int, _ c: Int) -> Int64 {
        let i = 2 * (r * (cols / 32) + c / 32)
        return Int64(blockScales[i]) * code(r, c) + Int64(blockScales[i + 1])
    }

    /// Bytes of one (group, block) record of the packed layout: the codes of 16 rows × 32
    /// columns (256 bytes at 4 bits, 512 at 8) followed by `S[16]` and `Z[16]` (int16 LE).
    static func recordBytes(codeBits: Int) -> Int { (codeBits == 4 ? 256 : 512) + 64 }

    /// The packed layout read by `mesh_gemm_block_*`. Rows are taken 16 at a time (the last
    /// group padded with zero rows); records are group-major, then block. Within a record, the
    /// 32 columns of a block are 16 *pair steps* `p` (columns `2p`, `2p + 1`); step `p` is 32
    /// bytes, byte `2l + h` holding row `l`'s code of column `2p + h`, so one int32 lane of a
    /// pair-product instruction sums one row. 8-bit codes: step `p` at bytes `[32p, 32p + 32)`.
    /// 4-bit codes: the 256 bytes are four 64-byte chunks `q`; step `4q + s` sits in the low
    /// (`s` 0, 1) or high (`s` 2, 3) nibbles of chunk bytes `[32 (s & 1), 32 (s & 1) + 32)`.
    static func pack(rows: Int, cols: Int, codeBits: Int, codes: [UInt8], scales: [Int16]) -> [UInt8] {
        let nb = cols / blockSize
        let groups = (rows + groupRows - 1) / groupRows
        let record = recordBytes(codeBits: codeBits)
        let codeBytes = record - 64
        var out = [UInt8](repeating: 0, count: groups * nb * record)
        let rowBytes = codeBits == 4 ? cols / 2 : cols
        func code(_ r: Int, _ c: Int) -> UInt8 {
            if codeBits == 4 {
                let byte = codes[r * rowBytes + c / 2]
                return c & 1 == 0 ? byte & 0x0F : byte >> 4
            }
            return codes[r * rowBytes + c]
        }
        for g in 0..<groups {
            for b in 0..<nb {
                let base = (g * nb + b) * record
                for l in 0..<groupRows {
                    let r = g * groupRows + l
                    guard r < rows else { break }
                    for p in 0..<16 {
                        for h in 0..<2 {
                            let v = code(r, b * blockSize + 2 * p + h)
                            let j = 2 * l + h
                            if codeBits == 8 {
                                out[base + 32 * p + j] = v
                            } else {
                                let q = p / 4
                                let s = p % 4
                                out[base + 64 * q + 32 * (s & 1) + j] |= v << (4 * (s >> 1))
                            }
                        }
                    }
                    let sz = 2 * (r * nb + b)
                    let s = UInt16(bitPattern: scales[sz])
                    let z = UInt16(bitPattern: scales[sz + 1])
                    out[base + codeBytes + 2 * l] = UInt8(s & 0xFF)
                    out[base + codeBytes + 2 * l + 1] = UInt8(s >> 8)
                    out[base + codeBytes + 32 + 2 * l] = UInt8(z & 0xFF)
                    out[base + codeBytes + 32 + 2 * l + 1] = UInt8(z >> 8)
                }
            }
        }
        return out
    }

    public static func == (a: BlockWeights, b: BlockWeights) -> Bool {
        a.rows == b.rows && a.cols == b.cols && a.codeBits == b.codeBits && a.codes == b.codes
            && a.blockScales == b.blockScales
    }
}
