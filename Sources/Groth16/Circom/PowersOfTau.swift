import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A snarkjs powers-of-tau file, iden3 "ptau" version 1 (specs/groth16.md §12.4): the output of
/// a phase-1 ceremony over BN254, ideally prepared for phase 2 (Lagrange sections 12–15).
///
/// Opening reads only the header and the section table and checks every section's size against
/// `power`; points are read later, and only those a domain of the size asked for needs
/// (`basis(for:)`), so memory stays proportional to the circuit, not to the ceremony.
public struct PowersOfTau: Sendable {
    /// The file holds `[τ^i]₁` for i < 2^(power+1) − 1 and the rest for i < 2^power.
    public let power: Int
    /// The power of the ceremony the file was cut from (informational).
    public let ceremonyPower: Int
    let source: ByteSource
    let layout: BinaryFileLayout
    let sections: [UInt32: BinaryFileLayout.Section]

    static let kind = "ptau"
    static let g1Size = 64
    static let g2Size = 128

    /// Whether the Lagrange sections 12–15 are present (`snarkjs powersoftau prepare phase2`).
    public var isPrepared: Bool { sections[12] != nil }

    /// Opens a `.ptau` file on disk; reads its header and section table only.
    ///
    /// - Throws: as `init(fileBytes:)`, and `Groth16Error.unreadableFile`.
    public init(path: String) throws(Groth16Error) {
        try self.init(source: try ByteSource.open(path: path))
    }

    /// Reads a `.ptau` file held in memory (tests and small ceremonies).
    ///
    /// - Throws: `Groth16Error.badFileHeader` (magic, version ≠ 1); `.truncatedFile`;
    ///   `.wrongPrime` (the base field is not BN254's p); `.malformedSection` for a missing or
    ///   repeated section, a power outside `[1, 28]`, or a section whose size is not the one
    ///   `power` gives (§12.4).
    public init(fileBytes: [UInt8]) throws(Groth16Error) {
        try self.init(source: .memory(fileBytes))
    }

    init(source: ByteSource) throws(Groth16Error) {
        let kind = Self.kind
        let layout = try BinaryFileLayout.parse(source, magic: kind, versions: 1...1)
        var sections: [UInt32: BinaryFileLayout.Section] = [:]
        for type: UInt32 in [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15] {
            sections[type] = try layout.unique(type)
        }
        let h = try layout.required(1, name: "header")
        var header = ByteCursor(
            try source.read(offset: h.offset, count: Int(min(h.size, 1024)), kind: kind), kind: kind,
            section: 1)
        let n8 = try header.u32("field size n8")
        guard n8 == 32 else {
            throw .malformedSection(
                kind: kind, section: 1,
                reason: "field elements are \(n8) bytes; only BN254 (32-byte) is supported")
        }
        let q = limbsLE(try header.take(32, what: "the prime q"))
        guard Limbs256.compare(q, Fp.field.modulus) == 0 else {
            throw .wrongPrime(kind: kind, got: Limbs256.decimal(q), want: Limbs256.decimal(Fp.field.modulus))
        }
        let power = Int(try header.u32("power"))
        let ceremonyPower = Int(try header.u32("ceremonyPower"))
        try header.expectEnd()
        guard (1...Fr.twoAdicity).contains(power) else {
            throw .malformedSection(
                kind: kind, section: 1, reason: "power \(power) is outside [1, \(Fr.twoAdicity)]")
        }
        let n = UInt64(1) << UInt64(power)
        let g1 = UInt64(Self.g1Size)
        let g2 = UInt64(Self.g2Size)
        var want: [(UInt32, String, UInt64)] = [
            (2, "tauG1", (2 * n - 1) * g1), (3, "tauG2", n * g2), (4, "alphaTauG1", n * g1),
            (5, "betaTauG1", n * g1), (6, "betaG2", g2),
        ]
        if sections[12] != nil || sections[13] != nil || sections[14] != nil || sections[15] != nil {
            want += [
                (12, "Lagrange tauG1", (4 * n - 1) * g1), (13, "Lagrange tauG2", (2 * n - 1) * g2),
                (14, "Lagrange alphaTauG1", (2 * n - 1) * g1), (15, "Lagrange betaTauG1", (2 * n - 1) * g1),
            ]
        }
        for (type, name, size) in want {
            guard let s = sections[type] else {
                throw .malformedSection(
                    kind: kind, section: Int(type), reason: "the \(name) section is missing")
            }
            guard s.size == size else {
                throw .malformedSection(
                    kind: kind, section: Int(type),
                    reason: "\(name) is \(s.size) bytes, want \(size) for power \(power)")
            }
        }
        self.power = power
        self.ceremonyPower = ceremonyPower
        self.source = source
        self.layout = layout
        self.sections = sections
    }

