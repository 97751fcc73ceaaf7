// The pre-tokenizer regex engine on its own: Oniguruma semantics for the patterns tokenizers ship.
import Testing
@testable import R1Tokenizer

@Suite struct TokenizerRegexTests {
    func pieces(_ pattern: String, _ text: String) throws -> [String] {
        let regex = try PreTokenizerRegex(pattern)
        let scalars = ScalarText(utf8: Array(text.utf8))
        var out: [String] = []
        regex.forEachMatch(in: scalars, range: 0..<scalars.count) { start, end in
            out.append(String(decoding: scalars.utf8[scalars.byteRange(start..<end)], as: UTF8.self))
        }
        return out
    }

    @Test func qwenPattern() throws {
        let qwen = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        #expect(try pieces(qwen, "Hello  world's 123\n\n") == ["Hello", " ", " world", "'s", " ", "1", "2", "3", "\n\n"])
        #expect(try pieces(qwen, "I'LL go") == ["I", "'LL", " go"])
        #expect(try pieces(qwen, "a   b") == ["a", "  ", " b"])
    }

    @Test func quantifiersAndClasses() throws {
        #expect(try pieces(#"\p{N}{1,3}"#, "1234567") == ["123", "456", "7"])
        #expect(try pieces("[\u{4e00}-\u{9fa5}]+", "ab中文cd字") == ["中文", "字"])
        #expect(try pieces(#"[A-Za-z]+?"#, "ab") == ["a", "b"])
        #expect(try pieces(#"a(?=b)"#, "ab ac") == ["a"])
        #expect(try pieces(#"x$"#, "x\nx") == ["x", "x"])
        #expect(throws: TokenizerError.self) { try PreTokenizerRegex("(ab") }
        #expect(throws: TokenizerError.self) { try PreTokenizerRegex(#"\p{Nope}"#) }
    }
}

@Suite struct TokenizerNormalizationTests {
    func apply(_ form: Normalization, _ text: String) -> String {
        String(decoding: form.apply(Array(text.utf8)), as: UTF8.self)
    }

    @Test func astralScalarsSurviveComposition() {
        // Foundation on Linux composes U+10072 + U+030F into U+0211; the standard library does not.
        #expect(apply(.nfc, "\u{10072}\u{30F}").unicodeScalars.map(\.value) == [0x10072, 0x30F])
        #expect(apply(.nfc, "e\u{301}") == "\u{E9}")
        #expect(apply(.nfc, "\u{1100}\u{1161}\u{11A8}") == "\u{AC01}")
        #expect(apply(.nfd, "\u{E9}").unicodeScalars.count == 2)
        #expect(apply(.nfkc, "ﬁ\u{1D400}\u{10072}\u{30F}").unicodeScalars.map(\.value) == [0x66, 0x69, 0x41, 0x10072, 0x30F])
    }
}
