/// Exact conversions from 16-bit floating-point encodings to `Float`.
///
/// Both IEEE 754 binary16 and bfloat16 values are exactly representable as binary32, so these
/// conversions never round; they are written with integer bit operations so that the result does
/// not depend on the platform's `Float16` support. NaN payloads are preserved (quiet bit as
/// stored); subnormal halves become normal floats.
enum HalfFloat {
    /// IEEE 754 binary16 bits → binary32 value (exact).
    static func float(fromHalfBits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x03FF)
        if exponent == 0x1F {  // Inf or NaN
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }  // ±0
            // Subnormal: value = mantissa · 2^-24; normalise.
            var e: UInt32 = 127 - 15 + 1
            while mantissa & 0x0400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            mantissa &= 0x03FF
            return Float(bitPattern: sign | (e << 23) | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (mantissa << 13))
    }

    /// bfloat16 bits → binary32 value (exact: bfloat16 is the top half of binary32).
    static func float(fromBFloat16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }
}
