import Foundation
import Testing

@testable import Kernel

struct ArithmeticTests {
    @Test func roundShiftIsFloorOfHalfUp() {
        // Independent definition: floor(x / 2^s + 1/2) via exact rational comparison.
        let xs: [Int64] = [
            0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, 1 << 40, -(1 << 40) - 1, (1 << 62) - 1, -(1 << 62),
        ]
        for x in xs {
            for s in 1...62 {
                let r = FixedPoint.roundShift(x, s)
                // r is the unique integer with (2r - 1) * 2^(s-1) <= x < (2r + 1) * 2^(s-1).
                let lo = Double(2 * r - 1) * pow(2, Double(s - 1))
                let hi = Double(2 * r + 1) * pow(2, Double(s - 1))
                #expect(Double(x) >= lo && Double(x) < hi || abs(Double(x)) > 1e15, "\(x) \(s)")
            }
            #expect(FixedPoint.roundShift(x, 63) == 0)
            #expect(FixedPoint.roundShift(x, 0) == x)
        }
        #expect(FixedPoint.roundShift(5, 1) == 3)  // 2.5 -> 3
        #expect(FixedPoint.roundShift(-5, 1) == -2)  // -2.5 -> -2 (half toward +inf)
        #expect(FixedPoint.roundShift(3, -2) == 12)
        #expect(FixedPoint.roundShift(1 << 61, -5) == 1 << 62)
        #expect(FixedPoint.roundShift(-(1 << 61), -5) == -(1 << 62))
    }

    @Test func divisionAndSqrt() {
        #expect(FixedPoint.floorDiv(-7, 2) == -4)
        #expect(FixedPoint.floorDiv(7, 2) == 3)
        #expect(FixedPoint.floorDiv(-8, 2) == -4)
        #expect(FixedPoint.divRound(5, 2) == 3)
        #expect(FixedPoint.divRound(-5, 2) == -2)
        #expect(FixedPoint.divRound(-7, 3) == -2)
        var rng = SplitMix64(seed: 9)
        var vs: [Int64] = [0, 1, 2, 3, 4, 8, 9, 15, 16, 17, Int64.max, Int64.max - 1, (1 << 62) - 1]
        for _ in 0..<2000 { vs.append(Int64(rng.next() >> 1) >> Int64(rng.nextInt(0, 62))) }
        for v in vs {
            let r = FixedPoint.isqrt(v)
            #expect(r * r <= v)
            let (sq, o) = (r + 1).multipliedReportingOverflow(by: r + 1)
            #expect(o || sq > v, "\(v)")
        }
        #expect(FixedPoint.saturate32(Int64(Int32.min)) == -Int32.max)
        #expect(FixedPoint.saturate32(1 << 40) == Int32.max)
    }

    @Test func dyadicMultiplierDerivation() throws {
        for f in [1.0, 0.5, 0.75, 1e-6, 3.0e5, 1.0 / 127, 0.99999999] {
            let d = try DyadicMultiplier(factor: f)
            #expect(d.multiplier >= 1 << 14 && d.multiplier < 1 << 15)
            let back = Double(d.multiplier) * pow(2, -Double(d.shift))
            #expect(abs(back - f) / f <= pow(2, -15))
        }
        #expect(try DyadicMultiplier(factor: 1.0) == DyadicMultiplier(multiplier: 1 << 14, shift: 14))
        #expect(try DyadicMultiplier(factor: 0) == .zero)
        #expect(throws: KernelError.self) { try DyadicMultiplier(factor: .nan) }
        #expect(throws: KernelError.self) { try DyadicMultiplier(multiplier: 1 << 15, shift: 0) }
    }

    /// The table functions agree with the platform's libm to ~1e-13 (bit-exactness is a
    /// property of the operation order; accuracy is what this checks).
    @Test func deterministicMathIsAccurate() {
        for i in 0...400 {
            let x = -20 + Double(i) / 10
            #expect(abs(DeterministicMath.exp(x) - Foundation.exp(x)) <= 1e-13 * Foundation.exp(x))
            #expect(abs(DeterministicMath.erf(x / 4) - Foundation.erf(x / 4)) <= 1e-13)
            #expect(abs(DeterministicMath.sin(x * 50) - Foundation.sin(x * 50)) <= 1e-12)
            #expect(abs(DeterministicMath.cos(x * 50) - Foundation.cos(x * 50)) <= 1e-12)
            if x > 0 { #expect(abs(DeterministicMath.ln(x * 1000) - Foundation.log(x * 1000)) <= 1e-13 * 10) }
        }
    }

    /// Tables hold the rounded function values (checked against libm; a disagreement would need
    /// a value within 1e-13 of a rounding boundary, which these grids do not hit).
    @Test func tablesMatchLibm() {
        for j in 0...2048 {
            let x = -16 + Double(j) / 64
            let silu = x / (1 + Foundation.exp(-x))
            let gelu = 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
            #expect(abs(Double(Tables.silu[j]) - silu * 65536) <= 0.5 + 1e-6)
            #expect(abs(Double(Tables.gelu[j]) - gelu * 65536) <= 0.5 + 1e-6)
        }
        for j in 0...1024 {
            #expect(
                abs(Double(Tables.exp[j]) - Foundation.exp(-Double(j) / 64) * 1_073_741_824) <= 0.5 + 1e-4)
        }
        let rope = RopeTable(headDim: 64, base: 100_000, positions: 300)
        for p in stride(from: 0, to: 300, by: 7) {
            for i in 0..<32 {
                let a = Double(p) * pow(100_000, -Double(2 * i) / 64)
                #expect(abs(Double(rope.cos[p * 32 + i]) - Foundation.cos(a) * 1_073_741_824) <= 0.5 + 1e-3)
                #expect(abs(Double(rope.sin[p * 32 + i]) - Foundation.sin(a) * 1_073_741_824) <= 0.5 + 1e-3)
            }
        }
    }

    @Test func lutAndExpApproximateTheFunctions() {
        for i in -2000...2000 {
            let x = Double(i) / 100
            let q = Int32((x * 65536).rounded())
            let silu = Double(ActivationFunction.silu.apply(q)) / 65536
            #expect(abs(silu - x / (1 + Foundation.exp(-x))) < 2e-4, "\(x)")
            let gelu = Double(ActivationFunction.gelu.apply(q)) / 65536
            #expect(abs(gelu - 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))) < 2e-4, "\(x)")
            if x >= 0 {
                let e = Double(Nonlinearity.expq(Int64(q))) / 1_073_741_824
                #expect(abs(e - Foundation.exp(-x)) < 5e-5)
            }
        }
    }
}
