import Foundation
import TestSupport
import Testing

@testable import Groth16

/// circom/snarkjs binary files (specs/groth16.md §12). The suite writes its own files: circom's
/// `Multiplier(n)` built with `ConstraintSystemBuilder` and written in circom's `.r1cs` layout with
/// its `.wtns` (`GeneratedMultiplier`), and a prepared `.ptau` from known secrets. They are read
/// back and satisfied, a setup from the ceremony equals the setup from its secrets point for
/// point and proves, our files round-trip, and hostile edits of them are refused with typed
/// errors. snarkjs's own files (a real circom system and witness, snarkjs's key and proof) are not
/// shipped: the interop tests that read them run when `RealCircomFiles` finds them.
@Suite("Groth16: circom .r1cs / .wtns and snarkjs .ptau")
struct CircomTests {
    /// snarkjs's earlier Groth16 test circuit, rebuilt: Multiplier(100) with private inputs a = 2,
    /// b = 3 and the public output only; 103 wires, 100 constraints, 102 QAP rows (domain 2^7).
    /// Made once per test process.
    static let multiplier100: Result<GeneratedMultiplier, Groth16Error> = Result {
        () throws(Groth16Error) -> GeneratedMultiplier in
        try GeneratedMultiplier(n: 100, a: Fr(2), b: Fr(3), publicA: false)
    }

    /// snarkjs's current one, rebuilt: Multiplier(1000) with public input a = 11, private b = 2;
    /// 1003 wires, 1000 constraints, 1003 QAP rows (domain 2^10). Made once per test process.
    static let multiplier1000: Result<GeneratedMultiplier, Groth16Error> = Result {
        () throws(Groth16Error) -> GeneratedMultiplier in
        try GeneratedMultiplier(n: 1000, a: Fr(11), b: Fr(2), publicA: true)
    }

    /// `r1cs` as circom writes a `.r1cs` (specs/groth16.md §12.2), where our writer
    /// (`CircomR1CS.fileBytes`) differs: sections in circom's order, constraints (2), header (1),
    /// wire-to-label map (3); circom's `nPrvIn` and `nLabels` in the header; wire i labelled i (as
    /// circom labels Multiplier(n)); and the terms of each side in circom's order, which is the
    /// order of the wires' little-endian bytes (so wire 256 comes before wire 3), as circom 2 wrote
    /// snarkjs's Multiplier(1000), where our writer sorts them by wire.
    static func circomLayout(
        _ r1cs: R1CS, publicOutputCount: Int, privateInputCount: Int, labelCount: UInt64
    ) -> [UInt8] {
        var w = BinaryFileWriter(magic: "r1cs", version: 1, sectionCount: 3)
        w.section(2) { s in
            for k in r1cs.constraints {
                for lc in [k.a, k.b, k.c] {
                    s.u32(UInt32(lc.terms.count))
                    let terms = lc.terms.sorted {
                        UInt32($0.variable).byteSwapped < UInt32($1.variable).byteSwapped
                    }
                    for t in terms {
                        s.u32(UInt32(t.variable))
                        s.limbs(t.coefficient.canonical)
                    }
                }
            }
        }
        w.section(1) { h in
            h.scalarFieldPrime()
            h.u32(UInt32(r1cs.variableCount))
            h.u32(UInt32(publicOutputCount))
            h.u32(UInt32(r1cs.publicCount - publicOutputCount))
            h.u32(UInt32(privateInputCount))
            h.u64(labelCount)
            h.u32(UInt32(r1cs.constraints.count))
        }
        w.section(3) { s in for wire in 0..<r1cs.variableCount { s.u64(UInt64(wire)) } }
        return w.bytes
    }