    /// `count` G1 points of section `type` from point `first`, each checked (on the curve; the
    /// all-zero encoding is the identity). Encoding: x ‖ y, each 32 bytes little-endian in
    /// Montgomery form (x·2^256 mod p), as ffjavascript's `toRprLEM` writes them.
    ///
    /// - Throws: `.truncatedFile` past the section; `.badCoordinate` for a coordinate ≥ p;
    ///   `.badPoint` naming section and index.
    func g1Points(_ type: UInt32, first: Int, count: Int) throws(Groth16Error) -> [G1Affine] {
        let raw = try read(type, first: first, count: count, size: Self.g1Size)
        var out: [G1Affine] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let base = i * Self.g1Size
            out.append(
                try Self.g1(
                    raw[base..<(base + Self.g1Size)], field: "ptau section \(type) point \(first + i)"))
        }
        return out
    }

    /// As `g1Points` for G2: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1, each Montgomery little-endian; each
    /// point on the twist and of order r. The order check (a 254-bit scalar multiplication, about
    /// 2 ms a point) dominates reading, so points are decoded on every core in contiguous chunks;
    /// the error reported is the one of the lowest-numbered bad point.
    func g2Points(_ type: UInt32, first: Int, count: Int) throws(Groth16Error) -> [G2Affine] {
        let raw = try read(type, first: first, count: count, size: Self.g2Size)
        let workers = max(1, min(Self.cores, count / 16))
        let chunk = (count + workers - 1) / max(workers, 1)
        let out = Slots<G2Affine>(count: count, initial: .identity)
        let errors = Slots<Groth16Error?>(count: workers, initial: nil)
        defer {
            out.free()
            errors.free()
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in (w * chunk)..<min(count, (w + 1) * chunk) {
                let base = i * Self.g2Size
                do throws(Groth16Error) {
                    out[i] = try Self.g2(
                        raw[base..<(base + Self.g2Size)], field: "ptau section \(type) point \(first + i)")
                } catch {
                    errors[w] = error
                    return
                }
            }
        }
        for w in 0..<workers { if let e = errors[w] { throw e } }
        return Array(out.buffer)
    }

    /// Online processors (at least 1).
    static let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    private func read(_ type: UInt32, first: Int, count: Int, size: Int) throws(Groth16Error) -> [UInt8] {
        guard let s = sections[type] else {
            throw .malformedSection(kind: Self.kind, section: Int(type), reason: "is missing")
        }
        let begin = UInt64(first) * UInt64(size)
        let length = UInt64(count) * UInt64(size)
        guard first >= 0, count >= 0, begin <= s.size, length <= s.size - begin else {
            throw .truncatedFile(
                kind: Self.kind, what: "points [\(first), \(first + count)) of section \(type)", need: length,
                have: begin <= s.size ? s.size - begin : 0)
        }
        return try source.read(offset: s.offset + begin, count: Int(length), kind: Self.kind)
    }

    /// One G1 point in snarkjs's encoding (64 bytes: x ‖ y, Montgomery little-endian; all zero
    /// for the identity), checked on the curve.
    static func g1(_ bytes: ArraySlice<UInt8>, field: String) throws(Groth16Error) -> G1Affine {
        if bytes.allSatisfy({ $0 == 0 }) { return .identity }
        let i = bytes.startIndex
        let x = try coordinate(bytes[i..<(i + 32)], field: field)
        let y = try coordinate(bytes[(i + 32)..<(i + 64)], field: field)
        do {
            return try G1.point(x: x, y: y)
        } catch {
            throw .badPoint(field: field, reason: error)
        }
    }

    /// One G2 point (128 bytes: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1), checked on the twist and of order r.
    static func g2(_ bytes: ArraySlice<UInt8>, field: String) throws(Groth16Error) -> G2Affine {
        if bytes.allSatisfy({ $0 == 0 }) { return .identity }
        let i = bytes.startIndex
        var c: [Fp] = []
        for k in 0..<4 { c.append(try coordinate(bytes[(i + 32 * k)..<(i + 32 * k + 32)], field: field)) }
        do {
            return try G2.point(x: Fp2(c[0], c[1]), y: Fp2(c[2], c[3]))
        } catch {
            throw .badPoint(field: field, reason: error)
        }
    }

    /// A Montgomery-form little-endian coordinate below p.
    static func coordinate(_ bytes: ArraySlice<UInt8>, field: String) throws(Groth16Error) -> Fp {
        let limbs = limbsLE(bytes)
        guard Limbs256.compare(limbs, Fp.field.modulus) < 0 else {
            throw .badCoordinate(field: field, reason: "Montgomery coordinate is not below p")
        }
        return Fp(montgomery: limbs)
    }
}

