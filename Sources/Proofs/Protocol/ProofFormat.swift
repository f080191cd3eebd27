import Foundation

/// The binary proof, version 1 (specs/proofs.md §6). Integers are big-endian.
///
/// ```
/// magic "MVPF" (4) ‖ version u16 = 1 ‖ circuitID (32) ‖ tokens u32 ‖ stageCount u8
/// for each stage s:   accumulatorBits u8 (1...48) ‖ payloadLength u32 ‖ packed accumulator
/// for each stage s:   roundCount u8 ‖ roundCount × (p(0) ‖ p(1) ‖ p(2)), each u64 c0 ‖ u64 c1
/// ```
/// The packed accumulator holds the T·m entries (row-major, token-major) as `accumulatorBits`-bit
/// two's complement numbers in one little-endian bit stream (entry e occupies bits
/// [e·w, (e+1)·w), bit b of the stream is bit (b mod 8) of byte ⌊b/8⌋); the unused high bits
/// of the last byte are zero. Field coordinates must be canonical (< p). Nothing follows.
public struct ProofFormat: Sendable, Equatable {
    public static let magic: [UInt8] = Array("MVPF".utf8)
    public static let version: UInt16 = 1
    /// Widest accumulator entry (bits). Entries are below 2^47 in magnitude, so a claimed and a
    /// true accumulator that differ as integers also differ modulo p.
    public static let maxAccumulatorBits = 48
    /// Largest proof any verifier reads (64 MiB).
    public static let maxProofBytes = 64 << 20

    /// The per-stage payload.
    public struct Stage: Sendable, Equatable {
        /// Bits per packed accumulator entry.
        public var accumulatorBits: Int
        /// The accumulator, row-major T × m.
        public var accumulator: [Int64]
        /// Sumcheck rounds (⌈log2 n⌉ of them).
        public var rounds: [ProductSumcheck.RoundPolynomial]
    }

    public var circuitID: [UInt8]
    public var tokens: Int
    public var stages: [Stage]

    /// The least width w in [1, 48] holding every value as w-bit two's complement, or nil.
    public static func minimalBits(_ values: [Int64]) -> Int? {
        var w = 1
        for v in values {
            let need = 65 - (v < 0 ? (~v).leadingZeroBitCount : v.leadingZeroBitCount)
            w = max(w, need)
        }
        return w <= maxAccumulatorBits ? w : nil
    }

    /// Packs `values` as `bits`-bit two's complement into a little-endian bit stream
    /// (`1 ≤ bits ≤ 48`; each value is truncated to its low `bits` bits).
    static func pack(_ values: [Int64], bits: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((values.count * bits + 7) / 8)
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        // `buffer` holds `pending < 8` bits before each value, so `pending + bits ≤ 55 < 64`.
        var buffer: UInt64 = 0
        var pending = 0
        for v in values {
            buffer |= (UInt64(bitPattern: v) & mask) << UInt64(pending)
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

    /// Unpacks `count` entries of `bits` bits (`1 ≤ bits ≤ 48`, sign-extended). Requires
    /// `bytes.count == ⌈count·bits/8⌉`; returns nil if the padding bits are not zero.
    ///
    /// Entry e starts at stream bit `e·bits`, inside byte `⌊e·bits/8⌋` at bit offset `< 8`, so
    /// the 8 bytes from there hold all of it (`7 + 48 < 64`); the last few entries read the
    /// bytes that remain, zero-extended.
    static func unpack(_ bytes: ArraySlice<UInt8>, count: Int, bits: Int) -> [Int64]? {
        guard bytes.count == (count * bits + 7) / 8 else { return nil }
        var out = [Int64](repeating: 0, count: count)
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        let signShift = UInt64(64 - bits)
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
                    let u = (word >> UInt64(bitPos & 7)) & mask
                    o[e] = Int64(bitPattern: u << signShift) >> Int64(signShift)
                }
            }
        }
        let used = (count * bits) & 7
        if used != 0, let last = bytes.last, last >> UInt8(used) != 0 { return nil }
        return out
    }

    /// The accumulator section of stage `s` exactly as it appears in the proof (width byte,
    /// length, packed payload): the bytes the transcript absorbs.
    static func accumulatorSection(_ stage: Stage) -> [UInt8] {
        let payload = pack(stage.accumulator, bits: stage.accumulatorBits)
        var out: [UInt8] = [UInt8(stage.accumulatorBits)]
        out += Transcript.bigEndian(UInt32(payload.count))
        out += payload
        return out
    }

    /// The encoded proof.
    public func encoded() -> Data {
        var out = ProofFormat.magic
        out += Transcript.bigEndian(ProofFormat.version)
        out += circuitID
        out += Transcript.bigEndian(UInt32(tokens))
        out.append(UInt8(stages.count))
        for s in stages { out += ProofFormat.accumulatorSection(s) }
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

    /// What the decoder needs from the circuit: each stage's output count m and inner size n.
    public struct Shape: Sendable, Equatable {
        public var maxTokens: Int
        public var stages: [(outputs: Int, inner: Int)]

        public init(maxTokens: Int, stages: [(outputs: Int, inner: Int)]) {
            self.maxTokens = maxTokens
            self.stages = stages
        }

        public static func == (a: Shape, b: Shape) -> Bool {
            a.maxTokens == b.maxTokens && a.stages.elementsEqual(b.stages, by: { $0 == $1 })
        }
    }

    /// Reads the header only: magic, version, circuit id (to route or reject before decoding).
    public static func decodeCircuitID(_ data: some DataProtocol) throws(ProofsError) -> [UInt8] {
        var r = Reader(bytes: [UInt8](data.prefix(38)))
        try r.header()
        return try r.take(32, "circuit id")
    }

    /// Decodes a proof against `shape`, checking every length, count, width and padding.
    ///
    /// - Throws: `ProofsError` naming the first malformed field. A wrong circuit id is *not*
    ///   thrown here; the verifier reports it as an invalid proof.
    public init(decoding data: some DataProtocol, shape: Shape) throws(ProofsError) {
        self = try ProofFormat.decode(data, shape: shape).proof
    }

    /// Decodes like `init(decoding:shape:)` and also returns each stage's accumulator section
    /// (width byte, length, payload) exactly as it appears in `data`: the bytes the transcript
    /// absorbs (§4.2 step 7), so the verifier need not pack the accumulators again.
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
            let bits = Int(try r.u8("stage \(i) accumulator width"))
            guard bits >= 1, bits <= ProofFormat.maxAccumulatorBits else {
                throw .accumulatorWidthOutOfRange(stage: i, got: bits)
            }
            let entries = tokens * s.outputs
            let want = (entries * bits + 7) / 8
            let length = Int(try r.u32("stage \(i) accumulator length"))
            guard length == want else {
                throw .wrongCount(what: "stage \(i) accumulator length", got: length, want: want)
            }
            let payload = try r.slice(length, "stage \(i) accumulator")
            guard let values = ProofFormat.unpack(payload, count: entries, bits: bits) else {
                throw .nonzeroPadding(stage: i)
            }
            stages.append(Stage(accumulatorBits: bits, accumulator: values, rounds: []))
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
