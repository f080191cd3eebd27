import Receipts

/// A Groth16 verification key over BN254 (specs/groth16.md §5.1), every point checked.
public struct Groth16VerifyingKey: Sendable {
    public let alpha: G1Affine
    public let beta: G2Affine
    public let gamma: G2Affine
    public let delta: G2Affine
    /// IC[0] … IC[nPublic]: the public-input commitments.
    public let ic: [G1Affine]
    /// Precomputed for verification: the Miller loop of (α, β), and the lines of γ and δ.
    let alphaBetaMiller: Fp12
    let preparedGamma: PreparedG2
    let preparedDelta: PreparedG2

    public var publicInputCount: Int { ic.count - 1 }

    /// Reads snarkjs's `verification_key.json`.
    ///
    /// - Throws: `Groth16Error` naming the member when the document is not a snarkjs Groth16 BN254
    ///   key, a coordinate is not canonical, a point is off its curve or outside its subgroup, or a
    ///   point is the identity.
    public init(snarkjsJSON data: some Collection<UInt8>) throws(Groth16Error) {
        var doc = try SnarkjsReader.object(data, what: "verification key")
        try SnarkjsReader.header(&doc, curveRequired: false)
        let nPublic = try SnarkjsReader.catching { () throws(ReceiptError) in
            try doc.integer("nPublic", max: UInt64(SnarkjsReader.maxPublicInputs))
        }
        let alpha = try SnarkjsReader.g1(try SnarkjsReader.member(&doc, "vk_alpha_1"), field: "vk_alpha_1")
        let beta = try SnarkjsReader.g2(try SnarkjsReader.member(&doc, "vk_beta_2"), field: "vk_beta_2")
        let gamma = try SnarkjsReader.g2(try SnarkjsReader.member(&doc, "vk_gamma_2"), field: "vk_gamma_2")
        let delta = try SnarkjsReader.g2(try SnarkjsReader.member(&doc, "vk_delta_2"), field: "vk_delta_2")
        // Derived from alpha and beta by snarkjs; never trusted, so its content is not read.
        _ = doc.optionalValue("vk_alphabeta_12")
        guard case .array(let icValues) = try SnarkjsReader.member(&doc, "IC") else {
            throw .malformedField(field: "IC", reason: "must be an array of G1 points")
        }
        guard icValues.count == Int(nPublic) + 1 else {
            throw .countMismatch(what: "IC length", got: icValues.count, want: Int(nPublic) + 1)
        }
        var ic: [G1Affine] = []
        for (i, v) in icValues.enumerated() { ic.append(try SnarkjsReader.g1(v, field: "IC[\(i)]")) }
        try SnarkjsReader.finish(doc)
        self.init(alpha: alpha, beta: beta, gamma: gamma, delta: delta, ic: ic)
    }
}

/// A Groth16 proof (A ∈ G1, B ∈ G2, C ∈ G1), every point checked (specs/groth16.md §5.2).
public struct Groth16Proof: Sendable {
    public let a: G1Affine
    public let b: G2Affine
    public let c: G1Affine

    /// Reads snarkjs's `proof.json`.
    ///
    /// - Throws: `Groth16Error` as for the verification key.
    public init(snarkjsJSON data: some Collection<UInt8>) throws(Groth16Error) {
        var doc = try SnarkjsReader.object(data, what: "proof")
        try SnarkjsReader.header(&doc, curveRequired: false)
        a = try SnarkjsReader.g1(try SnarkjsReader.member(&doc, "pi_a"), field: "pi_a")
        b = try SnarkjsReader.g2(try SnarkjsReader.member(&doc, "pi_b"), field: "pi_b")
        c = try SnarkjsReader.g1(try SnarkjsReader.member(&doc, "pi_c"), field: "pi_c")
        try SnarkjsReader.finish(doc)
    }
}

/// The public inputs of a statement: scalars in `[0, r)` (specs/groth16.md §5.3).
public struct Groth16PublicInputs: Sendable {
    /// Each input as little-endian 64-bit limbs, `< r`.
    public let values: [[UInt64]]

    public var count: Int { values.count }

