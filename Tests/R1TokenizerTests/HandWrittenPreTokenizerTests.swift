// GGUFs carrying the pre-tokenizer names llama.cpp splits by hand or runs without GPT-2's byte encoding (kimi-k2,
// afmoe, gemma4, granite-embed-multi-311m, sarvam-moe, whitespace) tokenize id for id as llama.cpp 0c1e57098bba does
// (fixtures: scripts/fixtures/make_handwritten_pretokenizer_ggufs.py); malformed raw UTF-8 vocabularies are errors.
import Foundation
import R1Formats
import Testing
@testable import R1Tokenizer

@Suite struct HandWrittenPreTokenizerTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers/gguf-pre-handwritten").path

    @Test func ggufsTokenizeAsLlamaCpp() throws {
        let expected = try JSONValue.load(path: Self.folder + "/expected.json")
        let probes = (expected["probes"]?.array ?? []).compactMap { $0.string }
        #expect(probes.count == 20)
        let files = try #require(expected["files"]?.array)
        #expect(files.count == 7)
        for f in files {
            let name = try #require(f["file"]?.string)
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: Self.folder + "/" + name))
            for (i, text) in probes.enumerated() {
                let want = try #require(f["ids"]?.array?[i].intOrList)
                #expect(tokenizer.encode(text) == want, "\(name): \(text.debugDescription)")
            }
            for (i, want) in (f["ids_special"]?.array ?? []).enumerated() {
                #expect(tokenizer.encode(probes[i], addSpecialTokens: true) == want.intOrList, "\(name) with BOS: \(i)")
            }
        }
    }

    /// Thousands of random texts against llama.cpp, when `make_handwritten_pretokenizer_ggufs.py --broad N` wrote them
    /// (R1_TOKENIZER_BROAD=scripts/fixtures/work/handwritten-broad.json); CI has no Python, so it skips.
    @Test func randomTextsTokenizeAsLlamaCpp() throws {
        guard let path = ProcessInfo.processInfo.environment["R1_TOKENIZER_BROAD"] else { return }
        let broad = try JSONValue.load(path: path)
        let texts = (broad["texts"]?.array ?? []).compactMap { $0.string }
        for f in try #require(broad["files"]?.array) {
            let name = try #require(f["file"]?.string)
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: name.hasPrefix("/") ? name : Self.folder + "/" + name))
            var mismatches = 0
            for (i, text) in texts.enumerated() {
                let want = try #require(f["ids"]?.array?[i].intOrList)
                let got = tokenizer.encode(text)
                if got != want {
                    mismatches += 1
                    if mismatches <= 3 { Issue.record("\(name): \(text.debugDescription) -> \(got), llama.cpp \(want)") }
                }
            }
            #expect(mismatches == 0, "\(name): \(mismatches) of \(texts.count) random texts differ")
        }
    }

    /// llama.cpp's own golden files for its real Gemma 4 vocabulary (262,144 tokens, 514,906 merges), when
    /// R1_LLAMA_CPP_MODELS names llama.cpp's models/ folder (ggml-vocab-gemma-4.gguf, .inp, .out; 16 MB, not committed).
    @Test func llamaCppGemma4Goldens() throws {
        guard let models = ProcessInfo.processInfo.environment["R1_LLAMA_CPP_MODELS"] else { return }
        let path = models + "/ggml-vocab-gemma-4.gguf"
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
        let texts = try String(contentsOfFile: path + ".inp", encoding: .utf8).components(separatedBy: "\n__ggml_vocab_test__\n")
        let outs = try String(contentsOfFile: path + ".out", encoding: .utf8).components(separatedBy: "\n")
        #expect(texts.count == 46)
        for (i, text) in texts.enumerated() {
            let ids = outs[i].split(separator: " ").map { Int($0)! }
            #expect(tokenizer.encode(text) == ids, "\(text.debugDescription)")
            if !text.contains("▁") { #expect(tokenizer.decode(ids) == text, "\(text.debugDescription)") }
        }
        #expect(tokenizer.addBosToken && tokenizer.bosId == 2)
    }

    @Test func rawVocabulariesDecodeTheirText() throws {
        for name in ["sentencepiece--gemma4.gguf", "sentencepiece--sarvam-moe.gguf"] {
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: Self.folder + "/" + name))
            for text in ["Hello  world\n\n\nZz quick 中文 😀 e\u{301}", " leading", "tabs\tand\r\nlines "] {
                #expect(tokenizer.decode(tokenizer.encode(text)) == text, "\(name): \(text.debugDescription)")
            }
            // Byte tokens stream: a character split over <0xNN> tokens comes out whole.
            var stream = tokenizer.makeStreamingDecoder()
            let pieces = tokenizer.encode("𝄞 x").map { stream.feed($0) } + [stream.flush()]
            #expect(pieces.joined() == "𝄞 x" && pieces.count > 4 && pieces.allSatisfy { !$0.contains("\u{FFFD}") })
            #expect(tokenizer.tokenString(4 + 0x41) == "<0x41>")
            #expect(tokenizer.decode([4 + 0xE4, 4 + 0xB8, 4 + 0xAD]) == "中")
        }
        let gemma = try Tokenizer(gguf: try GGUFFile(path: Self.folder + "/sentencepiece--gemma4.gguf"))
        #expect(gemma.addBosToken && gemma.bosId == 2)
        let sarvam = try Tokenizer(gguf: try GGUFFile(path: Self.folder + "/sentencepiece--sarvam-moe.gguf"))
        #expect(!sarvam.addBosToken)
    }

    // MARK: - Splitters

    private func pieces(_ splitter: HandWrittenSplit, _ text: String) -> [String] {
        let scalars = ScalarText(utf8: Array(text.utf8))
        var out: [Range<Int>] = []
        splitter.split(0..<scalars.count, in: scalars, into: &out)
        return out.map { String(decoding: scalars.utf8[scalars.byteRange($0)], as: UTF8.self) }
    }

    @Test func kimiK2Pieces() {
        // Han runs alone; other letters run on across case and take one leading non-letter and a contraction.
        #expect(pieces(.kimiK2, "中文abc混合") == ["中文", "abc", "混合"])
        #expect(pieces(.kimiK2, "HelloWorld's 12345 DON'T") == ["HelloWorld's", " ", "123", "45", " DON'T"])
        #expect(pieces(.kimiK2, "カタカナ한국어") == ["カタカナ한국어"])
        #expect(pieces(.kimiK2, "a  b\n\n c!!\n") == ["a", " ", " b", "\n\n", " c", "!!\n"])
        #expect(pieces(.kimiK2, "e\u{301}") == ["e", "\u{301}"])  // a mark is no letter here (tiktoken's \p{M} is)
    }

    @Test func afmoeDigitPieces() {
        #expect(pieces(.afmoeDigits, "1234567") == ["1", "234", "567"])
        #expect(pieces(.afmoeDigits, "x 12 345") == ["x 12", " 345"])  // llama.cpp keeps the text before a run
        #expect(pieces(.afmoeDigits, "ab123cd") == ["ab123", "cd"])
    }

    // MARK: - Hostile vocabularies

    private func raw(_ tokens: [String], merges: [String], pre: String = "gemma4", model: String = "gpt2",
                     types: [Int]? = nil) throws -> Tokenizer {
        try Tokenizer(tokens: tokens, merges: merges, tokenTypes: types ?? [Int](repeating: 1, count: tokens.count),
                      preTokenizer: pre, bosId: nil, eosId: nil, padId: nil, addBos: false, addEos: false, model: model)
    }

    @Test func malformedRawVocabulariesAreErrors() throws {
        let bytes = (0..<256).map { Tokenizer.byteTokenName(UInt8($0)) }
        // SentencePiece-style BPE without its byte-fallback tokens.
        #expect(throws: TokenizerError.malformed("raw UTF-8 vocabulary without its byte-fallback tokens <0x00>, <0x01>, <0x02>, <0x03> and 252 more")) {
            try raw(["a", "b", "ab"], merges: ["a b"])
        }
        #expect(throws: TokenizerError.malformed("raw UTF-8 vocabulary without its byte-fallback tokens <0x7F>")) {
            try raw(bytes.filter { $0 != "<0x7F>" } + ["a"], merges: [])
        }
        #expect(throws: TokenizerError.malformed("merge 'ab'")) { try raw(bytes + ["a", "b"], merges: ["ab"]) }
        #expect(throws: TokenizerError.malformed("merge ' '")) { try raw(bytes, merges: [" "]) }
        #expect(throws: TokenizerError.unsupported("pre-tokenizer 'whitespace' under tokenizer model 'gpt2' (needs model 'whitespace')")) {
            try raw(bytes, merges: [], pre: "whitespace")
        }
        #expect(throws: TokenizerError.unsupported("tokenizer model 'whitespace' with pre-tokenizer 'qwen2' (only 'whitespace')")) {
            try raw(bytes, merges: [], pre: "qwen2", model: "whitespace")
        }
        #expect(throws: TokenizerError.unsupported("tokenizer model 'llama' (only BPE: 'gpt2', 'gemma4', 'whitespace')")) {
            try raw(bytes, merges: [], model: "llama")
        }
        // Merges naming strings the vocabulary lacks load; a word ending on one falls back to bytes.
        let odd = try raw(bytes + ["▁", "q", "u", "▁qu"], merges: ["▁ q", "▁q u", "x y"])
        #expect(odd.encode(" qu") == [259])
        #expect(odd.encode(" q") == [0xE2, 0x96, 0x81, 0x71])
        #expect(odd.encode("xy") == [0x78, 0x79])
        // The whitespace model with a vocabulary that cannot spell the text drops what it cannot spell, as llama.cpp.
        let words = try raw(["a", "b", "ab"], merges: ["a b"], pre: "whitespace", model: "whitespace")
        #expect(words.encode("ab  c a\tb") == [2, 0, 1])
    }
}
