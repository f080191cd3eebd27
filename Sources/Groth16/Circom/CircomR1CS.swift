/// A constraint system in circom's binary `.r1cs` format, iden3 "r1cs" version 1
/// (specs/groth16.md §12.2).
///
/// circom numbers wires 0 = the constant one, then the public outputs, the public inputs and the
/// private signals: so `r1cs.publicCount = publicOutputCount + publicInputCount`, the layout of
/// `R1CS`. Reading checks everything a hostile file could get wrong (prime, sizes, counts, wire
/// indices, coefficients below r) and allocates no more than the file's own size justifies.
public struct CircomR1CS: Sendable {
    public let r1cs: R1CS
    /// `nPubOut`: public outputs, wires `1…publicOutputCount`.
    public let publicOutputCount: Int
    /// `nPubIn`: public inputs, the next `publicInputCount` wires.
    public let publicInputCount: Int
    /// `nPrvIn`: private inputs (a subset of the private wires; informational).
    public let privateInputCount: Int
    /// `nLabels`: how many signals the compiler labelled (at least the wire count).
    public let labelCount: UInt64
    /// Section 3: the label id of every wire, `wireLabels.count == r1cs.variableCount`.
    public let wireLabels: [UInt64]

    /// Wraps one of our systems for export: its public variables become `publicOutputCount`
    /// outputs then inputs, no private input is marked, and wire i has label i.
    ///
    /// - Throws: `Groth16Error.countMismatch` when `publicOutputCount` is not in
    ///   `[0, r1cs.publicCount]` or a count does not fit the format's u32.
    public init(_ r1cs: R1CS, publicOutputCount: Int = 0) throws(Groth16Error) {
        guard (0...r1cs.publicCount).contains(publicOutputCount) else {
            throw .countMismatch(what: "public outputs", got: publicOutputCount, want: r1cs.publicCount)
        }
        guard r1cs.variableCount <= Int(UInt32.max) else {
            throw .countMismatch(
                what: "wires (a .r1cs holds at most 2^32 − 1)", got: r1cs.variableCount, want: Int(UInt32.max)
            )
        }
        guard r1cs.constraints.count <= Int(UInt32.max) else {
            throw .countMismatch(
                what: "constraints (a .r1cs holds at most 2^32 − 1)", got: r1cs.constraints.count,
                want: Int(UInt32.max))
        }
        self.r1cs = r1cs
        self.publicOutputCount = publicOutputCount
        self.publicInputCount = r1cs.publicCount - publicOutputCount
        self.privateInputCount = 0
        self.labelCount = UInt64(r1cs.variableCount)
        self.wireLabels = (0..<r1cs.variableCount).map { UInt64($0) }
    }

    /// Reads a `.r1cs` file (specs/groth16.md §12.2).
    ///
    /// - Throws: `Groth16Error.badFileHeader` (magic, version ≠ 1); `.truncatedFile` (a section or
    ///   a value runs past its end); `.wrongPrime` (not BN254's r); `.unsupportedSection` (custom
    ///   gates, sections 4 and 5); `.malformedSection` for a missing or repeated section, counts
    ///   that disagree with the section sizes, a wire index ≥ nWires or a coefficient ≥ r.
    public init(fileBytes: [UInt8]) throws(Groth16Error) {
        let kind = "r1cs"
        let source = ByteSource.memory(fileBytes)
        let layout = try BinaryFileLayout.parse(source, magic: kind, versions: 1...1)
        for type: UInt32 in [4, 5] where try layout.unique(type) != nil {
            throw .unsupportedSection(
                kind: kind, section: Int(type),
                reason: "custom gates (circom's PLONK custom templates) have no Groth16 meaning")
        }
        func bytes(of s: BinaryFileLayout.Section) throws(Groth16Error) -> [UInt8] {
            try source.read(offset: s.offset, count: Int(s.size), kind: kind)
        }

        var header = ByteCursor(try bytes(of: try layout.required(1, name: "header")), kind: kind, section: 1)
        try readScalarFieldPrime(&header)
        let nWires = Int(try header.u32("nWires"))
        let nPubOut = Int(try header.u32("nPubOut"))
        let nPubIn = Int(try header.u32("nPubIn"))
        let nPrvIn = Int(try header.u32("nPrvIn"))
        let nLabels = try header.u64("nLabels")
        let mConstraints = Int(try header.u32("mConstraints"))
        try header.expectEnd()
        guard nWires >= 1 + nPubOut + nPubIn + nPrvIn else {
            throw .malformedSection(
                kind: kind, section: 1,
                reason: "nWires \(nWires) < 1 + nPubOut \(nPubOut) + nPubIn \(nPubIn) + nPrvIn \(nPrvIn)")
        }

        // Section 3 bounds nWires by the file size before anything is sized by it.
        let map = try layout.required(3, name: "wire-to-label map")
        guard map.size == UInt64(nWires) * 8 else {
            throw .malformedSection(
                kind: kind, section: 3, reason: "is \(map.size) bytes, want 8·nWires = \(UInt64(nWires) * 8)")
        }
        var labels = ByteCursor(try bytes(of: map), kind: kind, section: 3)
        var wireLabels: [UInt64] = []
        wireLabels.reserveCapacity(nWires)
        for _ in 0..<nWires { wireLabels.append(try labels.u64("a wire label")) }

        var body = ByteCursor(
            try bytes(of: try layout.required(2, name: "constraints")), kind: kind, section: 2)
        // Each constraint holds at least three u32 term counts.
        guard UInt64(mConstraints) * 12 <= UInt64(body.remaining) else {
            throw .truncatedFile(
                kind: kind, what: "\(mConstraints) constraints (section 2)", need: UInt64(mConstraints) * 12,
                have: UInt64(body.remaining))
        }
        var constraints: [R1CS.Constraint] = []
        constraints.reserveCapacity(mConstraints)
        for j in 0..<mConstraints {
            var sides: [LinearCombination] = []
            for side in ["A", "B", "C"] {
                let nTerms = Int(try body.u32("constraint \(j) \(side) term count"))
                guard UInt64(nTerms) * 36 <= UInt64(body.remaining) else {
                    throw .truncatedFile(
                        kind: kind, what: "constraint \(j) \(side): \(nTerms) terms (section 2)",
                        need: UInt64(nTerms) * 36, have: UInt64(body.remaining))
                }
                var terms: [(variable: Int, coefficient: Fr)] = []
                terms.reserveCapacity(nTerms)
                for _ in 0..<nTerms {
                    let wire = Int(try body.u32("a wire index"))
                    guard wire < nWires else {
                        throw .malformedSection(
                            kind: kind, section: 2,
                            reason: "constraint \(j) \(side) names wire \(wire), want < nWires \(nWires)")
                    }
                    guard let c = Fr(canonical: limbsLE(try body.take(32, what: "a coefficient"))) else {
                        throw .malformedSection(
                            kind: kind, section: 2, reason: "constraint \(j) \(side): a coefficient is ≥ r")
                    }
                    terms.append((wire, c))
                }
                sides.append(LinearCombination(terms))
            }
            constraints.append(R1CS.Constraint(a: sides[0], b: sides[1], c: sides[2]))
        }
        try body.expectEnd()

        self.r1cs = try R1CS(publicCount: nPubOut + nPubIn, variableCount: nWires, constraints: constraints)
        self.publicOutputCount = nPubOut
        self.publicInputCount = nPubIn
        self.privateInputCount = nPrvIn
        self.labelCount = nLabels
        self.wireLabels = wireLabels
    }

