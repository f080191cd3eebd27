import Foundation
import Kernel

/// Small synthetic tokenizers and the seeded tiny models written by `model tiny`
/// (specs/model-package.md §7): packages for tests and demos that need no download.
public enum TinyPackage {
    /// The text the synthetic tokenizers are trained on.
    static let corpus = """
        The validator re-runs a shard of the model on a deterministic integer kernel and \
        compares the output hash with the hashes the nodes signed. Every node that ran the same \
        layers on the same input must report the same bits. The ledger records karma for honest \
        work and slashes nodes whose receipts do not match. Mesh is a peer to peer inference grid: \
        nodes download weight chunks, check each chunk against the Merkle root of the package, \
        and serve layers of the transformer to their peers. 0123456789
        """

    /// Byte values in the order a small vocabulary includes them: space, lowercase letters by
    /// English frequency, punctuation, digits, uppercase letters, then every other byte.
    static let bytePriority: [UInt8] = {
        let head = Array(" etaoinshrdlcumwfgypbvkjxqz.,'!?-:;0123456789ETAOINSHRDLCUMWFGYPBVKJXQZ\n".utf8)
        return head + (0...255).map { UInt8($0) }.filter { !head.contains($0) }
    }()

    /// A byte-level BPE tokenizer of exactly `vocabularySize` tokens (at least 2): the symbols of
    /// the first `min(256, vocabularySize - 1)` bytes of `bytePriority` (other bytes are dropped
    /// when encoding), then `<|endoftext|>` (control; BOS and EOS), then merges learnt from
    /// `corpus` by plain BPE training (the most frequent adjacent pair; ties to the smallest
    /// "left right" string by UTF-8 bytes), then `<unused_k>` tokens if the corpus runs out of
    /// pairs.
    public static func byteLevelTokenizer(vocabularySize: Int) throws(ModelError) -> ByteLevelBPETokenizer {
        guard vocabularySize >= 2 else {
            throw .badTokenizer("a byte-level vocabulary needs at least 2 tokens")
        }
        let bytes = Array(bytePriority.prefix(min(256, vocabularySize - 1)))
        var tokens = bytes.map { String(ByteAlphabet.scalar(for: $0)) }
        var types = [Int32](repeating: 1, count: tokens.count)
        let eos = tokens.count
        tokens.append("<|endoftext|>")
        types.append(3)
        let pre = GPT2PreTokenizer(isolateDigits: true)
        let included = Set(bytes)
        var words: [[String]] = pre.split(corpus).map { piece in
            piece.utf8.filter { included.contains($0) }.map { String(ByteAlphabet.scalar(for: $0)) }
        }
        var merges: [String] = []
        var known = Set(tokens)
        while tokens.count < vocabularySize {
            var counts: [String: (count: Int, left: String, right: String)] = [:]
            for w in words where w.count > 1 {
                for k in 0..<(w.count - 1) {
                    counts[w[k] + " " + w[k + 1], default: (0, w[k], w[k + 1])].count += 1
                }
            }
            let candidates = counts.filter { !known.contains($0.value.left + $0.value.right) }
            // Highest count; among equal counts the smallest key by UTF-8 bytes.
            guard
                let best = candidates.max(by: { a, b in
                    a.value.count != b.value.count
                        ? a.value.count < b.value.count
                        : Array(b.key.utf8).lexicographicallyPrecedes(Array(a.key.utf8))
                })
            else { break }
            let (l, r) = (best.value.left, best.value.right)
            merges.append(l + " " + r)
            tokens.append(l + r)
            types.append(1)
            known.insert(l + r)
            words = words.map { w in
                var out: [String] = []
                var k = 0
                while k < w.count {
                    if k + 1 < w.count, w[k] == l, w[k + 1] == r {
                        out.append(l + r)
                        k += 2
                    } else {
                        out.append(w[k])
                        k += 1
                    }
                }
                return out
            }
        }
        while tokens.count < vocabularySize {
            tokens.append("<unused_\(tokens.count)>")
            types.append(5)
        }
        return try ByteLevelBPETokenizer(
            tokens: tokens, merges: merges, tokenTypes: types, bosID: eos, eosID: eos, preTokenizer: pre)
    }

    /// A WordPiece vocabulary of exactly `vocabularySize` tokens (at least 5): `[PAD]`, `[UNK]`,
    /// `[CLS]`, `[SEP]`, `[MASK]`, then a–z, `##a`–`##z`, 0–9, some punctuation, then the
    /// corpus's lowercased words in order of first appearance, then `[unused_k]`; cut at
    /// `vocabularySize`.
    public static func wordPieceTokenizer(vocabularySize: Int) throws(ModelError) -> WordPieceTokenizer {
        guard vocabularySize >= 5 else {
            throw .badTokenizer("a WordPiece vocabulary needs at least 5 tokens")
        }
        var vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        var seen = Set(vocab)
        func add(_ t: String) {
            if seen.insert(t).inserted { vocab.append(t) }
        }
        for s in "abcdefghijklmnopqrstuvwxyz" { add(String(s)) }
        for s in "abcdefghijklmnopqrstuvwxyz" { add("##" + String(s)) }
        for s in "0123456789.,:;!?-'\"()" { add(String(s)) }
        let probe = try WordPieceTokenizer(vocabulary: vocab)
        for word in probe.preTokenize(probe.normalize(corpus)) { add(String(String.UnicodeScalarView(word))) }
        while vocab.count < vocabularySize { add("[unused_\(vocab.count)]") }
        return try WordPieceTokenizer(vocabulary: Array(vocab.prefix(vocabularySize)))
    }

    /// The kernel's seeded tiny model (`TinyModel.llama(seed:)` / `TinyModel.bert(seed:)`) and a
    /// synthetic tokenizer of the same vocabulary size.
    public static func make(_ architecture: Architecture, seed: UInt64) throws(ModelError) -> (
        QuantizedModel, Tokenizer
    ) {
        let model: QuantizedModel
        do {
            model = architecture == .llama ? try TinyModel.llama(seed: seed) : try TinyModel.bert(seed: seed)
        } catch {
            throw .kernel(error)
        }
        let v = model.config.vocabSize
        let tokenizer: Tokenizer =
            architecture == .llama
            ? .byteLevelBPE(try byteLevelTokenizer(vocabularySize: v))
            : .wordPiece(try wordPieceTokenizer(vocabularySize: v))
        return (model, tokenizer)
    }

    /// Writes the tiny model of `architecture` and `seed` as a package (4 KiB chunks, so even a
    /// tiny package has several chunks to verify).
    @discardableResult
    public static func write(
        architecture: Architecture, seed: UInt64, to directory: URL, chunkSize: Int = 4096
    ) throws(ModelError) -> PackageManifest {
        let (model, tokenizer) = try make(architecture, seed: seed)
        return try ModelPackage.write(
            model: model, tokenizer: tokenizer, name: "tiny-\(architecture.rawValue)-seed\(seed)",
            source: ["format": "tiny", "seed": String(seed)], to: directory, chunkSize: chunkSize)
    }
}
