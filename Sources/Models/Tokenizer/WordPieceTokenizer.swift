import Foundation

/// BERT's WordPiece tokenizer (uncased), as configured for all-MiniLM-L6-v2.
///
/// Encoding: (1) normalise like HF `BertNormalizer` — drop NUL, U+FFFD and characters of
/// category C* other than tab/newline/CR, turn whitespace into spaces, surround CJK ideographs
/// with spaces, then (when `lowercase`) decompose to NFD, drop nonspacing marks (Mn) and
/// lowercase; (2) split like `BertPreTokenizer` — on whitespace, and every punctuation scalar
/// (ASCII punctuation or category P*) becomes its own word; (3) each word is split greedily into
/// the longest vocabulary prefixes, continuation pieces carrying the `##` prefix; a word longer
/// than 100 scalars or with no full split becomes `[UNK]`; (4) `[CLS]` … `[SEP]` around it all.
public struct WordPieceTokenizer: Sendable, Equatable {
    /// Vocabulary in id order (the lines of `vocab.txt`).
    public let vocabulary: [String]
    /// Whether text is lowercased and accent-stripped.
    public let lowercase: Bool
    public let unknownID: Int
    public let clsID: Int
    public let sepID: Int
    public let padID: Int

    /// Words longer than this many scalars become `[UNK]`.
    public static let maxInputCharsPerWord = 100

    private let idByToken: [String: Int]

    public static func == (a: Self, b: Self) -> Bool {
        a.vocabulary == b.vocabulary && a.lowercase == b.lowercase
    }

    /// Builds the tokenizer from a vocabulary in id order.
    ///
    /// - Throws: `.badTokenizer` when `[UNK]`, `[CLS]`, `[SEP]` or `[PAD]` is missing.
    public init(vocabulary: [String], lowercase: Bool = true) throws(ModelError) {
        var ids: [String: Int] = [:]
        for (id, t) in vocabulary.enumerated() where ids[t] == nil { ids[t] = id }
        func require(_ t: String) throws(ModelError) -> Int {
            guard let id = ids[t] else { throw .badTokenizer("vocabulary has no \(t)") }
            return id
        }
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self.idByToken = ids
        self.unknownID = try require("[UNK]")
        self.clsID = try require("[CLS]")
        self.sepID = try require("[SEP]")
        self.padID = try require("[PAD]")
    }

    /// Parses `vocab.txt` (one token per line, LF or CRLF; id = line number from 0).
    public init(vocabText: String, lowercase: Bool = true) throws(ModelError) {
        var lines = vocabText.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        try self.init(vocabulary: lines, lowercase: lowercase)
    }

    public var vocabularySize: Int { vocabulary.count }

    /// Token ids for `text`, with `[CLS]` first and `[SEP]` last when `addSpecialTokens`.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = addSpecialTokens ? [clsID] : []
        for word in preTokenize(normalize(text)) {
            ids.append(contentsOf: wordPiece(word))
        }
        if addSpecialTokens { ids.append(sepID) }
        return ids
    }

    /// The tokens joined with spaces, `##` continuations glued to their word, special tokens
    /// dropped when `skipSpecial`.
    ///
    /// - Throws: `.tokenOutOfRange` for an id outside the vocabulary.
    public func decode(_ ids: [Int], skipSpecial: Bool = true) throws(ModelError) -> String {
        var out = ""
        for id in ids {
            guard (0..<vocabulary.count).contains(id) else {
                throw .tokenOutOfRange(id: id, vocabularySize: vocabulary.count)
            }
            if skipSpecial, id == clsID || id == sepID || id == padID { continue }
            let t = vocabulary[id]
            if t.hasPrefix("##") {
                out += t.dropFirst(2)
            } else {
                if !out.isEmpty { out += " " }
                out += t
            }
        }
        return out
    }

    // MARK: Steps

    func normalize(_ text: String) -> [Unicode.Scalar] {
        var cleaned: [Unicode.Scalar] = []
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD { continue }
            let isTabOrNewline = s == "\t" || s == "\n" || s == "\r"
            if !isTabOrNewline, UnicodeClasses.isOther(s) { continue }
            if isTabOrNewline || s == " " || UnicodeClasses.isWhitespace(s) {
                cleaned.append(" ")
            } else if Self.isCJK(s) {
                cleaned.append(contentsOf: [" ", s, " "])
            } else {
                cleaned.append(s)
            }
        }
        guard lowercase else { return cleaned }
        let decomposed = String(String.UnicodeScalarView(cleaned)).decomposedStringWithCanonicalMapping
        var out: [Unicode.Scalar] = []
        for s in decomposed.unicodeScalars where !UnicodeClasses.isNonspacingMark(s) {
            let mapping = s.properties.lowercaseMapping
            out.append(contentsOf: mapping.unicodeScalars)
        }
        return out
    }

    func preTokenize(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in scalars {
            if UnicodeClasses.isWhitespace(s) {
                if !current.isEmpty { words.append(current) }
                current = []
            } else if Self.isBertPunctuation(s) {
                if !current.isEmpty { words.append(current) }
                words.append([s])
                current = []
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    func wordPiece(_ word: [Unicode.Scalar]) -> [Int] {
        guard word.count <= Self.maxInputCharsPerWord else { return [unknownID] }
        var pieces: [Int] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int? = nil
            while start < end {
                var piece = String(String.UnicodeScalarView(word[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = idByToken[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return [unknownID] }
            pieces.append(found)
            start = end
        }
        return pieces
    }

    static func isBertPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        {
            return true
        }
        return UnicodeClasses.isPunctuation(s)
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