    /// The `.r1cs` file: header, constraints, wire-to-label map, in that order (circom writes
    /// the constraints first; readers take either). Terms are written as `R1CS` holds them
    /// (normalized: sorted by wire, no zero coefficient), coefficients canonical.
    public var fileBytes: [UInt8] {
        var w = BinaryFileWriter(magic: "r1cs", version: 1, sectionCount: 3)
        w.section(1) { h in
            h.scalarFieldPrime()
            h.u32(UInt32(r1cs.variableCount))
            h.u32(UInt32(publicOutputCount))
            h.u32(UInt32(publicInputCount))
            h.u32(UInt32(privateInputCount))
            h.u64(labelCount)
            h.u32(UInt32(r1cs.constraints.count))
        }
        w.section(2) { s in
            for k in r1cs.constraints {
                for lc in [k.a, k.b, k.c] {
                    s.u32(UInt32(lc.terms.count))
                    for t in lc.terms {
                        s.u32(UInt32(t.variable))
                        s.limbs(t.coefficient.canonical)
                    }
                }
            }
        }
        w.section(3) { s in for label in wireLabels { s.u64(label) } }
        return w.bytes
    }
}

/// A witness in snarkjs's binary `.wtns` format, iden3 "wtns" version 2 (specs/groth16.md §12.3):
/// the value of every wire, wire 0 (the constant one) first.
public struct CircomWitness: Sendable {
    public let values: [Fr]

    /// - Throws: `Groth16Error.countMismatch` beyond the format's u32 count.
    public init(values: [Fr]) throws(Groth16Error) {
        guard values.count <= Int(UInt32.max) else {
            throw .countMismatch(
                what: "witness values (a .wtns holds at most 2^32 − 1)", got: values.count,
                want: Int(UInt32.max))
        }
        self.values = values
    }

    /// Reads a `.wtns` file.
    ///
    /// - Throws: `Groth16Error.badFileHeader` (magic, version ≠ 2); `.truncatedFile`; `.wrongPrime`;
    ///   `.malformedSection` for a missing or repeated section, a witness section whose size is not
    ///   32·nWitness, or a value ≥ r.
    public init(fileBytes: [UInt8]) throws(Groth16Error) {
        let kind = "wtns"
        let source = ByteSource.memory(fileBytes)
        let layout = try BinaryFileLayout.parse(source, magic: kind, versions: 2...2)
        let h = try layout.required(1, name: "header")
        var header = ByteCursor(
            try source.read(offset: h.offset, count: Int(h.size), kind: kind), kind: kind, section: 1)
        try readScalarFieldPrime(&header)
        let n = Int(try header.u32("nWitness"))
        try header.expectEnd()
        let data = try layout.required(2, name: "witness")
        guard data.size == UInt64(n) * 32 else {
            throw .malformedSection(
                kind: kind, section: 2, reason: "is \(data.size) bytes, want 32·nWitness = \(UInt64(n) * 32)")
        }
        var body = ByteCursor(
            try source.read(offset: data.offset, count: Int(data.size), kind: kind), kind: kind, section: 2)
        var values: [Fr] = []
        values.reserveCapacity(n)
        for i in 0..<n {
            guard let v = Fr(canonical: limbsLE(try body.take(32, what: "a witness value"))) else {
                throw .malformedSection(kind: kind, section: 2, reason: "witness value \(i) is ≥ r")
            }
            values.append(v)
        }
        self.values = values
    }

    /// The `.wtns` file: header (n8 = 32, r, nWitness) then the values, canonical little-endian.
    public var fileBytes: [UInt8] {
        var w = BinaryFileWriter(magic: "wtns", version: 2, sectionCount: 2)
        w.section(1) { h in
            h.scalarFieldPrime()
            h.u32(UInt32(values.count))
        }
        w.section(2) { s in for v in values { s.limbs(v.canonical) } }
        return w.bytes
    }
}
