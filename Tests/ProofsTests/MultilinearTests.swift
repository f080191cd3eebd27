import Foundation
import Kernel
import TestSupport
import Testing

@testable import Proofs

/// Naive reference: Σ_idx Π_i (bit_i ? r_i : 1 − r_i) · t[idx], straight from the definition.
func naiveMLE(_ table: [GoldilocksExt2], _ point: [GoldilocksExt2]) -> GoldilocksExt2 {
    var total = GoldilocksExt2.zero
    for idx in 0..<table.count {
        var weight = GoldilocksExt2.one
        for (i, r) in point.enumerated() {
            weight *= (idx >> i) & 1 == 1 ? r : GoldilocksExt2.one - r
        }
        total += weight * table[idx]
    }
    return total
}

@Suite struct MultilinearTests {
    @Test func variableCounts() {
        #expect(Multilinear.variableCount(0) == 0)
        #expect(Multilinear.variableCount(1) == 0)
        #expect(Multilinear.variableCount(2) == 1)
        #expect(Multilinear.variableCount(3) == 2)
        #expect(Multilinear.variableCount(4) == 2)
        #expect(Multilinear.variableCount(1025) == 11)
    }

    @Test func evaluationAgreesWithDefinitionAndHypercube() {
        var rng = SeededRandom(seed: 10)
        for ell in 0...5 {
            let table = (0..<(1 << ell)).map { _ in rng.ext() }
            let point = (0..<ell).map { _ in rng.ext() }
            #expect(Multilinear.evaluate(table, at: point) == naiveMLE(table, point))
            // On a hypercube point the MLE is the table entry: index bit i = variable i.
            if ell > 0 {
                let idx = Int(rng.next() % UInt64(1 << ell))
                let bits = (0..<ell).map { (idx >> $0) & 1 == 1 ? GoldilocksExt2.one : .zero }
                #expect(Multilinear.evaluate(table, at: bits) == table[idx])
            }
            let eq = Multilinear.eqTable(point)
            var dot = GoldilocksExt2.zero
            for i in 0..<table.count { dot += eq[i] * table[i] }
            #expect(dot == naiveMLE(table, point))
        }
    }

    /// Pads a row-major matrix to 2^ℓr × 2^ℓc and evaluates it naively.
    func naiveMatrix(
        _ v: [Int64], rows: Int, cols: Int, colPoint: [GoldilocksExt2], rowPoint: [GoldilocksExt2]
    )
        -> GoldilocksExt2
    {
        let pc = 1 << colPoint.count
        var table = [GoldilocksExt2](repeating: .zero, count: pc << rowPoint.count)
        for r in 0..<rows {
            for c in 0..<cols { table[r * pc + c] = GoldilocksExt2(Goldilocks(signed: v[r * cols + c])) }
        }
        return naiveMLE(table, colPoint + rowPoint)
    }

