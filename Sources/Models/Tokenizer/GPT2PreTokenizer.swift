/// The GPT-2 pre-tokenizer: splits text into pieces before byte-level BPE.
///
/// It implements, without a regex engine, the pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// over Unicode scalars: at each position the first alternative that matches wins, each run
/// greedy. With `isolateDigits` (the `smollm`/`starcoder` variants of llama.cpp, HF's
/// `Digits(individual_digits=True)` before `ByteLevel`), every `\p{N}` scalar is first split off
/// as its own piece and the pattern runs within the pieces between them. Pieces concatenate back
/// to the input exactly.
public struct GPT2PreTokenizer: Sendable, Equatable {
    /// Whether each number scalar is split off before the GPT-2 pattern runs.
    public let isolateDigits: Bool

    public init(isolateDigits: Bool) {
        self.isolateDigits = isolateDigits
    }

    /// Splits `text` into pieces (each non-empty, in order, concatenating to `text`).
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [String] = []
        if isolateDigits {
            var start = 0
            for i in 0..<scalars.count where UnicodeClasses.isNumber(scalars[i]) {
                if start < i { splitGPT2(scalars[start..<i], into: &pieces) }
                pieces.append(String(String.UnicodeScalarView(scalars[i...i])))
                start = i + 1
            }
            if start < scalars.count { splitGPT2(scalars[start...], into: &pieces) }
        } else {
            splitGPT2(scalars[...], into: &pieces)
        }
        return pieces
    }

    private func splitGPT2(_ s: ArraySlice<Unicode.Scalar>, into pieces: inout [String]) {
        var i = s.startIndex
        let end = s.endIndex
        func isSpace(_ k: Int) -> Bool { UnicodeClasses.isWhitespace(s[k]) }
        func isL(_ k: Int) -> Bool { UnicodeClasses.isLetter(s[k]) }
        func isN(_ k: Int) -> Bool { UnicodeClasses.isNumber(s[k]) }
        func isOther(_ k: Int) -> Bool { !isSpace(k) && !isL(k) && !isN(k) }
        while i < end {
            let stop = matchLength(at: i)
            pieces.append(String(String.UnicodeScalarView(s[i..<stop])))
            i = stop
        }

        // Returns the end of the match starting at `i` (always > i).
        func matchLength(at i: Int) -> Int {
            // 'Contractions (case-sensitive, as in GPT-2).
            if s[i] == "'", i + 1 < end {
                let c = s[i + 1]
                if c == "s" || c == "t" || c == "m" || c == "d" { return i + 2 }
                if i + 2 < end {
                    let c2 = s[i + 2]
                    if (c == "r" && c2 == "e") || (c == "v" && c2 == "e") || (c == "l" && c2 == "l") {
                        return i + 3
                    }
                }
            }
            // ` ?X+` for X in letters, numbers, other.
            let hasSpace = s[i] == " "
            let first = hasSpace ? i + 1 : i
            if first < end {
                for cls in [isL, isN, isOther] where cls(first) {
                    var j = first + 1
                    while j < end, cls(j) { j += 1 }
                    return j
                }
            }
            // `\s+(?!\S)` then `\s+`.
            if isSpace(i) {
                var j = i + 1
                while j < end, isSpace(j) { j += 1 }
                if j == end { return j }
                if j - 1 > i { return j - 1 }
                return j
            }
            // Unreachable: every scalar is space, letter, number or other; kept total anyway.
            return i + 1
        }
    }
}