    /// The first offset at which `a` and `b` differ (the shorter length when one is a prefix of
    /// the other), nil when they are equal: compares large files without printing them.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        for i in 0..<min(a.count, b.count) where a[i] != b[i] { return i }
        return a.count == b.count ? nil : min(a.count, b.count)
    }

    /// The secrets of the test ceremony: **public** (seed 2024), so that a setup from the
    /// ceremony can be compared with `Groth16Setup.generate(_:waste:)` for the same τ, α, β.
    static let secrets = ToxicWaste.seeded(2024)

    /// A prepared power-10 `.ptau` written from `secrets` (`PowersOfTauWriter`), made once per
    /// test process.
    static let ceremony: [UInt8] = PowersOfTauWriter(
        power: 10, tau: secrets.tau, alpha: secrets.alpha, beta: secrets.beta
    ).fileBytes()

    /// The same secrets at power 6 (circuits up to 64 rows).
    static let smallCeremony: [UInt8] = PowersOfTauWriter(
        power: 6, tau: secrets.tau, alpha: secrets.alpha, beta: secrets.beta
    ).fileBytes()

    static func publicInputs(_ z: [Fr], _ count: Int) throws -> Groth16PublicInputs {
        try Groth16PublicInputs(values: z[1...count].map(\.canonicalWords))
    }

    /// The section table of an iden3 binary file: (type, data offset, size).
    static func sections(_ b: [UInt8]) -> [(type: UInt32, offset: Int, size: Int)] {
        var out: [(UInt32, Int, Int)] = []
        var o = 12
        while o + 12 <= b.count {
            let t = le32(b, at: o)
            let s = Int(le64(b, at: o + 4))
            out.append((t, o + 12, s))
            o += 12 + s
        }
        return out
    }

    /// The header of a snarkjs Groth16 `.zkey` (section 1: protocol 1 = Groth16; section 2:
    /// `n8q ‖ q ‖ n8r ‖ r ‖ nVars ‖ nPublic ‖ domainSize`, then the key's single points).
    static func zkeyHeader(_ b: [UInt8]) throws -> (variables: Int, publics: Int, domainSize: Int) {
        let layout = try BinaryFileLayout.parse(.memory(b), magic: "zkey", versions: 1...1)
        let protocolSection = try layout.required(1, name: "protocol")
        #expect(le32(b, at: Int(protocolSection.offset)) == 1, "protocol 1 (Groth16)")
        let h = Int(try layout.required(2, name: "groth16 header").offset)
        #expect(le32(b, at: h) == 32 && le32(b, at: h + 36) == 32)
        return (Int(le32(b, at: h + 72)), Int(le32(b, at: h + 76)), Int(le32(b, at: h + 80)))
    }

    /// The verifying key inside a snarkjs Groth16 `.zkey` (sections 2 and 3; points in the
    /// Montgomery encoding of §12.1).
    static func zkeyVerifyingKey(_ b: [UInt8]) throws -> Groth16VerifyingKey {
        let layout = try BinaryFileLayout.parse(.memory(b), magic: "zkey", versions: 1...1)
        let header = try layout.required(2, name: "groth16 header")
        let ic = try layout.required(3, name: "IC")
        let h = Int(header.offset)
        #expect(le32(b, at: h) == 32 && le32(b, at: h + 36) == 32)
        let nPublic = Int(le32(b, at: h + 76))
        var o = h + 84
        func g1() throws -> G1Affine {
            defer { o += 64 }
            return try PowersOfTau.g1(b[o..<(o + 64)], field: "zkey")
        }
        func g2() throws -> G2Affine {
            defer { o += 128 }
            return try PowersOfTau.g2(b[o..<(o + 128)], field: "zkey")
        }
        let alpha = try g1()
        _ = try g1()  // beta1
        let beta = try g2()
        let gamma = try g2()
        _ = try g1()  // delta1
        let delta = try g2()
        #expect(Int(ic.size) == (nPublic + 1) * 64)
        o = Int(ic.offset)
        let points = try (0...nPublic).map { _ in try g1() }
        return Groth16VerifyingKey(alpha: alpha, beta: beta, gamma: gamma, delta: delta, ic: points)
    }

    /// The QAP coefficients of a snarkjs Groth16 `.zkey` (section 4: `u32 n`, then n ×
    /// (`u32 matrix` 0 = A, 1 = B ‖ `u32 row` ‖ `u32 signal` ‖ value)), as sorted
    /// "matrix row signal value" lines. snarkjs stores each value c as c·R² mod r (R = 2^256,
    /// little-endian), so `Fr(montgomery:)` of the bytes is c·R and one more `R⁻¹` gives c.
    static func zkeyCoefficients(_ b: [UInt8]) throws -> [String] {
        let layout = try BinaryFileLayout.parse(.memory(b), magic: "zkey", versions: 1...1)
        let s = Int(try layout.required(4, name: "coefficients").offset)
        let count = Int(le32(b, at: s))
        let rInverse = Fr(montgomery: (1, 0, 0, 0))
        return (0..<count).map { k in
            let e = s + 4 + 44 * k
            let c = Fr(montgomery: limbsLE(b[(e + 12)..<(e + 44)])) * rInverse
            return
                "\(le32(b, at: e)) \(le32(b, at: e + 4)) \(le32(b, at: e + 8)) \(Limbs256.decimal(c.canonical))"
        }.sorted()
    }

    /// Our QAP rows of `r1cs` in the same form (specs/groth16.md §12.5): constraint j at row j (A
    /// and B), then the input-consistency rows `m + i`, i in `0…nPublic`, in A.
    static func qapCoefficients(_ r1cs: R1CS) -> [String] {
        var out: [String] = []
        for (j, k) in r1cs.constraints.enumerated() {
            for (matrix, lc) in [(0, k.a), (1, k.b)] {
                for t in lc.terms {
                    out.append("\(matrix) \(j) \(t.variable) \(Limbs256.decimal(t.coefficient.canonical))")
                }
            }
        }
        let m = r1cs.constraints.count
        for i in 0...r1cs.publicCount { out.append("0 \(m + i) \(i) 1") }
        return out.sorted()
    }

    /// The error `body` throws, nil when it returns.
    static func refusal(_ body: () throws(Groth16Error) -> some Any) -> Groth16Error? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
        for k in 0..<8 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    /// Every prefix ending at a section boundary (header, entry header, data start, data end)
    /// and every `stride`-th byte, except the whole file.
    static func cutPoints(_ b: [UInt8], stride step: Int) -> [Int] {
        var cuts: Set<Int> = [0, 3, 4, 8, 11, 12]
        for s in sections(b) {
            for c in [
                s.offset - 12, s.offset - 8, s.offset - 1, s.offset, s.offset + 1, s.offset + s.size - 1,
            ] {
                cuts.insert(c)
            }
        }
        for c in stride(from: 0, to: b.count, by: step) { cuts.insert(c) }
        return cuts.filter { $0 >= 0 && $0 < b.count }.sorted()
    }

    // MARK: - Generated circom files

    /// The generated files have the shape of circom's: counts, header fields, section order, and
    /// a witness that satisfies the system, which one changed wire breaks.
    @Test func generatedCircomSystemsAreSatisfiedByTheirWitnesses() throws {
        let big = try Self.multiplier1000.get()
        #expect(Self.sections(big.r1csFile).map(\.type) == [2, 1, 3], "constraints first, as circom writes")
        let circuit = try CircomR1CS(fileBytes: big.r1csFile)
        let r1cs = circuit.r1cs
        #expect(r1cs.variableCount == 1003)
        #expect(r1cs.constraints.count == 1000)
        #expect(
            circuit.publicOutputCount == 1 && circuit.publicInputCount == 1 && circuit.privateInputCount == 1)
        #expect(r1cs.publicCount == 2)
        #expect(circuit.labelCount == 1004 && circuit.wireLabels.count == 1003)
        #expect(circuit.wireLabels == (0..<1003).map { UInt64($0) })
        // Constraint 252 is (−int[251])·int[251] = b − int[252]: circom lists C's wire 256 before
        // wire 3; the reader sorts terms by wire, so the system is the one built.
        let c252 = Self.sections(big.r1csFile)[0].offset + 252 * (3 * 4 + 4 * 36)
        #expect(
            le32(big.r1csFile, at: c252 + 2 * 40 + 4) == 256
                && le32(big.r1csFile, at: c252 + 2 * 40 + 40) == 3)
        #expect(r1cs.constraints[252].c.terms.map(\.variable) == [3, 256])
        Self.expectSame(r1cs, big.r1cs)
        let z = try CircomWitness(fileBytes: big.wtnsFile).values
        #expect(z.count == 1003)
        #expect(z[0] == .one)
        #expect(z[2] == Fr(11), "wire 2 is the public input a = 11")
        #expect(try r1cs.firstUnsatisfied(z) == nil)
        var bad = z
        bad[500] += .one
        #expect(try r1cs.firstUnsatisfied(bad) != nil)

        let small = try CircomR1CS(fileBytes: try Self.multiplier100.get().r1csFile)
        #expect(small.r1cs.variableCount == 103 && small.r1cs.constraints.count == 100)
        #expect(small.publicOutputCount == 1 && small.publicInputCount == 0 && small.privateInputCount == 2)
        let w = try CircomWitness(fileBytes: try Self.multiplier100.get().wtnsFile).values
        #expect(w.count == 103 && w[2] == Fr(2) && w[3] == Fr(3), "private inputs a = 2, b = 3")
        #expect(try small.r1cs.firstUnsatisfied(w) == nil)
    }

    // MARK: - Real snarkjs files (optional)

    /// snarkjs's own files: the real circom systems are satisfied by their real witnesses, and
    /// are exactly the files this suite generates (system, layout and witness, byte for byte), so
    /// the tests on generated files test circom's.
    @Test(
        .enabled(
            if: RealCircomFiles.available(RealCircomFiles.systems),
            "needs snarkjs's .r1cs/.wtns in $MESH_CIRCOM_VECTORS or ../shared/vectors/circom"))
    func realCircomSystemsAreSatisfiedByTheirRealWitnesses() throws {
        let circuit = try CircomR1CS(fileBytes: try RealCircomFiles.bytes("multiplier1000/circuit.r1cs"))
        let r1cs = circuit.r1cs
        #expect(r1cs.variableCount == 1003)
        #expect(r1cs.constraints.count == 1000)
        #expect(
            circuit.publicOutputCount == 1 && circuit.publicInputCount == 1 && circuit.privateInputCount == 1)
        #expect(r1cs.publicCount == 2)
        #expect(circuit.labelCount == 1004 && circuit.wireLabels.count == 1003)
        let z = try CircomWitness(fileBytes: try RealCircomFiles.bytes("multiplier1000/witness.wtns")).values
        #expect(z.count == 1003)
        #expect(z[0] == .one)
        #expect(z[2] == Fr(11), "wire 2 is the public input a = 11")
        #expect(try r1cs.firstUnsatisfied(z) == nil)
        var bad = z
        bad[500] += .one
        #expect(try r1cs.firstUnsatisfied(bad) != nil)

        // snarkjs's older Groth16 test circuit: Multiplier(100) with a public output only.
        let small = try CircomR1CS(fileBytes: try RealCircomFiles.bytes("multiplier100/circuit.r1cs"))
        #expect(small.r1cs.variableCount == 103 && small.r1cs.constraints.count == 100)
        #expect(small.publicOutputCount == 1 && small.publicInputCount == 0 && small.privateInputCount == 2)
        let w = try CircomWitness(fileBytes: try RealCircomFiles.bytes("multiplier100/witness.wtns")).values
        #expect(w.count == 103 && w[2] == Fr(2) && w[3] == Fr(3), "private inputs a = 2, b = 3")
        #expect(try small.r1cs.firstUnsatisfied(w) == nil)

        // The generated files are these.
        for (name, generated) in [
            ("multiplier1000", try Self.multiplier1000.get()),
            ("multiplier100", try Self.multiplier100.get()),
        ] {
            let realR1CS = try RealCircomFiles.bytes("\(name)/circuit.r1cs")
            let realWitness = try RealCircomFiles.bytes("\(name)/witness.wtns")
            Self.expectSame(generated.r1cs, try CircomR1CS(fileBytes: realR1CS).r1cs)
            #expect(
                Self.firstDifference(generated.r1csFile, realR1CS) == nil,
                "\(name): the generated .r1cs is circom's, byte for byte")
            #expect(
                Self.firstDifference(generated.wtnsFile, realWitness) == nil,
                "\(name): the generated .wtns is snarkjs's, byte for byte")
        }
    }

    /// A real file read, written by us and read again gives the same system; snarkjs's `.wtns`
    /// files come back byte for byte.
    @Test(
        .enabled(
            if: RealCircomFiles.available(RealCircomFiles.systems),
            "needs snarkjs's .r1cs/.wtns in $MESH_CIRCOM_VECTORS or ../shared/vectors/circom"))
    func realCircomFilesRoundTripThroughOurWriters() throws {
        let real = try CircomR1CS(fileBytes: try RealCircomFiles.bytes("multiplier1000/circuit.r1cs"))
        let again = try CircomR1CS(fileBytes: real.fileBytes)
        Self.expectSame(again.r1cs, real.r1cs)
        #expect(again.wireLabels == real.wireLabels && again.labelCount == real.labelCount)
        #expect(again.privateInputCount == real.privateInputCount)
        for name in ["multiplier1000", "multiplier100"] {
            let wtns = try RealCircomFiles.bytes("\(name)/witness.wtns")
            #expect(
                try Self.firstDifference(CircomWitness(fileBytes: wtns).fileBytes, wtns) == nil,
                "snarkjs's \(name) .wtns is byte-identical")
        }
    }

    /// snarkjs's own Groth16 test set (its key, proof and public inputs were made from this
    /// `.r1cs` and `.wtns`): the zkey is this circuit's (sizes, and its A/B coefficient section
    /// is our QAP row for row, input-consistency rows included), and snarkjs's proof verifies
    /// under the key read from the zkey with the public inputs read from the witness, which we
    /// write as snarkjs wrote its `public.json`.
    @Test(
        .enabled(
            if: RealCircomFiles.available(RealCircomFiles.snarkjsSet),
            "needs snarkjs's multiplier100 set in $MESH_CIRCOM_VECTORS or ../shared/vectors/circom"))
    func snarkjsProofOfItsTestCircuitVerifiesWithTheInputsOfItsWitness() throws {
        let circuit = try CircomR1CS(fileBytes: try RealCircomFiles.bytes("multiplier100/circuit.r1cs"))
        let z = try CircomWitness(fileBytes: try RealCircomFiles.bytes("multiplier100/witness.wtns")).values
        #expect(try circuit.r1cs.firstUnsatisfied(z) == nil)
        let zkey = try RealCircomFiles.bytes("multiplier100/circuit.zkey")
        let header = try Self.zkeyHeader(zkey)
        #expect(header.variables == circuit.r1cs.variableCount)
        #expect(header.publics == circuit.r1cs.publicCount && header.publics == 1)
        let rows = circuit.r1cs.constraints.count + circuit.r1cs.publicCount + 1
        #expect(header.domainSize == EvaluationDomain(atLeast: rows)?.size)
        #expect(try Self.zkeyCoefficients(zkey) == Self.qapCoefficients(circuit.r1cs))

        let vk = try Self.zkeyVerifyingKey(zkey)
        #expect(vk.ic.count == circuit.r1cs.publicCount + 1)
        #expect(vk.gamma == G2.generator, "snarkjs's γ = 1")
        let proof = try Groth16Proof(snarkjsJSON: try RealCircomFiles.bytes("multiplier100/proof.json"))
        let publicJSON = try RealCircomFiles.bytes("multiplier100/public.json")
        let fromJSON = try Groth16PublicInputs(snarkjsJSON: publicJSON)
        let fromWitness = try Self.publicInputs(z, 1)
        #expect(fromWitness.values == fromJSON.values)
        let ours = try JSONDecoder().decode([String].self, from: Data(fromWitness.snarkjsJSON.utf8))
        let theirs = try JSONDecoder().decode([String].self, from: Data(publicJSON))
        #expect(ours == theirs, "our public.json is snarkjs's")
        #expect(try Groth16.verify(key: vk, proof: proof, inputs: fromWitness) == .valid)
        let changed = try Groth16PublicInputs(values: [(z[1] + .one).canonicalWords])
        #expect(try Groth16.verify(key: vk, proof: proof, inputs: changed) != .valid)
    }

    /// The generated ceremony is laid out as snarkjs writes a prepared file, and its top block of
    /// section 12 (never read by setup) is snarkjs's: the inverse FFT of section 2 with a zero
    /// appended, checked with random weights as `PowersOfTau.basis(for:)` checks the others.
    @Test func theGeneratedCeremonyIsLaidOutAsSnarkjsWritesIt() throws {
        let b = Self.ceremony
        let secs = Self.sections(b)
        #expect(secs.map(\.type) == [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15])
        #expect(Array(b[0..<4]) == Array("ptau".utf8) && le32(b, at: 4) == 1 && le32(b, at: 8) == 11)
        let n = 1024
        #expect(
            secs.map(\.size) == [
                44, (2 * n - 1) * 64, n * 128, n * 64, n * 64, 128, 4, (4 * n - 1) * 64, (2 * n - 1) * 128,
                (2 * n - 1) * 64, (2 * n - 1) * 64,
            ])
        #expect(le32(b, at: secs[6].offset) == 0, "no contributions")
        let ptau = try PowersOfTau(fileBytes: b)
        #expect(ptau.power == 10 && ptau.ceremonyPower == 10 && ptau.isPrepared)

        let top = try ptau.g1Points(12, first: 2 * n - 1, count: 2 * n)
        var monomial = try ptau.g1Points(2, first: 0, count: 2 * n - 1)
        monomial.append(.identity)
        var rng = SeededRandom(seed: 12)
        let rho = (0..<(2 * n)).map { _ in Fr.random(using: &rng) }
        var coefficients = rho
        EvaluationDomain(atLeast: 2 * n)!.ifft(&coefficients)
        #expect(
            MultiScalarMultiplication.multiply(top, rho)
                == MultiScalarMultiplication.multiply(monomial, coefficients))
        #expect(
            try ptau.g1Points(4, first: 0, count: 1)[0]
                == FixedBaseTable(G1.generator).multiply([Self.secrets.alpha])[0])
    }

    /// With the ceremony's τ, α, β known, `generate(_:powersOfTau:delta:)` (sums of Lagrange
    /// points) must give exactly the key `generate(_:waste:)` computes from the scalars, γ = 1:
    /// every point of the key, for both generated circom circuits; and the key proves and verifies.
    @Test func setupFromAGeneratedCeremonyEqualsSetupFromItsSecretsAndProves() throws {
        let delta = Self.secrets.delta
        let waste = ToxicWaste(
            tau: Self.secrets.tau, alpha: Self.secrets.alpha, beta: Self.secrets.beta, gamma: .one,
            delta: delta)
        let ptau = try PowersOfTau(fileBytes: Self.ceremony)
        for generated in [try Self.multiplier100.get(), try Self.multiplier1000.get()] {
            let name = "Multiplier(\(generated.n))"
            let circuit = try CircomR1CS(fileBytes: generated.r1csFile)
            let z = try CircomWitness(fileBytes: generated.wtnsFile).values
            let clock = ContinuousClock()
            var fromCeremony: Groth16ProvingKey?
            let setupTime = try clock.measure {
                fromCeremony = try Groth16Setup.generate(circuit.r1cs, powersOfTau: ptau, delta: delta)
            }
            guard let key = fromCeremony else { return }
            let reference = try Groth16Setup.generate(circuit.r1cs, waste: waste)
            Self.expectSame(key, reference, name)

            var rng = SeededRandom(seed: 42)
            var made: Groth16Proof?
            let proveTime = try clock.measure {
                made = try Groth16Prover.prove(key: key, r1cs: circuit.r1cs, witness: z, using: &rng)
            }
            guard let proof = made else { return }
            print(
                "\(name) (domain \(key.domainSize)): setup from the generated ptau \(setupTime), prove \(proveTime)"
            )
            let inputs = try Self.publicInputs(z, circuit.r1cs.publicCount)
            #expect(
                try Groth16.verify(key: key.verifyingKey, proof: proof, inputs: inputs) == .valid, "\(name)")
            var wrongValues = inputs.values
            wrongValues[0] = (z[1] + .one).canonicalWords
            let wrong = try Groth16PublicInputs(values: wrongValues)
            #expect(
                try Groth16.verify(key: key.verifyingKey, proof: proof, inputs: wrong) != .valid, "\(name)")

            let seeded = try Groth16Setup.generate(circuit.r1cs, waste: .seeded(3))
            let seededProof = try Groth16Prover.prove(
                key: seeded, r1cs: circuit.r1cs, witness: z, using: &rng)
            #expect(
                try Groth16.verify(key: seeded.verifyingKey, proof: seededProof, inputs: inputs) == .valid)
            #expect(
                try Groth16.verify(key: key.verifyingKey, proof: seededProof, inputs: inputs) != .valid,
                "another key")
        }
        // Another δ changes δ, L and H only: IC does not depend on δ (γ = 1), as in snarkjs.
        let circuit = try CircomR1CS(fileBytes: try Self.multiplier100.get().r1csFile)
        let one = try Groth16Setup.generate(circuit.r1cs, powersOfTau: ptau, delta: .one)
        let other = try Groth16Setup.generate(circuit.r1cs, powersOfTau: ptau, delta: Fr(987_654_321))
        #expect(one.verifyingKey.ic.count == other.verifyingKey.ic.count)
        #expect(zip(one.verifyingKey.ic, other.verifyingKey.ic).allSatisfy { $0 == $1 })
        #expect(!(one.verifyingKey.delta == other.verifyingKey.delta) && !(one.l[0] == other.l[0]))
    }

    /// Every point of two proving keys, and their sizes.
    static func expectSame(_ a: Groth16ProvingKey, _ b: Groth16ProvingKey, _ name: String) {
        #expect(
            a.domainSize == b.domainSize && a.publicCount == b.publicCount
                && a.variableCount == b.variableCount
                && a.constraintCount == b.constraintCount, "\(name): sizes")
        let va = a.verifyingKey
        let vb = b.verifyingKey
        #expect(va.alpha == vb.alpha && va.beta == vb.beta, "\(name): α, β")
        #expect(va.gamma == vb.gamma && va.gamma == G2.generator, "\(name): γ")
        #expect(va.delta == vb.delta && a.delta1 == b.delta1 && a.beta1 == b.beta1, "\(name): δ, [β]₁")
        func same<F>(_ x: [AffinePoint<F>], _ y: [AffinePoint<F>], _ what: String) {
            #expect(x.count == y.count, "\(name): \(what) count")
            let differing = zip(x, y).enumerated().filter { !($0.element.0 == $0.element.1) }.map(\.offset)
            #expect(differing.isEmpty, "\(name): \(what) differs at \(differing.prefix(5))")
        }
        same(va.ic, vb.ic, "IC")
        same(a.a, b.a, "A")
        same(a.b1, b.b1, "B1")
        same(a.b2, b.b2, "B2")
        same(a.l, b.l, "L")
        same(a.h, b.h, "H")
    }

    @Test func aCircuitLargerThanTheCeremonyIsRefusedWithBothSizes() throws {
        var b = ConstraintSystemBuilder()
        let x = b.publicInput(Fr(2))
        for _ in 0..<1100 { b.enforce(x, times: x, equals: LinearCombination(constant: Fr(4))) }
        let ptau = try PowersOfTau(fileBytes: Self.ceremony)
        #expect(throws: Groth16Error.ceremonyTooSmall(power: 10, needed: 11)) {
            _ = try Groth16Setup.generate(try b.system(), powersOfTau: ptau, delta: .one)
        }
        #expect(
            Groth16Error.ceremonyTooSmall(power: 10, needed: 11).description
                == "this ceremony supports circuits up to 2^10 rows; the circuit needs 2^11")
        // Multiplier(100): 102 rows (domain 2^7) against a power-6 ceremony.
        let circuit = try CircomR1CS(fileBytes: try Self.multiplier100.get().r1csFile)
        let small = try PowersOfTau(fileBytes: Self.smallCeremony)
        #expect(small.power == 6 && small.isPrepared)
        #expect(throws: Groth16Error.ceremonyTooSmall(power: 6, needed: 7)) {
            _ = try Groth16Setup.generate(circuit.r1cs, powersOfTau: small, delta: .one)
        }
        #expect(throws: Groth16Error.ceremonyTooSmall(power: 6, needed: 7)) {
            _ = try small.basis(for: EvaluationDomain(atLeast: 128)!)
        }
    }

    // MARK: - Round trips

    @Test func ourSystemsAndWitnessesRoundTripThroughTheBinaryFormats() throws {
        var b = ConstraintSystemBuilder()
        let x = b.publicInput(Fr(3))
        let y = b.publicInput(Fr(35))
        let x2 = b.witness(Fr(9))
        let x3 = b.witness(Fr(27))
        b.enforce(x, times: x, equals: x2)
        b.enforce(x2, times: x, equals: x3)
        b.enforce(
            x3 + x + LinearCombination(constant: Fr(5)), times: LinearCombination(constant: .one), equals: y)
        b.enforceZero(x * -Fr(7) + x * Fr(7))
        let r1cs = try b.system()
        let exported = try CircomR1CS(r1cs, publicOutputCount: 1)
        let back = try CircomR1CS(fileBytes: exported.fileBytes)
        Self.expectSame(back.r1cs, r1cs)
        #expect(back.publicOutputCount == 1 && back.publicInputCount == 1)
        #expect(back.wireLabels == [0, 1, 2, 3, 4])
        #expect(back.fileBytes == exported.fileBytes)

        let z = b.values
        let w = try CircomWitness(values: z)
        #expect(
            try CircomWitness(fileBytes: w.fileBytes).values.map(\.canonicalWords) == z.map(\.canonicalWords))
        #expect(try back.r1cs.firstUnsatisfied(z) == nil)

        // A file in circom's layout (constraints first, nPrvIn set, nLabels ≠ nWires) read,
        // written by us (header first) and read again gives the same system, labels and counts.
        for generated in [try Self.multiplier1000.get(), try Self.multiplier100.get()] {
            let name = "Multiplier(\(generated.n))"
            let read = try CircomR1CS(fileBytes: generated.r1csFile)
            Self.expectSame(read.r1cs, generated.r1cs)
            let again = try CircomR1CS(fileBytes: read.fileBytes)
            #expect(Self.sections(read.fileBytes).map(\.type) == [1, 2, 3], "\(name): our writer's order")
            Self.expectSame(again.r1cs, read.r1cs)
            #expect(again.wireLabels == read.wireLabels && again.labelCount == read.labelCount, "\(name)")
            #expect(
                again.privateInputCount == read.privateInputCount
                    && again.publicInputCount == read.publicInputCount, "\(name)")
            let ours = generated.ourR1CSFile
            #expect(try Self.firstDifference(CircomR1CS(fileBytes: ours).fileBytes, ours) == nil, "\(name)")
            #expect(
                try Self.firstDifference(
                    CircomWitness(fileBytes: generated.wtnsFile).fileBytes, generated.wtnsFile)
                    == nil, "\(name) .wtns is byte-identical")
        }
    }

    static func expectSame(_ a: R1CS, _ b: R1CS) {
        #expect(a.publicCount == b.publicCount && a.variableCount == b.variableCount)
        #expect(a.constraints.count == b.constraints.count)
        for (p, q) in zip(a.constraints, b.constraints) {
            for (l, r) in [(p.a, q.a), (p.b, q.b), (p.c, q.c)] {
                #expect(l.terms.map(\.variable) == r.terms.map(\.variable))
                #expect(
                    l.terms.map(\.coefficient.canonicalWords) == r.terms.map(\.coefficient.canonicalWords))
            }
        }
    }

    // MARK: - Hostile files

    @Test func truncatedR1CSAndWitnessFilesAreRefusedAtEveryBoundary() throws {
        func read(_ b: [UInt8], _ name: String) throws(Groth16Error) {
            if name.hasSuffix(".r1cs") {
                _ = try CircomR1CS(fileBytes: b)
            } else {
                _ = try CircomWitness(fileBytes: b)
            }
        }
        let big = try Self.multiplier1000.get()
        let small = try Self.multiplier100.get()
        // circom's layout (constraints, header, map), our writer's (header first), witnesses.
        for (name, full) in [
            ("Multiplier(1000) circuit.r1cs", big.r1csFile), ("Multiplier(100) circuit.r1cs", small.r1csFile),
            ("Multiplier(1000) ours.r1cs", big.ourR1CSFile), ("Multiplier(1000) witness.wtns", big.wtnsFile),
            ("Multiplier(100) witness.wtns", small.wtnsFile),
        ] {
            try read(full, name)
            for cut in Self.cutPoints(full, stride: max(1, full.count / 97)) {
                #expect(throws: Groth16Error.self, "\(name) cut at \(cut)") {
                    try read(Array(full[0..<cut]), name)
                }
            }
            #expect(throws: Groth16Error.self, "\(name) with a trailing byte") { try read(full + [0], name) }
        }
    }

    @Test func hostileR1CSHeadersCountsIndicesAndCoefficientsAreRefused() throws {
        let good = try Self.multiplier1000.get().r1csFile
        let secs = Self.sections(good)
        guard let header = secs.first(where: { $0.type == 1 }), let body = secs.first(where: { $0.type == 2 })
        else {
            Issue.record("circuit.r1cs has a header and constraints")
            return
        }
        func refused(_ edit: (inout [UInt8]) -> Void) -> Groth16Error? {
            var b = good
            edit(&b)
            do {
                _ = try CircomR1CS(fileBytes: b)
                return nil
            } catch {
                return error
            }
        }
        #expect(
            refused { $0[0] = UInt8(ascii: "x") }
                == .badFileHeader(kind: "r1cs", reason: "magic is \"x1cs\", want \"r1cs\""))
        #expect(
            refused { Self.put32(&$0, 4, 2) } == .badFileHeader(kind: "r1cs", reason: "version 2, want 1"))
        // BLS12-381's r in place of BN254's.
        let bls = Limbs256.parseDecimal(
            "52435875175126190479447740508185965837690552500527637822603658699938581184513")!
        let wrongPrime = refused { b in
            var w = BinaryFileWriter(magic: "", version: 0, sectionCount: 0)
            w.limbs(bls)
            let limbBytes = Array(w.bytes.suffix(32))
            b.replaceSubrange((header.offset + 4)..<(header.offset + 36), with: limbBytes)
        }
        if case .wrongPrime = wrongPrime {
        } else {
            Issue.record("wrong prime: \(String(describing: wrongPrime))")
        }
        #expect(refused { Self.put32(&$0, header.offset, 48) } != nil, "n8 = 48")
        // nWires larger than the wire map; mConstraints claiming 4G constraints.
        if case .malformedSection(_, 3, _) = refused({ Self.put32(&$0, header.offset + 36, 0xFFFF_FFFF) }) {
        } else {
            Issue.record("nWires 2^32 − 1 must be refused by the map section's size")
        }
        if case .truncatedFile = refused({ Self.put32(&$0, header.offset + 60, 0xFFFF_FFFF) }) {
        } else {
            Issue.record("mConstraints 2^32 − 1 must be refused before allocating")
        }
        // The first term count of constraint 0 claims 2^32 − 1 terms.
        if case .truncatedFile = refused({ Self.put32(&$0, body.offset, 0xFFFF_FFFF) }) {
        } else {
            Issue.record("a huge term count must be refused before allocating")
        }
        // The first wire index of constraint 0 is nWires (1003).
        #expect(
            refused { Self.put32(&$0, body.offset + 4, 1003) }
                == .malformedSection(
                    kind: "r1cs", section: 2, reason: "constraint 0 A names wire 1003, want < nWires 1003"))
        // Its coefficient is r.
        #expect(
            refused { b in
                var w = BinaryFileWriter(magic: "", version: 0, sectionCount: 0)
                w.limbs(Fr.field.modulus)
                b.replaceSubrange((body.offset + 8)..<(body.offset + 40), with: w.bytes.suffix(32))
            } == .malformedSection(kind: "r1cs", section: 2, reason: "constraint 0 A: a coefficient is ≥ r"))
        // A section size that overflows the file, and a custom-gates section.
        if case .truncatedFile = refused({ Self.put64(&$0, body.offset - 8, UInt64.max) }) {
        } else {
            Issue.record("a section size of 2^64 − 1 must be refused")
        }
        #expect(refused { Self.put32(&$0, body.offset - 12, 4) } != nil)
        var withCustom = good
        Self.put32(&withCustom, 8, 4)
        withCustom += [4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(
            throws: Groth16Error.unsupportedSection(
                kind: "r1cs", section: 4,
                reason: "custom gates (circom's PLONK custom templates) have no Groth16 meaning")
        ) {
            _ = try CircomR1CS(fileBytes: withCustom)
        }
        // A section count claiming more sections than the file holds.
        #expect(refused { Self.put32(&$0, 8, 0xFFFF_FFFF) } != nil)
    }

    @Test func hostileWitnessFilesAreRefused() throws {
        let good = try Self.multiplier1000.get().wtnsFile
        func refused(_ edit: (inout [UInt8]) -> Void) -> Groth16Error? {
            var b = good
            edit(&b)
            do {
                _ = try CircomWitness(fileBytes: b)
                return nil
            } catch {
                return error
            }
        }
        #expect(refused { $0[3] = 0 } != nil)
        #expect(
            refused { Self.put32(&$0, 4, 1) } == .badFileHeader(kind: "wtns", reason: "version 1, want 2"))
        // nWitness (header offset 24 + 4 + 32) claims 2^32 − 1 values.
        #expect(
            refused { Self.put32(&$0, 60, 0xFFFF_FFFF) }
                == .malformedSection(
                    kind: "wtns", section: 2, reason: "is 32096 bytes, want 32·nWitness = 137438953440"))
        // Value 0 set to r.
        #expect(
            refused { b in
                var w = BinaryFileWriter(magic: "", version: 0, sectionCount: 0)
                w.limbs(Fr.field.modulus)
                b.replaceSubrange(76..<108, with: w.bytes.suffix(32))
            } == .malformedSection(kind: "wtns", section: 2, reason: "witness value 0 is ≥ r"))
        #expect(refused { $0[30] ^= 1 } != nil, "prime changed")
    }

    @Test func hostileCeremonyFilesAreRefused() throws {
        let good = Self.ceremony
        let secs = Self.sections(good)
        // Truncations: the table is read at open, so every cut is refused there.
        for cut in Self.cutPoints(good, stride: good.count / 37) {
            #expect(throws: Groth16Error.self, "ptau cut at \(cut)") {
                _ = try PowersOfTau(fileBytes: Array(good[0..<cut]))
            }
        }
        #expect(
            throws: Groth16Error.unreadableFile(path: "/nonexistent/x.ptau", reason: "cannot open (errno 2)")
        ) {
            _ = try PowersOfTau(path: "/nonexistent/x.ptau")
        }
        // On disk (read by offset): a truncated copy and a directory are refused as well.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("circom-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cutFile = dir.appendingPathComponent("cut.ptau")
        try Data(good[0..<(good.count - 1)]).write(to: cutFile)
        #expect(throws: Groth16Error.self) { _ = try PowersOfTau(path: cutFile.path) }
        #expect(throws: Groth16Error.unreadableFile(path: dir.path, reason: "not a regular file")) {
            _ = try PowersOfTau(path: dir.path)
        }
        let copy = dir.appendingPathComponent("copy.ptau")
        try Data(good).write(to: copy)
        let onDisk = try PowersOfTau(path: copy.path)
        let inMemory = try PowersOfTau(fileBytes: good)
        let small = EvaluationDomain(atLeast: 4)!
        let fromDisk = try onDisk.g2Points(13, first: 3, count: 4)
        let fromMemory = try inMemory.g2Points(13, first: 3, count: 4)
        #expect(zip(fromDisk, fromMemory).allSatisfy { $0 == $1 } && fromDisk.count == 4)
        _ = try onDisk.basis(for: small)

        var b = good
        Self.put32(&b, 60, 11)  // power 11: every section has the wrong size
        #expect(
            throws: Groth16Error.malformedSection(
                kind: "ptau", section: 2, reason: "tauG1 is 131008 bytes, want 262080 for power 11")
        ) {
            _ = try PowersOfTau(fileBytes: b)
        }
        b = good
        b[28] ^= 1  // the prime q
        if case .wrongPrime(kind: "ptau", _, _) = Self.refusal({ () throws(Groth16Error) in
            try PowersOfTau(fileBytes: b)
        }) {
        } else {
            Issue.record("a changed prime must be refused as the wrong prime")
        }
        b = good
        b[0] = UInt8(ascii: "q")
        #expect(throws: Groth16Error.badFileHeader(kind: "ptau", reason: "magic is \"qtau\", want \"ptau\""))
        {
            _ = try PowersOfTau(fileBytes: b)
        }
        b = good
        Self.put32(&b, 4, 2)
        #expect(throws: Groth16Error.badFileHeader(kind: "ptau", reason: "version 2, want 1")) {
            _ = try PowersOfTau(fileBytes: b)
        }

        // Not prepared: sections 1–7 only.
        let first12 = secs.first { $0.type == 12 }!.offset - 12
        var unprepared = Array(good[0..<first12])
        Self.put32(&unprepared, 8, 7)
        let ptau = try PowersOfTau(fileBytes: unprepared)
        #expect(!ptau.isPrepared)
        let domain = EvaluationDomain(atLeast: 8)!
        #expect(throws: Groth16Error.ptauNotPrepared) { _ = try ptau.basis(for: domain) }

        // A point off the curve, a coordinate ≥ p, two Lagrange points swapped.
        let l12 = secs.first { $0.type == 12 }!
        let at = l12.offset + 7 * 64  // domain 8 starts at point 7
        b = good
        b[at + 40] ^= 1
        #expect(throws: Groth16Error.badPoint(field: "ptau section 12 point 7", reason: .notOnCurve)) {
            _ = try PowersOfTau(fileBytes: b).basis(for: domain)
        }
        b = good
        for k in 0..<32 { b[at + k] = 0xFF }
        #expect(
            throws: Groth16Error.badCoordinate(
                field: "ptau section 12 point 7", reason: "Montgomery coordinate is not below p")
        ) {
            _ = try PowersOfTau(fileBytes: b).basis(for: domain)
        }
        b = good
        b.replaceSubrange(at..<(at + 128), with: good[(at + 64)..<(at + 128)] + good[at..<(at + 64)])
        #expect(throws: Groth16Error.self) { _ = try PowersOfTau(fileBytes: b).basis(for: domain) }
        do {
            _ = try PowersOfTau(fileBytes: b).basis(for: domain)
        } catch {
            if case .inconsistentCeremony = error {
            } else {
                Issue.record("swapped Lagrange points: \(error)")
            }
        }
        // Two valid points of section 2 swapped ([τ]₁ and [τ²]₁): the powers are not powers.
        let t2 = secs.first { $0.type == 2 }!.offset
        b = good
        b.replaceSubrange(
            (t2 + 64)..<(t2 + 192), with: good[(t2 + 128)..<(t2 + 192)] + good[(t2 + 64)..<(t2 + 128)])
        if case .inconsistentCeremony = Self.refusal({ () throws(Groth16Error) in
            try PowersOfTau(fileBytes: b).basis(for: domain)
        }) {
        } else {
            Issue.record("swapped powers of τ must be refused as an inconsistent ceremony")
        }
        // The good file passes every consistency check for every domain it holds (small ones here;
        // 2^7 and 2^10 in the setup test).
        for k in 0...5 {
            _ = try PowersOfTau(fileBytes: good).basis(for: EvaluationDomain(atLeast: 1 << k)!)
        }
    }
}

