import Foundation
import TestSupport
import Testing

@testable import Proofs

/// Naive reference: arbitrary-precision-free modular multiply via 128-bit division by repeated
/// doubling (independent of the fast reduction under test).
func referenceMulMod(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let p = Goldilocks.modulus
    var result: UInt64 = 0
    var x = a % p
    var y = b
    while y > 0 {
        if y & 1 == 1 {
            let (s, o) = result.addingReportingOverflow(x)
            result = (o || s >= p) ? s &- p : s
        }
        let (d, o) = x.addingReportingOverflow(x)
        x = (o || d >= p) ? d &- p : d
        y >>= 1
    }
    return result
}

extension SeededRandom {
    mutating func field() -> Goldilocks { Goldilocks(next()) }
    mutating func ext() -> GoldilocksExt2 { GoldilocksExt2(field(), field()) }
}

@Suite struct GoldilocksTests {
    static let p = Goldilocks.modulus
    static let edges: [UInt64] = [
        0, 1, 2, 0xFFFF_FFFF, 1 << 32, (1 << 32) + 1, p - 2, p - 1, 1 << 63, (1 << 63) - 1,
        0xFFFF_FFFF_0000_0000, 0xFFFF_FFFE_FFFF_FFFF,
    ]

    @Test func addSubMulMatchReferenceOnEdgesAndRandom() {
        var rng = SeededRandom(seed: 1)
        var samples = Self.edges.map { $0 % Self.p }
        for _ in 0..<200 { samples.append(rng.next() % Self.p) }
        for a in samples {
            for b in samples.prefix(40) {
                let fa = Goldilocks(a)
                let fb = Goldilocks(b)
                let sum = (UInt128(a) + UInt128(b)) % UInt128(Self.p)
                #expect((fa + fb).value == UInt64(sum))
                let diff = (UInt128(a) + UInt128(Self.p) - UInt128(b)) % UInt128(Self.p)
                #expect((fa - fb).value == UInt64(diff))
                #expect((fa * fb).value == referenceMulMod(a, b))
                let prod = UInt128(a) * UInt128(b) % UInt128(Self.p)
                #expect((fa * fb).value == UInt64(prod))
            }
        }
    }

    @Test func reduce128MatchesReferenceOnExtremes() {
        var rng = SeededRandom(seed: 2)
        var pairs: [(UInt64, UInt64)] = [
            (UInt64.max, UInt64.max), (0, UInt64.max), (UInt64.max, 0), (1 << 32, 0),
        ]
        for _ in 0..<1000 { pairs.append((rng.next(), rng.next())) }
        for (hi, lo) in pairs {
            let want = ((UInt128(hi) << 64) | UInt128(lo)) % UInt128(Self.p)
            #expect(Goldilocks.reduce128(hi: hi, lo: lo).value == UInt64(want))
        }
    }

    @Test func signedEmbeddingAndInverse() {
        #expect(Goldilocks(signed: -1).value == Self.p - 1)
        #expect(Goldilocks(signed: Int64.min).value == Self.p - (1 << 63))
        #expect(Goldilocks(signed: 5) + Goldilocks(signed: -5) == .zero)
        #expect(Goldilocks(exactly: Self.p) == nil)
        #expect(Goldilocks(Self.p) == .zero)
        var rng = SeededRandom(seed: 3)
        for _ in 0..<20 {
            let a = rng.field()
            if a != .zero { #expect(a * a.inverse() == .one) }
        }
    }

    @Test func sevenIsANonResidueSoTheExtensionIsAField() {
        // Euler's criterion: 7^((p−1)/2) = −1.
        #expect(GoldilocksExt2.nonResidue.power((Self.p - 1) / 2) == Goldilocks(signed: -1))
    }

    @Test func extensionArithmeticIsAField() {
        var rng = SeededRandom(seed: 4)
        let x = GoldilocksExt2(.zero, .one)
        #expect(x * x == GoldilocksExt2(Goldilocks(7)))
        for _ in 0..<50 {
            let a = rng.ext()
            let b = rng.ext()
            let c = rng.ext()
            #expect(a * (b + c) == a * b + a * c)
            #expect((a * b) * c == a * (b * c))
            #expect(a * b == b * a)
            #expect(a - a == .zero)
            #expect(a * GoldilocksExt2.one == a)
            // Norm-based inverse: a^{-1} = conj(a) / (a0^2 − 7 a1^2).
            let norm = a.c0 * a.c0 - Goldilocks(7) * a.c1 * a.c1
            #expect(norm != .zero)
            let inv = GoldilocksExt2(a.c0 * norm.inverse(), -(a.c1 * norm.inverse()))
            #expect(a * inv == .one)
        }
    }
}
