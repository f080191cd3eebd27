import Foundation

/// The binary proof, version 2 (specs/proofs.md §6). Integers are big-endian.
///
/// ```
/// magic "MVPF" (4) ‖ version u16 = 2 ‖ circuitID (32) ‖ tokens u32 ‖ stageCount u8
/// for each stage s:   entryBits u8 (0...48) ‖ entryOffset i64 ‖ payloadLength u32 ‖ payload
/// for each stage s:   roundCount u8 ‖ roundCount × (p(0) ‖ p(1) ‖ p(2)), each u64 c0 ‖ u64 c1
/// ```
/// A stage's entries are its accumulator (an *explicit* stage) or the accumulator minus the
/// baseline the verifier derives from Y (a *derived* stage, §5.3). Entry e is
/// `entryOffset + u_e`, the `u_e` packed as `entryBits`-bit unsigned numbers in one
/// little-endian bit stream (u_e occupies bits [e·w, (e+1)·w), bit b of the stream is bit
/// (b mod 8) of byte ⌊b/8⌋; the unused high bits of the last byte are zero). The encoding is
/// canonical: `entryOffset` is the least entry and `entryBits` the least width holding the
/// largest `u_e` (0 when all entries are equal), and every entry lies in [−2^47, 2^47).
/// Field coordinates must be canonical (< p). Nothing follows.
public struct ProofFormat: Sendable, Equatable {
    public static let magic: [UInt8] = Array("MVPF".utf8)
    public static let version: UInt16 = 2
    /// Widest packed entry (bits). Entries lie in [−2^47, 2^47) (§6).
    public static let maxEntryBits = 48
    /// Entries lie in `[−entryLimit, entryLimit)`.
    public static let entryLimit: Int64 = 1 << 47
    /// Largest proof any verifier reads (64 MiB).
    public static let maxProofBytes = 64 << 20

    /// The per-stage payload.
    public struct Stage: Sendable, Equatable {
        /// Row-major T × m: the accumulator (explicit stage) or the accumulator minus the
        /// derived baseline (derived stage, §5.3). Each in [−2^47, 2^47) to be encodable.
        public var entries: [Int64]
        /// Sumcheck rounds (⌈log2 n⌉ of them).
        public var rounds: [ProductSumcheck.RoundPolynomial]

        public init(entries: [Int64], rounds: [ProductSumcheck.RoundPolynomial] = []) {
            self.entries = entries
            self.rounds = rounds
        }
    }

    /// The canonical packing of a stage's entries: the least entry and the least width holding
    /// every entry's excess over it.
    public struct EntryEncoding: Sendable, Equatable {
        public var offset: Int64
        public var bits: Int

        public init(offset: Int64, bits: Int) {
            self.offset = offset
            self.bits = bits
        }

        /// The canonical encoding of `entries`, or nil if an entry is outside [−2^47, 2^47).
        public init?(_ entries: [Int64]) {
            guard let lo = entries.min(), let hi = entries.max(), lo >= -ProofFormat.entryLimit,
                hi < ProofFormat.entryLimit
            else { return nil }
            offset = lo
            bits = 64 - UInt64(hi - lo).leadingZeroBitCount
        }
    }

    public var circuitID: [UInt8]
    public var tokens: Int
    public var stages: [Stage]

