import Foundation

/// Lowercase hexadecimal, the only hex form the wire formats accept (specs/receipt.md §2).
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes lowercase hex; returns nil for odd length, uppercase or any other character.
    public static func decode(_ text: String) -> Data? {
        var text = text
        return text.withUTF8 { utf8 -> Data? in
            guard utf8.count % 2 == 0 else { return nil }
            var out = [UInt8](repeating: 0, count: utf8.count / 2)
            for k in out.indices {
                guard let hi = nibble(utf8[2 * k]), let lo = nibble(utf8[2 * k + 1]) else { return nil }
                out[k] = hi << 4 | lo
            }
            return Data(out)
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