/// Fixed slots written by disjoint indices from `concurrentPerform` workers and read after
/// they join (raw memory: no copy-on-write or exclusivity check between threads).
final class Slots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>

    init(count: Int, initial: T) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: initial)
    }

    subscript(i: Int) -> T {
        get { buffer[i] }
        set { buffer[i] = newValue }
    }

    func free() {
        buffer.deinitialize()
        buffer.deallocate()
    }
}

/// What a circuit of one domain size needs from a ceremony (specs/groth16.md §12.5), every point
/// checked on read and the whole checked for consistency by `PowersOfTau.basis(for:)`.
struct CeremonyBasis: Sendable {
    /// `[τ^i]₁`, i in `[0, 2n − 1)`.
    let tauG1: [G1Affine]
    /// `[L_j(τ)]₁`, `[L_j(τ)]₂`, `[α·L_j(τ)]₁`, `[β·L_j(τ)]₁`, j in `[0, n)`.
    let lagrangeG1: [G1Affine]
    let lagrangeG2: [G2Affine]
    let alphaLagrangeG1: [G1Affine]
    let betaLagrangeG1: [G1Affine]
    /// `[α]₁`, `[β]₁`, `[β]₂`.
    let alpha1: G1Affine
    let beta1: G1Affine
    let beta2: G2Affine
}

