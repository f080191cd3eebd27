import Foundation
import Testing

@testable import Models

/// The SmolLM2 tokenizer from the committed copy of its GGUF metadata.
func smolLM2Tokenizer() throws -> ByteLevelBPETokenizer {
    let json = try ModelFixtures.json("smollm2-tokenizer.json")
    let tokens = try #require(json["tokens"] as? [String])
    let merges = try #require(json["merges"] as? [String])
    let types = try #require(json["token_types"] as? [Int]).map { Int32($0) }
    return try ByteLevelBPETokenizer(
        tokens: tokens, merges: merges, tokenTypes: types, bosID: json["bos_id"] as? Int,
        eosID: json["eos_id"] as? Int, preTokenizer: GPT2PreTokenizer(isolateDigits: true))
}

func vectorCases(_ name: String) throws -> [(text: String, ids: [Int])] {
    let json = try ModelFixtures.json(name)
    let cases = try #require(json["cases"] as? [[String: Any]])
    return try cases.map { c in (try #require(c["text"] as? String), try #require(c["ids"] as? [Int])) }
}

@Suite("tokenizers")
struct TokenizerTests {
    @Test("SmolLM2 byte-level BPE ids equal Hugging Face tokenizers; text round-trips")
    func smolLM2() throws {
        let tokenizer = try smolLM2Tokenizer()
        #expect(tokenizer.vocabularySize == 49152)
        for c in try vectorCases("smollm2-tokenizer-vectors.json") {
            let ids = tokenizer.encode(c.text)
            #expect(ids == c.ids, "\(c.text.debugDescription)")
            #expect(try tokenizer.decode(ids) == c.text)
        }
    }

    @Test("GPT-2 pre-tokenizer splits like the reference pattern")
    func preTokenizer() {
        let gpt2 = GPT2PreTokenizer(isolateDigits: false)
        #expect(gpt2.split("Hello world") == ["Hello", " world"])
        #expect(gpt2.split("I'm here's") == ["I", "'m", " here", "'s"])
        #expect(gpt2.split("a  b") == ["a", " ", " b"])
        #expect(gpt2.split("a\n\nb") == ["a", "\n", "\n", "b"])
        #expect(gpt2.split("x   ") == ["x", "   "])
        #expect(gpt2.split("abc123 456!?") == ["abc", "123", " 456", "!?"])
        let smol = GPT2PreTokenizer(isolateDigits: true)
        #expect(smol.split("abc123 456") == ["abc", "1", "2", "3", " ", "4", "5", "6"])
        #expect(smol.split("") == [])
    }

    @Test("byte-level decode of arbitrary bytes and out-of-range ids")
    func bpeEdges() throws {
        let tokenizer = try smolLM2Tokenizer()
        let text = "\u{0}\u{1}\u{7F} \u{80}\u{FFFF}"
        #expect(try tokenizer.decode(tokenizer.encode(text)) == text)
        // Byte 0x04 has no token in SmolLM2's vocabulary: it is dropped, like llama.cpp does.
        #expect(try tokenizer.decode(tokenizer.encode("a\u{4}b")) == "ab")
        #expect(throws: ModelError.tokenOutOfRange(id: 49152, vocabularySize: 49152)) {
            try tokenizer.decode([49152])
        }
        #expect(try tokenizer.decode([1, 2], skipSpecial: true) == "")
        #expect(tokenizer.encode("<|im_start|>", parseSpecial: false).count > 1)
    }

    @Test("a broken vocabulary is rejected")
    func badVocabulary() {
        #expect(throws: ModelError.badTokenizer("no token for any byte")) {
            try ByteLevelBPETokenizer(
                tokens: ["hello"], merges: [], tokenTypes: nil, bosID: nil, eosID: nil,
                preTokenizer: .init(isolateDigits: false))
        }
        let bytes = (0..<256).map { String(ByteAlphabet.scalar(for: UInt8($0))) }
        #expect(throws: ModelError.badTokenizer("merge 0 \"a q\" does not join two tokens into a token")) {
            try ByteLevelBPETokenizer(
                tokens: bytes, merges: ["a q"], tokenTypes: nil, bosID: nil, eosID: nil,
                preTokenizer: .init(isolateDigits: false))
        }
    }

    @Test("MiniLM WordPiece ids equal Hugging Face tokenizers")
    func miniLM() throws {
        let vocab = String(decoding: try ModelFixtures.data("minilm-vocab.txt"), as: UTF8.self)
        let tokenizer = try WordPieceTokenizer(vocabText: vocab)
        #expect(tokenizer.vocabularySize == 30522)
        #expect(tokenizer.clsID == 101 && tokenizer.sepID == 102 && tokenizer.unknownID == 100)
        for c in try vectorCases("minilm-tokenizer-vectors.json") {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.text.debugDescription)")
        }
        #expect(try tokenizer.decode(tokenizer.encode("The quick brown fox.")) == "the quick brown fox .")
        #expect(throws: ModelError.badTokenizer("vocabulary has no [UNK]")) {
            try WordPieceTokenizer(vocabulary: ["a"])
        }
    }
}
