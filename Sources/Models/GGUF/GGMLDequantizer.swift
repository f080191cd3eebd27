/// Block dequantization of GGML tensor data to binary32 (layouts and arithmetic in `GGMLType`).
enum GGMLDequantizer {
    /// Dequantizes `count` values of `type` from `raw`.
    ///
    /// Preconditions (checked by `GGUFFile` at parse time, not here): `raw.count` equals
    /// `count / type.blockSize · type.bytesPerBlock`, `count` is a multiple of the block size and
    /// `type.isDequantizable`.
    static func dequantize(_ raw: UnsafeRawBufferPointer, type: GGMLType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch type {
            case .f32:
                for i in 0..<count {
                    out[i] = Float(
                        bitPattern: UInt32(
                            littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f16:
                for i in 0..<count { out[i] = HalfFloat.float(fromHalfBits: half(raw, 2 * i)) }
            case .bf16:
                for i in 0..<count { out[i] = HalfFloat.float(fromBFloat16Bits: half(raw, 2 * i)) }
            case .q80:
                for block in 0..<(count / 32) {
                    let base = block * 34
                    let d = HalfFloat.float(fromHalfBits: half(raw, base))
                    for j in 0..<32 {
                        out[block * 32 + j] = Float(Int8(bitPattern: raw[base + 2 + j])) * d
                    }
                }
            case .q40:
                for block in 0..<(count / 32) {
                    let base = block * 18
                    let d = HalfFloat.float(fromHalfBits: half(raw, base))
                    for j in 0..<16 {
                        let byte = raw[base + 2 + j]
                        out[block * 32 + j] = Float(Int(byte & 0x0F) - 8) * d
                        out[block * 32 + j + 16] = Float(Int(byte >> 4) - 8) * d
                    }
                }
            case .q41:
                for block in 0..<(count / 32) {
                    let base = block * 20
                    let d = HalfFloat.float(fromHalfBits: half(raw, base))
                    let m = HalfFloat.float(fromHalfBits: half(raw, base + 2))
                    for j in 0..<16 {
                        let byte = raw[base + 4 + j]
                        // Two separately rounded operations: no fused multiply-add.
                        let low = d * Float(byte & 0x0F)
                        let high = d * Float(byte >> 4)
                        out[block * 32 + j] = low + m
                        out[block * 32 + j + 16] = high + m
                    }
                }
            default:
                for i in 0..<count { out[i] = .nan }
            }
            initialized = count
        }
    }

    @inline(__always)
    private static func half(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