extension PowersOfTau {
    /// Reads and checks the points a domain of `domain.size = n` points needs (specs/groth16.md
    /// §12.5): `2n − 1` powers of τ in G1, the four Lagrange bases of size n (at offset n − 1 of
    /// sections 12–15), `[α τ^i]₁`, `[β τ^i]₁` (i < n), `[τ]₂`, `[β]₂`. Memory: O(n) points.
    ///
    /// Consistency checks, with random `ρ` (Schwartz–Zippel: a forged point passes with
    /// probability about 1/r): `[τ^0]₁`, `[τ^0]₂` are the generators; the powers are powers
    /// (`e(Σρ_i[τ^(i+1)]₁, g₂) = e(Σρ_i[τ^i]₁, [τ]₂)`, and the same for α·τ^i and β·τ^i);
    /// `e([β]₁, g₂) = e(g₁, [β]₂)`; each Lagrange section equals the inverse FFT of its monomial
    /// section for this project's ω (`Σρ_j[L_j] = Σ ifft(ρ)_k [τ^k]`; for G2 by a pairing).
    ///
    /// - Throws: `.ptauNotPrepared`; `.ceremonyTooSmall` when `domain.logSize > power`; the
    ///   read errors of `g1Points`/`g2Points`; `.inconsistentCeremony` naming the failed check.
    func basis(for domain: EvaluationDomain) throws(Groth16Error) -> CeremonyBasis {
        guard isPrepared else { throw .ptauNotPrepared }
        guard domain.logSize <= power else { throw .ceremonyTooSmall(power: power, needed: domain.logSize) }
        let n = domain.size
        let tauG1 = try g1Points(2, first: 0, count: 2 * n - 1)
        let tauG2 = try g2Points(3, first: 0, count: min(2, n))
        let alphaTau = try g1Points(4, first: 0, count: n)
        let betaTau = try g1Points(5, first: 0, count: n)
        let beta2 = try g2Points(6, first: 0, count: 1)[0]
        let lagrangeG1 = try g1Points(12, first: n - 1, count: n)
        let lagrangeG2 = try g2Points(13, first: n - 1, count: n)
        let alphaLagrange = try g1Points(14, first: n - 1, count: n)
        let betaLagrange = try g1Points(15, first: n - 1, count: n)

        guard tauG1[0] == G1.generator, tauG2[0] == G2.generator else {
            throw .inconsistentCeremony(reason: "[τ^0] is not the generator (sections 2, 3)")
        }
        var rng = SystemRandomNumberGenerator()
        let g1 = G1.generator
        let g2 = G2.generator
        if n > 1 {
            let tau2 = tauG2[1]
            func powersArePowers(_ points: ArraySlice<G1Affine>, _ name: String) throws(Groth16Error) {
                let rho = (0..<(points.count - 1)).map { _ in Fr.random(using: &rng) }
                let low = MultiScalarMultiplication.multiply(Array(points.dropLast()), rho).affine
                let high = MultiScalarMultiplication.multiply(Array(points.dropFirst()), rho).affine
                guard Pairing.productIsOne([(high, g2), (low.negated, tau2)]) else {
                    throw .inconsistentCeremony(
                        reason: "\(name) are not successive powers of the [τ]₂ of section 3")
                }
            }
            try powersArePowers(tauG1[...], "[τ^i]₁ (section 2)")
            try powersArePowers(alphaTau[...], "[α·τ^i]₁ (section 4)")
            try powersArePowers(betaTau[...], "[β·τ^i]₁ (section 5)")
        }
        guard Pairing.productIsOne([(betaTau[0], g2), (g1.negated, beta2)]) else {
            throw .inconsistentCeremony(reason: "[β]₁ (section 5) and [β]₂ (section 6) disagree")
        }
        let rho = (0..<n).map { _ in Fr.random(using: &rng) }
        var coefficients = rho
        domain.ifft(&coefficients)
        func lagrangeMatches(_ lagrange: [G1Affine], _ monomial: [G1Affine], _ name: String)
            throws(Groth16Error)
        {
            let lhs = MultiScalarMultiplication.multiply(lagrange, rho)
            let rhs = MultiScalarMultiplication.multiply(Array(monomial[0..<n]), coefficients)
            guard lhs == rhs else {
                throw .inconsistentCeremony(
                    reason: "\(name) is not the Lagrange basis of its monomial section for ω = 5^((r−1)/\(n))"
                )
            }
        }
        try lagrangeMatches(lagrangeG1, tauG1, "Lagrange [τ]₁ (section 12)")
        try lagrangeMatches(alphaLagrange, alphaTau, "Lagrange [α·τ]₁ (section 14)")
        try lagrangeMatches(betaLagrange, betaTau, "Lagrange [β·τ]₁ (section 15)")
        let combinedG1 = MultiScalarMultiplication.multiply(lagrangeG1, rho).affine
        let combinedG2 = MultiScalarMultiplication.multiply(lagrangeG2, rho).affine
        guard Pairing.productIsOne([(combinedG1, g2), (g1.negated, combinedG2)]) else {
            throw .inconsistentCeremony(reason: "Lagrange [τ]₂ (section 13) disagrees with section 12")
        }
        return CeremonyBasis(
            tauG1: tauG1, lagrangeG1: lagrangeG1, lagrangeG2: lagrangeG2, alphaLagrangeG1: alphaLagrange,
            betaLagrangeG1: betaLagrange, alpha1: alphaTau[0], beta1: betaTau[0], beta2: beta2)
    }
}