    /// Packs `values − offset` as `bits`-bit unsigned numbers into a little-endian bit stream
    /// (`0 ≤ bits ≤ 48`; each excess is truncated to its low `bits` bits; 0 bits: no bytes).
    static func pack(_ values: [Int64], offset: Int64, bits: Int) -> [UInt8] {
        guard bits > 0 else { return [] }
        var out = [UInt8]()
        out.reserveCapacity((values.count * bits + 7) / 8)
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        // `buffer` holds `pending < 8` bits before each value, so `pending + bits ≤ 55 < 64`.
        var buffer: UInt64 = 0
        var pending = 0
        for v in values {
            buffer |= (UInt64(bitPattern: v &- offset) & mask) << UInt64(pending)
            pending += bits
            while pending >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                pending -= 8
            }
        }
        if pending > 0 { out.append(UInt8(truncatingIfNeeded: buffer)) }
        return out
    }

    /// Unpacks `count` unsigned numbers of `bits` bits (`0 ≤ bits ≤ 48`; 0 bits: all zero).
    /// Requires `bytes.count == ⌈count·bits/8⌉`; returns nil if the padding bits are not zero.
    ///
    /// Entry e starts at stream bit `e·bits`, inside byte `⌊e·bits/8⌋` at bit offset `< 8`, so
    /// the 8 bytes from there hold all of it (`7 + 48 < 64`); the last few entries read the
    /// bytes that remain, zero-extended.
    static func unpack(_ bytes: ArraySlice<UInt8>, count: Int, bits: Int) -> [Int64]? {
        guard bytes.count == (count * bits + 7) / 8 else { return nil }
        var out = [Int64](repeating: 0, count: count)
        guard bits > 0 else { return out }
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { o in
                let n = raw.count
                for e in 0..<count {
                    let bitPos = e * bits
                    let byte = bitPos >> 3
                    var word: UInt64
                    if byte + 8 <= n {
                        word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
                    } else {
                        word = 0
                        for i in byte..<n { word |= UInt64(raw[i]) << UInt64(8 * (i - byte)) }
                    }
                    o[e] = Int64(bitPattern: (word >> UInt64(bitPos & 7)) & mask)
                }
            }
        }
        let used = (count * bits) & 7
        if used != 0, let last = bytes.last, last >> UInt8(used) != 0 { return nil }
        return out
    }

    /// The entry section of stage `s` exactly as it appears in the proof (width byte, offset,
    /// length, packed payload): the bytes the transcript absorbs. Nil if an entry is outside
    /// [−2^47, 2^47).
    static func entrySection(_ stage: Stage) -> [UInt8]? {
        guard let encoding = EntryEncoding(stage.entries) else { return nil }
        let payload = pack(stage.entries, offset: encoding.offset, bits: encoding.bits)
        var out: [UInt8] = [UInt8(encoding.bits)]
        out += Transcript.bigEndian(UInt64(bitPattern: encoding.offset))
        out += Transcript.bigEndian(UInt32(payload.count))
        out += payload
        return out
    }

    /// The encoded proof. Entries outside [−2^47, 2^47) are a programming error (`prove`
    /// checks them first).
    public func encoded() -> Data {
        encoded(
            entrySections: stages.map { s in
                guard let section = ProofFormat.entrySection(s) else {
                    preconditionFailure("stage entries outside [-2^47, 2^47)")
                }
                return section
            })
    }

    /// The encoded proof with each stage's entry section already packed (`entrySection`, as
    /// the prover absorbed it), so the entries are packed once.
    func encoded(entrySections: [[UInt8]]) -> Data {
        var out = ProofFormat.magic
        out += Transcript.bigEndian(ProofFormat.version)
        out += circuitID
        out += Transcript.bigEndian(UInt32(tokens))
        out.append(UInt8(stages.count))
        for section in entrySections { out += section }
        for s in stages {
            out.append(UInt8(s.rounds.count))
            for r in s.rounds {
                for e in [r.at0, r.at1, r.at2] {
                    out += Transcript.bigEndian(e.c0.value)
                    out += Transcript.bigEndian(e.c1.value)
                }
            }
        }
        return Data(out)
    }

    /// What the decoder needs from the circuit: each stage's output count m, inner size n and
    /// whether its accumulator is derived from Y (§5.3).
    public struct Shape: Sendable, Equatable {
        public struct StageShape: Sendable, Equatable {
            public var outputs: Int
            public var inner: Int
            public var derived: Bool
        }

        public var maxTokens: Int
        public var stages: [StageShape]

        public init(maxTokens: Int, stages: [StageShape]) {
            self.maxTokens = maxTokens
            self.stages = stages
        }

        /// The size of a proof whose entries all have width 0: header, one entry-section header
        /// and one round count per stage, and the sumcheck rounds (§6). Entries add
        /// `⌈T·N_s·w_s / 8⌉` bytes per stage.
        public var fixedBytes: Int {
            43 + stages.reduce(0) { $0 + 13 + 1 + 48 * Multilinear.variableCount($1.inner) }
        }

        /// `−log2 ε` for `tokens` tokens, where `ε = Σ_s (ℓN_s + ℓT + 2·ℓK_s) / p²` is the
        /// soundness error bound of §9 (`ℓX = ⌈log2 X⌉`, `p² > 2^127.99999`).
        public func soundnessBits(tokens: Int) -> Double {
            let lT = Multilinear.variableCount(tokens)
            let terms = stages.reduce(0) {
                $0 + Multilinear.variableCount($1.outputs) + lT + 2 * Multilinear.variableCount($1.inner)
            }
            return 2 * log2(Double(Goldilocks.modulus)) - log2(Double(max(terms, 1)))
        }
    }

    /// Reads the header only — magic, version, circuit id, token count — so a verifier can
    /// route or reject a proof before decoding (and allocating) its body.
    ///
    /// - Throws: `ProofsError` for a bad magic or version, truncation, or a token count
    ///   outside `[1, maxTokens]`.
    public static func decodeHeader(_ data: some DataProtocol, maxTokens: Int) throws(ProofsError)
        -> (circuitID: [UInt8], tokens: Int)
    {
        var r = Reader(bytes: [UInt8](data.prefix(42)))
        try r.header()
        let circuitID = try r.take(32, "circuit id")
        let tokens = Int(try r.u32("token count"))
        guard tokens >= 1, tokens <= maxTokens else {
            throw .tokenCountOutOfRange(got: tokens, max: maxTokens)
        }
        return (circuitID, tokens)
    }

    /// Decodes a proof against `shape`, checking every length, count, width and padding.
    ///
    /// - Throws: `ProofsError` naming the first malformed field. A wrong circuit id is *not*
    ///   thrown here; the verifier reports it as an invalid proof.
    public init(decoding data: some DataProtocol, shape: Shape) throws(ProofsError) {
        self = try ProofFormat.decode(data, shape: shape).proof
    }

    /// Decodes like `init(decoding:shape:)` and also returns each stage's entry section (width
    /// byte, offset, length, payload) exactly as it appears in `data`: the bytes the transcript absorbs
    /// (§4.2 step 7), so the verifier need not pack the entries again.
    static func decode(_ data: some DataProtocol, shape: Shape) throws(ProofsError)
        -> (proof: ProofFormat, sections: [ArraySlice<UInt8>])
    {
        guard data.count <= ProofFormat.maxProofBytes else {
            throw .proofTooLarge(got: data.count, limit: ProofFormat.maxProofBytes)
        }
        var r = Reader(bytes: [UInt8](data))
        try r.header()
        let circuitID = try r.take(32, "circuit id")
        let tokens = Int(try r.u32("token count"))
        guard tokens >= 1, tokens <= shape.maxTokens else {
            throw .tokenCountOutOfRange(got: tokens, max: shape.maxTokens)
        }
        let count = Int(try r.u8("stage count"))
        guard count == shape.stages.count else {
            throw .wrongCount(what: "stage count", got: count, want: shape.stages.count)
        }
        var stages: [Stage] = []
        var sections: [ArraySlice<UInt8>] = []
        for (i, s) in shape.stages.enumerated() {
            let sectionStart = r.offset
            let bits = Int(try r.u8("stage \(i) entry width"))
            guard bits <= ProofFormat.maxEntryBits else {
                throw .entryWidthOutOfRange(stage: i, got: bits)
            }
            let offset = Int64(bitPattern: try r.uint(8, "stage \(i) entry offset"))
            let entries = tokens * s.outputs
            let want = (entries * bits + 7) / 8
            let length = Int(try r.u32("stage \(i) entry length"))
            guard length == want else {
                throw .wrongCount(what: "stage \(i) entry length", got: length, want: want)
            }
            let payload = try r.slice(length, "stage \(i) entries")
            guard var values = ProofFormat.unpack(payload, count: entries, bits: bits) else {
                throw .nonzeroPadding(stage: i)
            }
            try ProofFormat.addOffset(offset, to: &values, bits: bits, stage: i)
            stages.append(Stage(entries: values))
            sections.append(r.bytes[sectionStart..<r.offset])
        }
        for (i, s) in shape.stages.enumerated() {
            let want = Multilinear.variableCount(s.inner)
            let got = Int(try r.u8("stage \(i) round count"))
            guard got == want else {
                throw .wrongCount(what: "stage \(i) sumcheck rounds", got: got, want: want)
            }
            for _ in 0..<got {
                let p0 = try r.ext()
                let p1 = try r.ext()
                let p2 = try r.ext()
                stages[i].rounds.append(.init(at0: p0, at1: p1, at2: p2))
            }
        }
        guard r.remaining == 0 else { throw .trailingBytes(count: r.remaining) }
        return (ProofFormat(circuitID: circuitID, tokens: tokens, stages: stages), sections)
    }

    /// Turns unpacked excesses into entries, checking the encoding is the canonical one (an
    /// excess of 0 exists; the widest excess needs all `bits`) and every entry is in range.
    static func addOffset(_ offset: Int64, to values: inout [Int64], bits: Int, stage: Int)
        throws(ProofsError)
    {
        var smallest = Int64.max
        var largest: Int64 = 0
        for u in values {
            smallest = min(smallest, u)
            largest = max(largest, u)
        }
        guard smallest == 0 else {
            throw .nonCanonicalEntries(stage: stage, reason: "no entry equals the offset")
        }
        guard 64 - UInt64(largest).leadingZeroBitCount == bits else {
            throw .nonCanonicalEntries(
                stage: stage, reason: "the width is not the least that holds every entry")
        }
        guard offset >= -entryLimit, offset < entryLimit - largest else {
            throw .nonCanonicalEntries(stage: stage, reason: "an entry is outside [-2^47, 2^47)")
        }
        for i in values.indices { values[i] += offset }
    }

    public init(circuitID: [UInt8], tokens: Int, stages: [Stage]) {
        self.circuitID = circuitID
        self.tokens = tokens
        self.stages = stages
    }

    /// A bounds-checked cursor over proof bytes.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var remaining: Int { bytes.count - offset }

        mutating func slice(_ n: Int, _ what: String) throws(ProofsError) -> ArraySlice<UInt8> {
            guard n >= 0, n <= remaining else {
                throw .truncatedProof(what: what, offset: offset, needed: n, available: remaining)
            }
            defer { offset += n }
            return bytes[offset..<(offset + n)]
        }

        mutating func take(_ n: Int, _ what: String) throws(ProofsError) -> [UInt8] {
            Array(try slice(n, what))
        }

        mutating func uint(_ n: Int, _ what: String) throws(ProofsError) -> UInt64 {
            var v: UInt64 = 0
            for b in try slice(n, what) { v = v << 8 | UInt64(b) }
            return v
        }

        mutating func u8(_ what: String) throws(ProofsError) -> UInt8 { UInt8(try uint(1, what)) }
        mutating func u32(_ what: String) throws(ProofsError) -> UInt32 { UInt32(try uint(4, what)) }

        mutating func field() throws(ProofsError) -> Goldilocks {
            let at = offset
            guard let f = Goldilocks(exactly: try uint(8, "field element")) else {
                throw .nonCanonicalFieldElement(offset: at)
            }
            return f
        }

        mutating func ext() throws(ProofsError) -> GoldilocksExt2 {
            let c0 = try field()
            return GoldilocksExt2(c0, try field())
        }

        mutating func header() throws(ProofsError) {
            let magic = try take(4, "magic")
            guard magic == ProofFormat.magic else { throw .badMagic }
            let version = try uint(2, "version")
            guard version == UInt64(ProofFormat.version) else {
                throw .unsupportedVersion(got: Int(version), want: Int(ProofFormat.version))
            }
        }
    }
}