    /// Reads snarkjs's `public.json`: a JSON array of canonical decimal strings, each below r.
    public init(snarkjsJSON data: some Collection<UInt8>) throws(Groth16Error) {
        let value = try SnarkjsReader.parse(data)
        guard case .array(let items) = value else {
            throw .malformedField(field: "public inputs", reason: "must be a JSON array of decimal strings")
        }
        guard items.count <= SnarkjsReader.maxPublicInputs else {
            throw .countMismatch(
                what: "public input count", got: items.count, want: SnarkjsReader.maxPublicInputs)
        }
        var values: [[UInt64]] = []
        for (i, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw .badPublicInput(index: i, reason: "must be a decimal string")
            }
            guard let limbs = Limbs256.parseDecimal(Substring(text)) else {
                throw .badPublicInput(
                    index: i,
                    reason: "\"\(text.prefix(80))\" is not canonical decimal (digits, no leading zeros)")
            }
            let l = [UInt64(limbs.0), UInt64(limbs.1), UInt64(limbs.2), UInt64(limbs.3)]
            guard Fr.isCanonical(l) else { throw .badPublicInput(index: i, reason: "\(text) is not below r") }
            values.append(l)
        }
        self.values = values
    }

    /// Inputs from limbs; each must be below r.
    public init(values: [[UInt64]]) throws(Groth16Error) {
        for (i, v) in values.enumerated() where v.count != 4 || !Fr.isCanonical(v) {
            throw .badPublicInput(index: i, reason: "not below r")
        }
        self.values = values
    }
}

/// Shared pieces of the three snarkjs readers.
enum SnarkjsReader {
    /// Public inputs accepted per statement (a bound on work, far above real circuits').
    static let maxPublicInputs = 1 << 16

    static func parse(_ data: some Collection<UInt8>) throws(Groth16Error) -> JSONValue {
        do { return try StrictJSON.parse(Array(data), maxDepth: 8) } catch {
            throw .malformedJSON(error.description)
        }
    }

    static func object(_ data: some Collection<UInt8>, what: String) throws(Groth16Error) -> JSONObjectReader
    {
        let value = try parse(data)
        return try catching { () throws(ReceiptError) in try JSONObjectReader(value, what: what) }
    }

    /// Runs a `JSONObjectReader` call, turning its error into ours.
    static func catching<T>(_ body: () throws(ReceiptError) -> T) throws(Groth16Error) -> T {
        do { return try body() } catch {
            switch error {
            case .missingField(let k): throw .malformedField(field: k, reason: "missing")
            case .unknownField(let k):
                throw .malformedField(field: k, reason: "not a member this reader knows")
            case .invalidField(let k, let reason): throw .malformedField(field: k, reason: reason)
            default: throw .malformedJSON(error.description)
            }
        }
    }

    static func member(_ doc: inout JSONObjectReader, _ key: String) throws(Groth16Error) -> JSONValue {
        try catching { () throws(ReceiptError) in try doc.value(key) }
    }

    static func finish(_ doc: JSONObjectReader) throws(Groth16Error) {
        try catching { () throws(ReceiptError) in try doc.finish() }
    }

    /// `protocol` must be "groth16"; `curve`, when present, "bn128".
    static func header(_ doc: inout JSONObjectReader, curveRequired: Bool) throws(Groth16Error) {
        let proto = try catching { () throws(ReceiptError) in try doc.string("protocol") }
        guard proto == "groth16" else { throw .unsupportedProtocol(proto) }
        if curveRequired || doc.has("curve") {
            let curve = try catching { () throws(ReceiptError) in try doc.string("curve") }
            guard curve == "bn128" else { throw .unsupportedCurve(curve) }
        } else {
            _ = doc.optionalValue("curve")
        }
    }

    /// A coordinate: canonical decimal text below p.
    static func coordinate(_ v: JSONValue, field: String) throws(Groth16Error) -> Fp {
        guard case .string(let text) = v else {
            throw .badCoordinate(field: field, reason: "must be a decimal string")
        }
        guard let limbs = Limbs256.parseDecimal(Substring(text)) else {
            throw .badCoordinate(
                field: field,
                reason: "\"\(text.prefix(80))\" is not canonical decimal (digits, no leading zeros)")
        }
        guard let x = Fp(canonical: limbs) else {
            throw .badCoordinate(field: field, reason: "\(text) is not below p")
        }
        return x
    }

    static func strings(_ v: JSONValue, count: Int, field: String) throws(Groth16Error) -> [JSONValue] {
        guard case .array(let items) = v, items.count == count else {
            throw .malformedField(field: field, reason: "must be an array of \(count) elements")
        }
        return items
    }

    /// A G1 point [x, y, "1"] or the identity ["0", "1", "0"]; the identity is refused (§4.2).
    static func g1(_ v: JSONValue, field: String) throws(Groth16Error) -> G1Affine {
        let c = try strings(v, count: 3, field: field)
        let x = try coordinate(c[0], field: "\(field)[0]")
        let y = try coordinate(c[1], field: "\(field)[1]")
        let z = try coordinate(c[2], field: "\(field)[2]")
        if z.isZero {
            guard x.isZero, y == .one else { throw .badProjectiveZ(field: field) }
            throw .identityNotAllowed(field: field)
        }
        guard z == .one else { throw .badProjectiveZ(field: field) }
        do { return try G1.point(x: x, y: y) } catch { throw .badPoint(field: field, reason: error) }
    }

