/// A model's tokenizer: byte-level BPE (Llama-family GGUF models) or WordPiece (BERT).
public enum Tokenizer: Sendable, Equatable {
    case byteLevelBPE(ByteLevelBPETokenizer)
    case wordPiece(WordPieceTokenizer)

    /// Token ids for `text`. BPE: no BOS, control tokens written literally are recognised.
    /// WordPiece: wrapped in `[CLS]` … `[SEP]`.
    public func encode(_ text: String) -> [Int] {
        switch self {
        case .byteLevelBPE(let t): return t.encode(text)
        case .wordPiece(let t): return t.encode(text)
        }
    }

    /// The text for `ids` (special tokens kept for BPE, dropped for WordPiece).
    ///
    /// - Throws: `.tokenOutOfRange` for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws(ModelError) -> String {
        switch self {
        case .byteLevelBPE(let t): return try t.decode(ids)
        case .wordPiece(let t): return try t.decode(ids)
        }
    }

    public var vocabularySize: Int {
        switch self {
        case .byteLevelBPE(let t): return t.vocabularySize
        case .wordPiece(let t): return t.vocabularySize
        }
    }

    /// End-of-sequence id (BPE models that define one), where generation stops.
    public var eosID: Int? {
        if case .byteLevelBPE(let t) = self { return t.eosID }
        return nil
    }

    /// Beginning-of-sequence id, when defined.
    public var bosID: Int? {
        if case .byteLevelBPE(let t) = self { return t.bosID }
        return nil
    }

    /// The kind name stored in packages: `byte_level_bpe` or `wordpiece`.
    public var kind: String {
        switch self {
        case .byteLevelBPE: return "byte_level_bpe"
        case .wordPiece: return "wordpiece"
        }
    }

    // MARK: Package serialization (specs/model-package.md §3.3)

    /// The tokenizer section: canonical JSON.
    ///
    /// - `byte_level_bpe`: `{"bos_id": n|null, "eos_id": n|null, "kind", "merges": [s],
    ///   "pre": "gpt2"|"gpt2_digits", "token_types": [n], "tokens": [s]}`
    /// - `wordpiece`: `{"kind", "lowercase": b, "vocab": [s]}`
    public func canonicalJSON() -> CanonicalJSON {
        switch self {
        case .byteLevelBPE(let t):
            return .object([
                "kind": .string(kind),
                "tokens": .array(t.tokens.map { .string($0) }),
                "token_types": .array(t.tokenTypes.map { .int(Int64($0)) }),
                "merges": .array(t.merges.map { .string($0) }),
                "bos_id": t.bosID.map { .int(Int64($0)) } ?? .null,
                "eos_id": t.eosID.map { .int(Int64($0)) } ?? .null,
                "pre": .string(t.preTokenizer.isolateDigits ? "gpt2_digits" : "gpt2"),
            ])
        case .wordPiece(let t):
            return .object([
                "kind": .string(kind),
                "vocab": .array(t.vocabulary.map { .string($0) }),
                "lowercase": .bool(t.lowercase),
            ])
        }
    }

    /// Rebuilds a tokenizer from its section.
    ///
    /// - Throws: `.badManifest` for a wrong shape, `.badTokenizer` for inconsistent contents.
    public init(canonicalJSON json: CanonicalJSON) throws(ModelError) {
        let path = "tokenizer"
        switch try json.string("kind", in: path) {
        case "byte_level_bpe":
            func optionalID(_ key: String) throws(ModelError) -> Int? {
                switch try json.field(key, in: path) {
                case .null: return nil
                case .int(let v): return Int(exactly: v)
                default: throw .badManifest("\(path).\(key) is not an integer or null")
                }
            }
            let pre: GPT2PreTokenizer
            switch try json.string("pre", in: path) {
            case "gpt2": pre = GPT2PreTokenizer(isolateDigits: false)
            case "gpt2_digits": pre = GPT2PreTokenizer(isolateDigits: true)
            case let other: throw .badTokenizer("unknown pre-tokenizer \(other)")
            }
            var types: [Int32] = []
            for v in try json.intArray("token_types", in: path) {
                guard let t = Int32(exactly: v) else {
                    throw .badManifest("\(path).token_types out of range")
                }
                types.append(t)
            }
            self = .byteLevelBPE(
                try ByteLevelBPETokenizer(
                    tokens: try json.stringArray("tokens", in: path),
                    merges: try json.stringArray("merges", in: path), tokenTypes: types,
                    bosID: try optionalID("bos_id"), eosID: try optionalID("eos_id"), preTokenizer: pre))
        case "wordpiece":
            self = .wordPiece(
                try WordPieceTokenizer(
                    vocabulary: try json.stringArray("vocab", in: path),
                    lowercase: try json.bool("lowercase", in: path)))
        case let other:
            throw .badTokenizer("unknown tokenizer kind \(other)")
        }
    }
}
