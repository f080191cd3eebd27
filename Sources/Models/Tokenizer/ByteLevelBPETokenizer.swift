/// GPT-2 style byte-level BPE, built from a vocabulary and a ranked merge list (as stored in
/// GGUF metadata `tokenizer.ggml.tokens` / `.merges` / `.token_type`).
///
/// Encoding: (1) when `parseSpecial`, literal occurrences of control and user-defined tokens are
/// cut out first (longest match at the leftmost position) and emitted as their ids; (2) each
/// remaining stretch is split by `GPT2PreTokenizer`; (3) each piece's UTF-8 bytes are mapped to
/// the GPT-2 byte alphabet (printable Latin-1 stays, other bytes map to U+0100 + k in byte
/// order), bytes whose symbol is not in the vocabulary are dropped; (4) adjacent symbols are merged, always the pair with the lowest merge rank
/// (leftmost on ties), until no ranked pair remains. Decoding inverts (3).
public struct ByteLevelBPETokenizer: Sendable, Equatable {
    /// GGUF token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Token strings in the byte alphabet, indexed by id.
    public let tokens: [String]
    /// Merges in rank order, each "left right".
    public let merges: [String]
    /// Token types by id (raw GGUF codes; 1 when absent).
    public let tokenTypes: [Int32]
    /// Beginning- and end-of-sequence ids, when the model defines them.
    public let bosID: Int?
    public let eosID: Int?
    /// The pre-tokenizer in use.
    public let preTokenizer: GPT2PreTokenizer

    private let idByToken: [String: Int]
    private let mergeTable: [UInt64: MergeEntry]
    private let byteTokenID: [Int?]  // 256 entries; nil: byte has no token
    private let specials: [(scalars: [Unicode.Scalar], id: Int)]

    private struct MergeEntry: Equatable {
        let rank: Int
        let result: Int
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.tokens == b.tokens && a.merges == b.merges && a.tokenTypes == b.tokenTypes && a.bosID == b.bosID
            && a.eosID == b.eosID && a.preTokenizer == b.preTokenizer
    }

