import Foundation
import TestSupport

@testable import Groth16

/// A uniform-ish scalar below 2^253 (< r), as four limbs.
func randomScalar(_ rng: inout SeededRandom) -> [UInt64] {
    [rng.next(), rng.next(), rng.next(), rng.next() >> 11]
}

/// A field element from random limbs (top limb masked below p's).
func randomFp(_ rng: inout SeededRandom) -> Fp {
    let v: Limbs4 = (UInt(rng.next()), UInt(rng.next()), UInt(rng.next()), UInt(rng.next() >> 3))
    guard let x = Fp(canonical: v) else { preconditionFailure("below 2^253 < p") }
    return x
}

func randomFp2(_ rng: inout SeededRandom) -> Fp2 { Fp2(randomFp(&rng), randomFp(&rng)) }

func randomFp12(_ rng: inout SeededRandom) -> Fp12 {
    Fp12(
        Fp6(randomFp2(&rng), randomFp2(&rng), randomFp2(&rng)),
        Fp6(randomFp2(&rng), randomFp2(&rng), randomFp2(&rng)))
}

/// Decimal text to a field element; the test fails loudly on bad text.
func fp(_ text: String) -> Fp {
    guard let l = Limbs256.parseDecimal(Substring(text)), let v = Fp(canonical: l) else {
        preconditionFailure("bad decimal \(text)")
    }
    return v
}

/// 8-limb product of two 4-limb scalars (schoolbook), for exponents without reduction mod r.
func widen(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
    var out = [UInt64](repeating: 0, count: a.count + b.count)
    for i in a.indices {
        var carry: UInt64 = 0
        for j in b.indices {
            let (hi, lo) = a[i].multipliedFullWidth(by: b[j])
            let (s1, o1) = out[i + j].addingReportingOverflow(lo)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out[i + j] = s2
            carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        out[i + b.count] = carry
    }
    return out
}

/// Bytes of a hex string (test vectors only).
func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
    while let hi = it.next(), let lo = it.next() { out.append(nibble(hi) << 4 | nibble(lo)) }
    return out
}

/// A 256-bit big-endian integer as an F_p element; nil when ≥ p.
func fpBigEndian(_ b: ArraySlice<UInt8>) -> Fp? { Fp(canonical: Limbs256.fromBigEndian(b)) }

/// The Groth16 fixture folder.
let groth16Fixtures = RepoPaths.fixture("groth16")