/// circom's `Multiplier(n)` (snarkjs's Groth16 test circuit, `test/groth16/circuit.circom`), built
/// here with `ConstraintSystemBuilder`:
///
/// ```
/// int[0] <== a·a + b;   int[i] <== int[i−1]·int[i−1] + b  (0 < i < n);   c <== int[n−1]
/// ```
///
/// in circom's wire order and constraint form: wire 0 = 1, wire 1 = the public output c, then a
/// (a public input, or private), b, and int[0…n−2] (circom merges int[n−1] into c): n + 3 wires.
/// Constraint i is `(−x)·x = b − y` with x = a or int[i−1], y = int[i] or c, which is how circom
/// writes `y <== x·x + b`. circom's wire-to-label map for this circuit is the identity, as ours is.
struct GeneratedMultiplier: Sendable {
    let n: Int
    let r1cs: R1CS
    /// The assignment: z₀ = 1, then the value of every wire.
    let witness: [Fr]
    /// The `.r1cs` as circom writes it (`CircomTests.circomLayout`): nPrvIn = the private inputs
    /// (a and b, or b alone), nLabels = n + 4 (int[n−1] keeps its label).
    let r1csFile: [UInt8]
    /// The same system as `CircomR1CS.fileBytes` writes it: header first, nPrvIn = 0, nLabels = nWires.
    let ourR1CSFile: [UInt8]
    let wtnsFile: [UInt8]

