import Karma
import TestSupport
import Testing

/// `CheckedMath` against the exact 128-bit reference (`UInt128`), on edges and seeded random inputs.
@Suite struct CheckedMathTests {
    /// Reference: floor(a·b/d) in 128 bits, nil when it does not fit in 64 bits or d = 0.
    @available(macOS 15.0, *)
    static func reference(_ a: UInt64, _ b: UInt64, _ d: UInt64) -> UInt64? {
        guard d > 0 else { return nil }
        let q = UInt128(a) * UInt128(b) / UInt128(d)
        return q > UInt128(UInt64.max) ? nil : UInt64(q)
    }

    static let edges: [UInt64] = {
        var v: [UInt64] = [
            0, 1, 2, 3, 9_999, 10_000, 10_001, 999_999, 1_000_000, 1_000_001, 1 << 20, .max, .max - 1,
        ]
        for shift in [31, 32, 53, 63] {
            let p = UInt64(1) << UInt64(shift)
            v += [p - 2, p - 1, p, p + 1, p + 2]
        }
        return v
    }()

    @available(macOS 15.0, *)
    @Test func mulDivMatchesReferenceOnEdges() {
        for a in Self.edges {
            for b in Self.edges {
                for d in Self.edges {
                    let got = try? CheckedMath.mulDiv(a, b, d, "test")
                    #expect(got == Self.reference(a, b, d), "mulDiv(\(a), \(b), \(d))")
                }
            }
        }
    }

    @available(macOS 15.0, *)
    @Test func mulDivMatchesReferenceOnSeededRandom() {
        var rng = SeededRandom(seed: 0x6b61_726d_61)
        for _ in 0..<20_000 {
            let a = rng.next() >> (rng.next() % 64)
            let b = rng.next() >> (rng.next() % 64)
            let d = max(1, rng.next() >> (rng.next() % 64))
            let got = try? CheckedMath.mulDiv(a, b, d, "test")
            #expect(got == Self.reference(a, b, d))
        }
    }

    @Test func additionAndMultiplicationRefuseToWrap() {
        #expect(throws: KarmaError.overflow("x")) { try CheckedMath.add(.max, 1, "x") }
        #expect(throws: KarmaError.overflow("x")) { try CheckedMath.sub(0, 1, "x") }
        #expect(throws: KarmaError.overflow("x")) { try CheckedMath.mul(1 << 32, 1 << 32, "x") }
        #expect(throws: KarmaError.overflow("x")) { try CheckedMath.sum([.max, 1], "x") }
        #expect((try? CheckedMath.add(.max - 1, 1, "x")) == .max)
        #expect((try? CheckedMath.mul(1 << 31, 1 << 32, "x")) == 1 << 63)
    }
}