    /// Builds the tokenizer.
    ///
    /// - Throws: `.badTokenizer` when a byte of the alphabet has no token, a merge is not two
    ///   known tokens whose concatenation is a token, types and tokens differ in length, or a
    ///   special id is out of range.
    public init(
        tokens: [String], merges: [String], tokenTypes: [Int32]?, bosID: Int?, eosID: Int?,
        preTokenizer: GPT2PreTokenizer
    ) throws(ModelError) {
        let types = tokenTypes ?? [Int32](repeating: TokenType.normal.rawValue, count: tokens.count)
        guard types.count == tokens.count else {
            throw .badTokenizer("\(types.count) token types for \(tokens.count) tokens")
        }
        var idByToken: [String: Int] = [:]
        idByToken.reserveCapacity(tokens.count)
        for (id, t) in tokens.enumerated() where idByToken[t] == nil { idByToken[t] = id }
        // Bytes without a token (SmolLM2 lacks 21, e.g. 0xC0 which never occurs in UTF-8) are
        // dropped when encoding, as llama.cpp and HF tokenizers (without an unknown token) do.
        let byteIDs: [Int?] = (0..<256).map { idByToken[String(ByteAlphabet.scalar(for: UInt8($0)))] }
        guard byteIDs.contains(where: { $0 != nil }) else { throw .badTokenizer("no token for any byte") }
        var table: [UInt64: MergeEntry] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let l = idByToken[String(parts[0])], let r = idByToken[String(parts[1])],
                let m = idByToken[String(parts[0]) + String(parts[1])]
            else { throw .badTokenizer("merge \(rank) \"\(merge)\" does not join two tokens into a token") }
            let key = UInt64(l) << 32 | UInt64(r)
            if table[key] == nil { table[key] = MergeEntry(rank: rank, result: m) }
        }
        for (name, id) in [("bos", bosID), ("eos", eosID)] {
            if let id, !(0..<tokens.count).contains(id) {
                throw .badTokenizer("\(name) id \(id) is outside the vocabulary")
            }
        }
        var specials: [(scalars: [Unicode.Scalar], id: Int)] = []
        for (id, t) in tokens.enumerated()
        where (types[id] == TokenType.control.rawValue || types[id] == TokenType.userDefined.rawValue)
            && !t.isEmpty
        {
            specials.append((Array(t.unicodeScalars), id))
        }
        // Longest first, then lowest id, so the first hit at a position is the longest match.
        specials.sort { ($0.scalars.count, -$0.id) > ($1.scalars.count, -$1.id) }
        self.tokens = tokens
        self.merges = merges
        self.tokenTypes = types
        self.bosID = bosID
        self.eosID = eosID
        self.preTokenizer = preTokenizer
        self.idByToken = idByToken
        self.mergeTable = table
        self.byteTokenID = byteIDs
        self.specials = specials
    }

    /// Number of tokens.
    public var vocabularySize: Int { tokens.count }

    /// Token ids for `text` (no BOS is added; prepend `bosID` yourself when a model wants it).
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int] {
        var ids: [Int] = []
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var i = 0
        if parseSpecial, !specials.isEmpty {
            while i < scalars.count {
                if let hit = special(at: i, in: scalars) {
                    if start < i { encodeText(scalars[start..<i], into: &ids) }
                    ids.append(hit.id)
                    i += hit.length
                    start = i
                } else {
                    i += 1
                }
            }
        }
        if start < scalars.count { encodeText(scalars[start...], into: &ids) }
        return ids
    }

    private func special(at i: Int, in scalars: [Unicode.Scalar]) -> (id: Int, length: Int)? {
        for s in specials where s.scalars.first == scalars[i] && i + s.scalars.count <= scalars.count {
            if scalars[i..<(i + s.scalars.count)].elementsEqual(s.scalars) { return (s.id, s.scalars.count) }
        }
        return nil
    }

    private func encodeText(_ scalars: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        let text = String(String.UnicodeScalarView(scalars))
        for piece in preTokenizer.split(text) {
            ids.append(contentsOf: bpe(Array(piece.utf8)))
        }
    }

    /// Applies the merges to one piece's bytes.
    func bpe(_ bytes: [UInt8]) -> [Int] {
        var symbols = bytes.compactMap { byteTokenID[Int($0)] }
        while symbols.count > 1 {
            var best: (rank: Int, index: Int, result: Int)? = nil
            for k in 0..<(symbols.count - 1) {
                let key = UInt64(symbols[k]) << 32 | UInt64(symbols[k + 1])
                if let e = mergeTable[key], e.rank < (best?.rank ?? Int.max) {
                    best = (e.rank, k, e.result)
                }
            }
            guard let best else { break }
            symbols[best.index] = best.result
            symbols.remove(at: best.index + 1)
        }
        return symbols
    }

    /// The bytes that `ids` stand for: control and user-defined tokens contribute their text as
    /// UTF-8 (control tokens are dropped when `skipSpecial`), other tokens are mapped back
    /// through the byte alphabet.
    ///
    /// - Throws: `.tokenOutOfRange` for an id outside the vocabulary.
    public func decodeBytes(_ ids: [Int], skipSpecial: Bool = false) throws(ModelError) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            guard (0..<tokens.count).contains(id) else {
                throw .tokenOutOfRange(id: id, vocabularySize: tokens.count)
            }
            let type = tokenTypes[id]
            if type == TokenType.control.rawValue {
                if !skipSpecial { out.append(contentsOf: tokens[id].utf8) }
                continue
            }
            if type == TokenType.userDefined.rawValue {
                out.append(contentsOf: tokens[id].utf8)
                continue
            }
            for s in tokens[id].unicodeScalars {
                if let b = ByteAlphabet.byte(for: s) {
                    out.append(b)
                } else {
                    out.append(contentsOf: String(s).utf8)
                }
            }
        }
        return out
    }

    /// The text that `ids` stand for (invalid UTF-8, e.g. a cut multi-byte character, becomes
    /// U+FFFD).
    public func decode(_ ids: [Int], skipSpecial: Bool = false) throws(ModelError) -> String {
        String(decoding: try decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    /// The id of an exact token string, if any.
    public func id(of token: String) -> Int? { idByToken[token] }
}

/// GPT-2's reversible map between bytes and printable Unicode scalars.
///
/// Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF map to the scalar of the same value; the other 68
/// bytes, in increasing order, map to U+0100, U+0101, ….
enum ByteAlphabet {
    static let table: [Unicode.Scalar] = {
        var out = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                out[b] = Unicode.Scalar(UInt8(b))
            } else {
                out[b] = Unicode.Scalar(next) ?? "\0"
                next += 1
            }
        }
        return out
    }()

    static let inverse: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in table.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    static func scalar(for byte: UInt8) -> Unicode.Scalar { table[Int(byte)] }
    static func byte(for scalar: Unicode.Scalar) -> UInt8? { inverse[scalar.value] }
}
