/// The binary proving-key file (specs/groth16.md §9.4): `"MVZK"`, u32be version 1, the 32-byte
/// id of the statement the key was made for (a circuit id), u32be domain size, public count,
/// variable count and constraint count, then the points — α₁ β₁ δ₁ β₂ γ₂ δ₂, IC, the A, B₁, B₂,
/// L and H queries — each G1 point as x ‖ y (32-byte big-endian canonical coordinates, 64 bytes;
/// the identity as 64 zero bytes), each G2 point as x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1 (128 bytes).
///
/// Reading checks every coordinate is below p and every point is on its curve. G2 subgroup
/// membership is not checked here (about a millisecond per point): a proving key only affects
/// its holder, whose proofs fail to verify if the key is wrong; verifying keys are checked fully.
extension Groth16ProvingKey {
    static let magic: [UInt8] = Array("MVZK".utf8)
    static let fileVersion: UInt32 = 1

    /// The key as bytes, bound to `statementID` (32 bytes).
    public func serialized(statementID: [UInt8]) -> [UInt8] {
        precondition(statementID.count == 32, "statement ids are 32 bytes")
        var out = Self.magic
        func u32(_ v: Int) {
            out += (0..<4).map { UInt8(truncatingIfNeeded: UInt32(v) >> (24 - 8 * UInt32($0))) }
        }
        u32(Int(Self.fileVersion))
        out += statementID
        for v in [domainSize, publicCount, variableCount, constraintCount] { u32(v) }
        func g1(_ p: G1Affine) {
            out += p.isIdentity ? [UInt8](repeating: 0, count: 64) : p.x.bigEndianBytes + p.y.bigEndianBytes
        }
        func g2(_ q: G2Affine) {
            out +=
                q.isIdentity
                ? [UInt8](repeating: 0, count: 128)
                : q.x.c0.bigEndianBytes + q.x.c1.bigEndianBytes + q.y.c0.bigEndianBytes
                    + q.y.c1.bigEndianBytes
        }
        let vk = verifyingKey
        [vk.alpha, beta1, delta1].forEach(g1)
        [vk.beta, vk.gamma, vk.delta].forEach(g2)
        vk.ic.forEach(g1)
        a.forEach(g1)
        b1.forEach(g1)
        b2.forEach(g2)
        l.forEach(g1)
        h.forEach(g1)
        return out
    }

    /// Reads a key file made for `statementID`.
    ///
    /// - Throws: `Groth16Error.malformedField` naming what is wrong: magic, version, statement,
    ///   a count that disagrees with the file's length, a coordinate ≥ p or a point off its curve.
    public init(serialized bytes: [UInt8], statementID: [UInt8]) throws(Groth16Error) {
        var reader = KeyFileReader(bytes: bytes)
        guard try reader.take(4) == Self.magic else {
            throw .malformedField(
                field: "proving key", reason: "not a proving key file (magic is not \"MVZK\")")
        }
        let version = try reader.u32()
        guard version == Int(Self.fileVersion) else {
            throw .malformedField(
                field: "proving key", reason: "version \(version); this reader knows version 1")
        }
        guard try reader.take(32) == statementID else {
            throw .malformedField(
                field: "proving key", reason: "made for another circuit (statement id differs)")
        }
        let domain = try reader.u32()
        let publicCount = try reader.u32()
        let variables = try reader.u32()
        let constraints = try reader.u32()
        let g1Count = 3 + (publicCount + 1) + 3 * variables - publicCount - 1 + (domain - 1)
        let need = 64 * g1Count + 128 * (3 + variables)
        guard domain >= 1, domain & (domain - 1) == 0, variables > publicCount,
            need == bytes.count - reader.offset
        else {
            throw .malformedField(
                field: "proving key",
                reason: "counts (domain \(domain), \(variables) variables) do not match the file's length")
        }
        let singles = try (0..<3).map { i throws(Groth16Error) in try reader.g1("point \(i)") }
        let singles2 = try (0..<3).map { i throws(Groth16Error) in try reader.g2("G2 point \(i)") }
        let ic = try (0...publicCount).map { i throws(Groth16Error) in try reader.g1("IC[\(i)]") }
        let a = try (0..<variables).map { i throws(Groth16Error) in try reader.g1("A[\(i)]") }
        let b1 = try (0..<variables).map { i throws(Groth16Error) in try reader.g1("B1[\(i)]") }
        let b2 = try (0..<variables).map { i throws(Groth16Error) in try reader.g2("B2[\(i)]") }
        let l = try (0..<(variables - publicCount - 1)).map { i throws(Groth16Error) in
            try reader.g1("L[\(i)]")
        }
        let h = try (0..<(domain - 1)).map { i throws(Groth16Error) in try reader.g1("H[\(i)]") }
        self.init(
            verifyingKey: Groth16VerifyingKey(
                alpha: singles[0], beta: singles2[0], gamma: singles2[1], delta: singles2[2], ic: ic),
            beta1: singles[1], delta1: singles[2], a: a, b1: b1, b2: b2, l: l, h: h, domainSize: domain,
            publicCount: publicCount, variableCount: variables, constraintCount: constraints)
    }
}

/// Bounds-checked reading of a proving-key file.
struct KeyFileReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func take(_ n: Int) throws(Groth16Error) -> [UInt8] {
        guard n <= bytes.count - offset else {
            throw .malformedField(field: "proving key", reason: "truncated at byte \(offset)")
        }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func u32() throws(Groth16Error) -> Int {
        try take(4).reduce(0) { $0 << 8 | Int($1) }
    }

    mutating func fp(_ field: String) throws(Groth16Error) -> Fp {
        guard let v = Fp(canonical: Limbs256.fromBigEndian(try take(32)[...])) else {
            throw .badCoordinate(field: field, reason: "not below p")
        }
        return v
    }

    mutating func g1(_ field: String) throws(Groth16Error) -> G1Affine {
        if bytes[offset..<min(bytes.count, offset + 64)].allSatisfy({ $0 == 0 }) {
            offset += 64
            return .identity
        }
        let x = try fp(field)
        let y = try fp(field)
        do { return try G1.point(x: x, y: y) } catch { throw .badPoint(field: field, reason: error) }
    }

    mutating func g2(_ field: String) throws(Groth16Error) -> G2Affine {
        if bytes[offset..<min(bytes.count, offset + 128)].allSatisfy({ $0 == 0 }) {
            offset += 128
            return .identity
        }
        let x = Fp2(try fp(field), try fp(field))
        let y = Fp2(try fp(field), try fp(field))
        guard G2.isOnCurve(x: x, y: y) else { throw .badPoint(field: field, reason: .notOnCurve) }
        return G2Affine(x: x, y: y)
    }
}