    @Test(arguments: [(1, 1), (3, 5), (4, 8), (7, 3), (8, 16)])
    func integerMatrixPathsAgreeWithNaive(rows: Int, cols: Int) {
        var rng = SeededRandom(seed: UInt64(rows * 100 + cols))
        let lc = Multilinear.variableCount(cols)
        let lr = Multilinear.variableCount(rows)
        let colPoint = (0..<lc).map { _ in rng.ext() }
        let rowPoint = (0..<lr).map { _ in rng.ext() }
        // Extremes first, then random values.
        let i8: [Int8] = (0..<(rows * cols)).map { i in
            i % 3 == 0 ? Int8.min : (i % 3 == 1 ? Int8.max : Int8(truncatingIfNeeded: rng.next()))
        }
        let i16: [Int16] = (0..<(rows * cols)).map { i in
            i % 4 == 0 ? Int16.min : Int16(truncatingIfNeeded: rng.next())
        }
        let i32: [Int32] = (0..<(rows * cols)).map { _ in Int32(truncatingIfNeeded: rng.next()) }
        for values in [i8.map(Int64.init), i16.map(Int64.init), i32.map(Int64.init)] {
            let want = naiveMatrix(values, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
            // foldRows then a dense evaluation over the columns must agree too.
            let got: GoldilocksExt2
            let folded: [GoldilocksExt2]
            if values == i8.map(Int64.init) {
                got = IntegerMatrixMLE.evaluate(
                    i8, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
                folded = IntegerMatrixMLE.foldRows(
                    i8, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: lc)
            } else if values == i16.map(Int64.init) {
                got = IntegerMatrixMLE.evaluate(
                    i16, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
                folded = IntegerMatrixMLE.foldRows(
                    i16, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: lc)
            } else {
                got = IntegerMatrixMLE.evaluate(
                    i32, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
                folded = IntegerMatrixMLE.foldRows(
                    i32, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: lc)
            }
            #expect(got == want)
            #expect(Multilinear.evaluate(folded, at: colPoint) == want)
        }
    }
}

@Suite struct IntegerMatrixMLETests {
    /// Two-plane (16-bit weight) matrices and 64-bit accumulators against the naive sum, with the
    /// extreme entries of each storage: `256·(±128) + (±128)`, `±2^47` and beyond (slow path).
    @Test(arguments: [(1, 1), (3, 5), (4, 8), (7, 3), (8, 16)])
    func planesAndAccumulatorsAgreeWithNaive(rows: Int, cols: Int) {
        var rng = SeededRandom(seed: UInt64(rows * 1000 + cols))
        let lc = Multilinear.variableCount(cols)
        let lr = Multilinear.variableCount(rows)
        let colPoint = (0..<lc).map { _ in rng.ext() }
        let rowPoint = (0..<lr).map { _ in rng.ext() }
        let tests = MultilinearTests()
        let count = rows * cols
        let high: [Int8] = (0..<count).map { i in
            [Int8.min, Int8.max, Int8(truncatingIfNeeded: rng.next())][i % 3]
        }
        let low: [Int8] = (0..<count).map { i in
            [Int8.min, Int8(truncatingIfNeeded: rng.next()), Int8.max, -1][i % 4]
        }
        let combined = (0..<count).map { 256 * Int64(high[$0]) + Int64(low[$0]) }
        let want = tests.naiveMatrix(combined, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
        #expect(
            IntegerMatrixMLE.evaluate(
                high: high, low: low, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint) == want)
        let folded = IntegerMatrixMLE.foldRows(
            high: high, low: low, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: lc)
        #expect(Multilinear.evaluate(folded, at: colPoint) == want)
        let matrix = try? SmallIntMatrix(rows: rows, cols: cols, values: .int8Planes(high: high, low: low))
        #expect(matrix?.evaluate(colPoint: colPoint, rowPoint: rowPoint) == want)
        // 64-bit entries: the lazy path's edges (−2^47, 2^47 − 1), then the exact slow path.
        let edge = Int64(1) << 47
        let inRange: [Int64] = (0..<count).map { i in
            [-edge, edge - 1, 0, Int64(bitPattern: rng.next()) >> 17][i % 4]
        }
        let beyond: [Int64] = inRange.enumerated().map { i, v in i == count / 2 ? Int64.min + 1 : v }
        for values in [inRange, beyond, inRange.map { $0 == -edge ? edge : $0 }] {
            let want = tests.naiveMatrix(
                values, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
            #expect(
                IntegerMatrixMLE.evaluate(
                    values, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint) == want)
        }
    }

    /// W~ through the kernel's GEMM (byte limbs of eq as a 16 × K matrix) equals the naive sum
    /// on every kernel path, for 8-bit and 16-bit weights with extreme entries, odd shapes and
    /// the widest K (2^15: the int32 limb sums at their bound).
    @available(macOS 15.0, *)
    @Test(arguments: [(1, 1, 8), (3, 5, 8), (7, 33, 16), (16, 100, 8), (5, 130, 16), (2, 1 << 15, 16)])
    func weightsMLEThroughTheKernelGemmAgreesWithNaive(rows: Int, cols: Int, weightBits: Int) throws {
        var rng = SeededRandom(seed: UInt64(rows * 7 + cols + weightBits))
        let colPoint = (0..<Multilinear.variableCount(cols)).map { _ in rng.ext() }
        let rowPoint = (0..<Multilinear.variableCount(rows)).map { _ in rng.ext() }
        let count = rows * cols
        func plane() -> [Int8] {
            (0..<count).map { i in [Int8.min, Int8.max, Int8(truncatingIfNeeded: rng.next())][i % 3] }
        }
        let high = plane()
        let low: [Int8]? = weightBits == 16 ? plane() : nil
        let scales = [DyadicMultiplier](
            repeating: try DyadicMultiplier(multiplier: 16384, shift: 20), count: rows)
        let m = try QuantizedMatrix(
            rows: rows, cols: cols, weights: high, lowWeights: low, outputScales: scales, valueScales: scales)
        let values: [Int64] = (0..<count).map { i in
            low.map { 256 * Int64(high[i]) + Int64($0[i]) } ?? Int64(high[i])
        }
        let eqCol = Multilinear.eqTable(colPoint)
        let eqRow = Multilinear.eqTable(rowPoint)
        let want = IntegerMatrixMLE.evaluateWide(values, rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow)
        for path in KernelPath.availableConcrete {
            let got = try IntegerMatrixMLE.evaluate(
                weights: m, colPoint: colPoint, rowPoint: rowPoint, path: path)
            #expect(got == want, "path \(path.rawValue)")
        }
        #expect(try SmallIntMatrix(m).evaluate(colPoint: colPoint, rowPoint: rowPoint) == want)
    }

    /// The lazy 128-bit sum at its limits: 2^15 products of the largest entry (2^48 − 1) and
    /// the largest 64-bit coordinate, against Swift's exact UInt128.
    @available(macOS 15.0, *)
    @Test func sum128HoldsTheWorstCaseRow() {
        var s = IntegerMatrixMLE.Sum128()
        let u = (UInt64(1) << 48) - 1
        let e = Goldilocks.modulus - 1
        for _ in 0..<IntegerMatrixMLE.maxDimension { s.add(u, times: e) }
        let exact = UInt128(u) * UInt128(e) * UInt128(IntegerMatrixMLE.maxDimension)
        #expect(exact < UInt128(1) << 127)
        #expect(s.hi == UInt64(truncatingIfNeeded: exact >> 64))
        #expect(s.lo == UInt64(truncatingIfNeeded: exact))
        #expect(s.reduced == Goldilocks(UInt64(truncatingIfNeeded: exact % UInt128(Goldilocks.modulus))))
    }

    /// A full-width row (2^15 columns) of extreme accumulators: the lazy path still agrees
    /// with one field multiplication per entry.
    @Test func widestRowOfExtremeAccumulators() {
        var rng = SeededRandom(seed: 77)
        let cols = IntegerMatrixMLE.maxDimension
        let colPoint = (0..<15).map { _ in rng.ext() }
        let edge = Int64(1) << 47
        let values: [Int64] = (0..<cols).map { i in i % 2 == 0 ? edge - 1 : -edge }
        let eqCol = Multilinear.eqTable(colPoint)
        let want = IntegerMatrixMLE.evaluateWide(values, rows: 1, cols: cols, eqCol: eqCol, eqRow: [.one])
        #expect(
            IntegerMatrixMLE.evaluate(values, rows: 1, cols: cols, colPoint: colPoint, rowPoint: []) == want)
    }
}

@Suite struct SumcheckTests {
    @Test(arguments: [0, 1, 2, 5])
    func honestProofVerifiesAndReducesToTheProduct(ell: Int) {
        var rng = SeededRandom(seed: UInt64(ell) + 20)
        let f = (0..<(1 << ell)).map { _ in rng.ext() }
        let g = (0..<(1 << ell)).map { _ in rng.ext() }
        var claim = GoldilocksExt2.zero
        for i in 0..<f.count { claim += f[i] * g[i] }
        var tp = Transcript()
        let (rounds, challenges) = ProductSumcheck.prove(f: f, g: g, transcript: &tp)
        #expect(rounds.count == ell)
        var tv = Transcript()
        let outcome = ProductSumcheck.verify(claim: claim, rounds: rounds, transcript: &tv)
        guard case .reduced(let point, let finalClaim) = outcome else {
            Issue.record("honest sumcheck rejected")
            return
        }
        #expect(point == challenges)
        #expect(finalClaim == naiveMLE(f, point) * naiveMLE(g, point))
        #expect(tp.stateBytes == tv.stateBytes)
    }

    @Test func wrongClaimIsCaughtInTheFirstRound() {
        var rng = SeededRandom(seed: 30)
        let f = (0..<8).map { _ in rng.ext() }
        let g = (0..<8).map { _ in rng.ext() }
        var claim = GoldilocksExt2.zero
        for i in 0..<8 { claim += f[i] * g[i] }
        var tp = Transcript()
        let (rounds, _) = ProductSumcheck.prove(f: f, g: g, transcript: &tp)
        var tv = Transcript()
        let outcome = ProductSumcheck.verify(claim: claim + .one, rounds: rounds, transcript: &tv)
        #expect(outcome == .inconsistentRound(0))
    }

    @Test func roundPolynomialInterpolatesAQuadratic() {
        var rng = SeededRandom(seed: 31)
        let (a, b, c) = (rng.ext(), rng.ext(), rng.ext())
        func q(_ x: GoldilocksExt2) -> GoldilocksExt2 { a * x * x + b * x + c }
        let two = GoldilocksExt2(Goldilocks(2))
        let poly = ProductSumcheck.RoundPolynomial(at0: q(.zero), at1: q(.one), at2: q(two))
        let r = rng.ext()
        #expect(poly.evaluate(at: r) == q(r))
    }
}

@Suite struct TranscriptTests {
    @Test func deterministicAndSensitiveToEveryInput() {
        var a = Transcript()
        var b = Transcript()
        a.observe("x", [1, 2, 3])
        b.observe("x", [1, 2, 3])
        #expect(a.sampleExt2("c") == b.sampleExt2("c"))
        var c = Transcript()
        c.observe("x", [1, 2, 4])
        var d = Transcript()
        d.observe("y", [1, 2, 3])
        var e = Transcript()
        e.observe("x", [1, 2])
        e.observe("x", [3])
        let base = { () -> GoldilocksExt2 in
            var t = Transcript()
            t.observe("x", [1, 2, 3])
            return t.sampleExt2("c")
        }()
        #expect(c.sampleExt2("c") != base)
        #expect(d.sampleExt2("c") != base)
        #expect(e.sampleExt2("c") != base)
        var f = Transcript()
        f.observe("x", [1, 2, 3])
        #expect(f.sampleExt2("d") != base)
    }

    struct Vector: Decodable {
        struct Op: Decodable {
            var op: String
            var label: String
            var hex: String?
            var c0: String?
            var c1: String?
        }
        var initialStateHex: String
        var finalStateHex: String
        var ops: [Op]
    }

    /// Replays Fixtures/proofs/transcript.json, produced by the independent Python reference
    /// `Fixtures/proofs/transcript_reference.py`.
    @Test func matchesThePythonReference() throws {
        let data = try Data(contentsOf: RepoPaths.fixture("proofs/transcript.json"))
        let vector = try JSONDecoder().decode(Vector.self, from: data)
        var t = Transcript()
        #expect(hexString(t.stateBytes) == vector.initialStateHex)
        for op in vector.ops {
            if op.op == "observe" {
                t.observe(op.label, try #require(bytes(hex: op.hex ?? "")))
            } else {
                let c = t.sampleExt2(op.label)
                #expect(String(c.c0.value) == op.c0)
                #expect(String(c.c1.value) == op.c1)
            }
        }
        #expect(hexString(t.stateBytes) == vector.finalStateHex)
    }
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex: String) -> [UInt8]? {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next() {
        guard let b = it.next(), let v = UInt8(String([a, b]), radix: 16) else { return nil }
        out.append(v)
    }
    return out
}