    /// A G2 point [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]] or the identity
    /// [["0", "0"], ["1", "0"], ["0", "0"]]; the identity is refused (§4.2).
    static func g2(_ v: JSONValue, field: String) throws(Groth16Error) -> G2Affine {
        let c = try strings(v, count: 3, field: field)
        var f: [Fp2] = []
        for (i, pair) in c.enumerated() {
            let e = try strings(pair, count: 2, field: "\(field)[\(i)]")
            f.append(
                Fp2(
                    try coordinate(e[0], field: "\(field)[\(i)][0]"),
                    try coordinate(e[1], field: "\(field)[\(i)][1]")))
        }
        if f[2].isZero {
            guard f[0].isZero, f[1] == .one else { throw .badProjectiveZ(field: field) }
            throw .identityNotAllowed(field: field)
        }
        guard f[2] == .one else { throw .badProjectiveZ(field: field) }
        do { return try G2.point(x: f[0], y: f[1]) } catch { throw .badPoint(field: field, reason: error) }
    }
}

extension Groth16Proof {
    /// The proof as snarkjs writes `proof.json` (one-space indent, affine points with z = 1,
    /// `protocol` and `curve` members); reading it back gives the same points.
    public var snarkjsJSON: String {
        """
        {
         "pi_a": \(SnarkjsWriter.g1(a)),
         "pi_b": \(SnarkjsWriter.g2(b)),
         "pi_c": \(SnarkjsWriter.g1(c)),
         "protocol": "groth16",
         "curve": "bn128"
        }
        """
    }
}

extension Groth16PublicInputs {
    /// The inputs as snarkjs writes `public.json`: an array of decimal strings.
    public var snarkjsJSON: String {
        let items = values.map {
            "\"\(Limbs256.decimal((UInt($0[0]), UInt($0[1]), UInt($0[2]), UInt($0[3]))))\""
        }
        return items.isEmpty ? "[]" : "[\n " + items.joined(separator: ",\n ") + "\n]"
    }
}

/// snarkjs's JSON forms of points (specs/groth16.md §5).
enum SnarkjsWriter {
    static func g1(_ p: G1Affine) -> String {
        p.isIdentity ? #"["0", "1", "0"]"# : #"["\#(p.x)", "\#(p.y)", "1"]"#
    }

    static func g2(_ q: G2Affine) -> String {
        q.isIdentity
            ? #"[["0", "0"], ["1", "0"], ["0", "0"]]"#
            : #"[["\#(q.x.c0)", "\#(q.x.c1)"], ["\#(q.y.c0)", "\#(q.y.c1)"], ["1", "0"]]"#
    }
}

extension Groth16VerifyingKey {
    /// A key from points already checked (setup output, or the JSON reader).
    init(alpha: G1Affine, beta: G2Affine, gamma: G2Affine, delta: G2Affine, ic: [G1Affine]) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.delta = delta
        self.ic = ic
        alphaBetaMiller = Pairing.millerLoop([(alpha, beta)])
        preparedGamma = PreparedG2(gamma)
        preparedDelta = PreparedG2(delta)
    }

    /// The key as snarkjs writes `verification_key.json` (specs/groth16.md §5.1), without the
    /// optional `vk_alphabeta_12` (readers recompute it from α and β).
    public var snarkjsJSON: String {
        var out =
            "{\n \"protocol\": \"groth16\",\n \"curve\": \"bn128\",\n \"nPublic\": \(publicInputCount),\n"
        out += " \"vk_alpha_1\": \(SnarkjsWriter.g1(alpha)),\n"
        out += " \"vk_beta_2\": \(SnarkjsWriter.g2(beta)),\n"
        out += " \"vk_gamma_2\": \(SnarkjsWriter.g2(gamma)),\n"
        out += " \"vk_delta_2\": \(SnarkjsWriter.g2(delta)),\n"
        out += " \"IC\": [\n  " + ic.map(SnarkjsWriter.g1).joined(separator: ",\n  ") + "\n ]\n}\n"
        return out
    }
}

extension Groth16Proof {
    /// A proof from its three points (prover output).
    init(a: G1Affine, b: G2Affine, c: G1Affine) {
        self.a = a
        self.b = b
        self.c = c
    }
}