    /// - Throws: what `ConstraintSystemBuilder.system()` and the writers throw (nothing for these
    ///   sizes).
    init(n: Int, a: Fr, b: Fr, publicA: Bool) throws(Groth16Error) {
        var chain: [Fr] = []
        var x = a
        for _ in 0..<n {
            x = x * x + b
            chain.append(x)
        }
        var builder = ConstraintSystemBuilder()
        let c = builder.publicInput(chain[n - 1])
        let aWire = publicA ? builder.publicInput(a) : builder.witness(a)
        let bWire = builder.witness(b)
        var previous = aWire
        for i in 0..<n {
            let next = i == n - 1 ? c : builder.witness(chain[i])
            builder.enforce(previous * -Fr.one, times: previous, equals: bWire - next)
            previous = next
        }
        self.n = n
        r1cs = try builder.system()
        witness = builder.values
        ourR1CSFile = try CircomR1CS(r1cs, publicOutputCount: 1).fileBytes
        r1csFile = CircomTests.circomLayout(
            r1cs, publicOutputCount: 1, privateInputCount: publicA ? 1 : 2, labelCount: UInt64(n + 4))
        wtnsFile = try CircomWitness(values: witness).fileBytes
    }
}

/// snarkjs's own Groth16 test files, optional and not shipped (Fixtures/groth16/README.md,
/// "circom"): `multiplier100/{circuit.r1cs,witness.wtns,circuit.zkey,proof.json,public.json}` and
/// `multiplier1000/{circuit.r1cs,witness.wtns}`, read from `$MESH_CIRCOM_VECTORS` when it is set,
/// else from `../shared/vectors/circom` beside the repository root. A test that needs them is
/// disabled when they are absent from the default place; with `MESH_CIRCOM_VECTORS` set it runs,
/// and a missing file fails it by name.
enum RealCircomFiles {
    static let override = ProcessInfo.processInfo.environment["MESH_CIRCOM_VECTORS"].flatMap {
        $0.isEmpty ? nil : $0
    }

    static let directory: URL =
        override.map { URL(fileURLWithPath: $0, isDirectory: true) }
        ?? RepoPaths.root().appendingPathComponent("../shared/vectors/circom").standardizedFileURL

    /// The systems and witnesses of both circuits.
    static let systems = [
        "multiplier1000/circuit.r1cs", "multiplier1000/witness.wtns", "multiplier100/circuit.r1cs",
        "multiplier100/witness.wtns",
    ]

    /// snarkjs's Multiplier(100) set: system, witness, key, proof and public inputs.
    static let snarkjsSet = [
        "multiplier100/circuit.r1cs", "multiplier100/witness.wtns", "multiplier100/circuit.zkey",
        "multiplier100/proof.json", "multiplier100/public.json",
    ]

    static func available(_ names: [String]) -> Bool {
        override != nil
            || names.allSatisfy {
                FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}
