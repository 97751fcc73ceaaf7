// GGUF files carrying each llama.cpp pre-tokenizer name for the shared tokenizers' regexes tokenize id for id as
// `tokenizers` does (fixtures: scripts/fixtures/make_pretokenizer_ggufs.py); the name table covers llama.cpp's.
import Foundation
import R1Formats
import Testing
@testable import R1Tokenizer

@Suite struct PreTokenizerNameTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers/gguf-pre").path

    @Test func ggufsTokenizeAsTokenizers() throws {
        let expected = try JSONValue.load(path: Self.folder + "/expected.json")
        let probes = (expected["probes"]?.array ?? []).compactMap { $0.string }
        #expect(probes.count == 10)
        let files = try #require(expected["files"]?.array)
        #expect(files.count >= 13)
        for f in files {
            let name = try #require(f["file"]?.string)
            let idMap = try #require(f["id_map"]?.intOrList)
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: Self.folder + "/" + name))
            for (i, text) in probes.enumerated() {
                let want = try #require(f["ids"]?.array?[i].intOrList)
                let got = tokenizer.encode(text).map { idMap[$0] }
                #expect(got == want, "\(name): \(text.debugDescription)")
            }
        }
    }

    @Test func everyLlamaCppNameIsMapped() throws {
        #expect(llamaPreTokenizerTypes.count == 91)
        for (name, type) in llamaPreTokenizerTypes {
            #expect(llamaPreTokenizerRegexes[type] != nil || type == "default", "\(name) -> \(type)")
        }
        // DeepSeek-V3's tokenizer converted by llama.cpp today comes out as joyai-llm.
        let joy = try ggufPreTokenizer(named: "joyai-llm").preTokenizer
        let v3 = try ggufPreTokenizer(named: "deepseek-v3").preTokenizer
        #expect(joy.splitPatterns == v3.splitPatterns)
        #expect(throws: TokenizerError.unknownPreTokenizer("not-a-tokenizer")) { try ggufPreTokenizer(named: "not-a-tokenizer") }
        // Names llama.cpp runs with hand-written code or on raw UTF-8 load (HandWrittenPreTokenizerTests).
        #expect(try ggufPreTokenizer(named: "kimi-k2").preTokenizer.splitPatterns.isEmpty)
        #expect(try ggufPreTokenizer(named: "gemma4").raw?.wholeNewlineRuns == true)
        #expect(try ggufPreTokenizer(named: "sarvam-moe").raw?.wholeNewlineRuns == false)
    }

    /// Which names load: every name whose regexes the engine compiles (the rest are named in the error).
    @Test func namesThatLoad() throws {
        var failed: [String] = []
        for name in llamaPreTokenizerTypes.keys.sorted() {
            do { _ = try ggufPreTokenizer(named: name) } catch { failed.append(name) }
        }
        #expect(Set(failed).isSubset(of: ["tekken", "gpt-4o", "llama4", "kanana2", "talkie", "granite-embed-multi-97m",
                                           "tiny_aya", "cohere2moe", "superbpe", "chameleon", "minimax-m2", "youtu"]), "\(failed)")
    }
}
