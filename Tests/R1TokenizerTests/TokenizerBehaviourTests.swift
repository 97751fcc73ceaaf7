// Special tokens, BOS/EOS, config values, streaming decode, the GGUF initialiser and load errors.
import Foundation
import Testing
@testable import R1Tokenizer

@Suite struct TokenizerBehaviourTests {
    @Test func qwenSpecialTokensAndConfig() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("r1-distill-qwen-1.5b")
        #expect(tokenizer.encode("<think>") == [151648])
        #expect(tokenizer.encode("a<think>b</think>").contains(151649))
        #expect(tokenizer.id(for: "<｜end▁of▁sentence｜>") == 151643)
        #expect(tokenizer.bosId == 151646)
        #expect(tokenizer.eosIds == [151643])
        #expect(tokenizer.padId == 151643)
        #expect(tokenizer.addBosToken && !tokenizer.addEosToken)
        #expect(tokenizer.encodeForModel("Hi") == [151646] + tokenizer.encode("Hi"))
        #expect(tokenizer.encode("Hi", addSpecialTokens: true).first == 151646)
        #expect(tokenizer.vocabularySize == 151665)
        #expect(tokenizer.tokenString(151648) == "<think>")
        #expect(tokenizer.tokenString(220) == "Ġ")
        #expect(tokenizer.chatTemplate?.contains("<｜Assistant｜>") == true)
        #expect(tokenizer.isSpecial(151643) && !tokenizer.isSpecial(151648))
        #expect(tokenizer.decode([151646, 9707, 151643], skipSpecialTokens: true) == "Hello")
    }

    @Test func deepseekV3Config() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("deepseek-v3")
        #expect(tokenizer.bosId == 0)
        #expect(tokenizer.eosIds == [1])
        #expect(!tokenizer.addBosToken)
        #expect(tokenizer.encode("<｜User｜>") == [128803])
        #expect(tokenizer.modelMaxLength == 1048576)
    }

    @Test func streamingDecodeConcatenatesToDecode() throws {
        for name in TokenizerFixtures.names {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            for (input, ids) in try TokenizerFixtures.goldens(name) {
                var decoder = tokenizer.makeStreamingDecoder()
                var text = ""
                for id in ids {
                    let piece = decoder.feed(id)
                    #expect(!piece.unicodeScalars.contains("\u{FFFD}") || input.unicodeScalars.contains("\u{FFFD}"))
                    text += piece
                }
                text += decoder.flush()
                #expect(text == tokenizer.decode(ids), "\(name): \(input.debugDescription)")
            }
        }
    }

    @Test func streamingDecodeOfRandomIdsMatchesLossyDecode() throws {
        // decode.jsonl holds random id runs that cut characters apart and special tokens to skip.
        for name in TokenizerFixtures.names {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            for (ids, skip, expected) in try TokenizerFixtures.decodeGoldens(name) {
                var decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: skip)
                let text = ids.map { decoder.feed($0) }.joined() + decoder.flush()
                #expect(text == expected, "\(name) \(ids)")
            }
        }
    }

    @Test func streamingHoldsBackSplitEmoji() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3-synthetic")
        // A rare 4-byte emoji that the small synthetic vocabulary has to spell in several byte tokens.
        let ids = tokenizer.encode("🦩")
        #expect(ids.count > 1)
        var decoder = tokenizer.makeStreamingDecoder()
        var pieces = ids.map { decoder.feed($0) }
        let allEmpty = pieces.dropLast().allSatisfy { $0.isEmpty }
        #expect(allEmpty)
        pieces.append(decoder.flush())
        #expect(pieces.joined() == "🦩")
        // An unfinished character is flushed as U+FFFD, never as broken UTF-8.
        var partial = tokenizer.makeStreamingDecoder()
        #expect(partial.feed(ids[0]) == "")
        #expect(partial.flush() == "\u{FFFD}")
    }

    @Test func incompleteSuffix() {
        #expect(incompleteSuffixLength([0x61, 0xF0, 0x9F]) == 2)
        #expect(incompleteSuffixLength([0xF0, 0x9F, 0xA6, 0xA9]) == 0)
        #expect(incompleteSuffixLength([0xE4, 0xB8]) == 2)
        #expect(incompleteSuffixLength([0xE0, 0x80]) == 0)  // overlong: not held back
        #expect(incompleteSuffixLength([0x80]) == 0)
    }

    @Test func ggufArraysMatchTokenizerJSON() throws {
        let directory = TokenizerFixtures.directory("r1-distill-qwen-1.5b")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("tokenizer.json"))) as! [String: Any]
        let model = root["model"] as! [String: Any]
        let vocab = model["vocab"] as! [String: Int]
        let added = root["added_tokens"] as! [[String: Any]]
        let count = max(vocab.values.max()!, added.map { $0["id"] as! Int }.max()!) + 1
        var tokens = [String](repeating: "", count: count)
        var types = [Int](repeating: 1, count: count)
        for (token, id) in vocab { tokens[id] = token }
        for entry in added {
            let id = entry["id"] as! Int
            tokens[id] = entry["content"] as! String
            types[id] = (entry["special"] as! Bool) ? 3 : 4
        }
        let merges = (model["merges"] as! [[String]]).map { "\($0[0]) \($0[1])" }
        let gguf = try Tokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: "deepseek-r1-qwen",
                                 bosId: 151646, eosId: 151643, padId: 151643, addBos: true, addEos: false)
        let reference = try TokenizerFixtures.tokenizer("r1-distill-qwen-1.5b")
        for (input, expected) in try TokenizerFixtures.goldens("r1-distill-qwen-1.5b") {
            #expect(gguf.encode(input) == expected, "\(input.debugDescription)")
        }
        #expect(gguf.encodeForModel("Hi") == reference.encodeForModel("Hi"))
        #expect(gguf.decode([151648, 9707], skipSpecialTokens: true) == "<think>Hello")
        #expect(gguf.vocabularySize == reference.vocabularySize)
    }

    @Test func ggufPatternsEqualTokenizerJSON() throws {
        let pairs = [("deepseek-r1-qwen", "r1-distill-qwen-1.5b"), ("deepseek-v3", "deepseek-v3"), ("llama-bpe", "llama3-synthetic")]
        for (gguf, fixture) in pairs {
            let preTokenizer = try ggufPreTokenizer(named: gguf).preTokenizer
            #expect(preTokenizer.splitPatterns == (try TokenizerFixtures.tokenizer(fixture)).preTokenizer.splitPatterns)
        }
    }

    @Test func ggufPreTokenizerNames() throws {
        for name in ["qwen2", "deepseek-r1-qwen", "deepseek-v3", "llama-bpe", "llama3", "gpt-2"] {
            _ = try ggufPreTokenizer(named: name)
        }
        #expect(throws: TokenizerError.unknownPreTokenizer("mystery-tok")) {
            try Tokenizer(tokens: ["a"], merges: [], tokenTypes: [1], preTokenizer: "mystery-tok",
                          bosId: nil, eosId: nil, padId: nil, addBos: false, addEos: false)
        }
    }

    @Test func unsupportedComponentsAreNamed() throws {
        func load(_ json: String) throws -> Tokenizer { try Tokenizer(tokenizerJSON: Data(json.utf8)) }
        let model = #""model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}"#
        #expect(throws: TokenizerError.unsupported("model WordPiece")) {
            try load(#"{"model": {"type": "WordPiece", "vocab": {}}}"#)
        }
        #expect(throws: TokenizerError.unsupported("normalizer Lowercase")) {
            try load(#"{"normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}]}, "# + model + "}")
        }
        #expect(throws: TokenizerError.unsupported("pre-tokenizer Metaspace")) {
            try load(#"{"pre_tokenizer": {"type": "Metaspace"}, "# + model + "}")
        }
        let ok = try load(#"{"pre_tokenizer": null, "normalizer": null, "decoder": null, "# + model + "}")
        #expect(ok.encode("aa") == [0, 0])
    }

    @Test func addedTokensMatchLeftmostLongest() throws {
        let json = #"""
        {"added_tokens": [
            {"id": 4, "content": "<a>", "special": false, "normalized": false},
            {"id": 5, "content": "<a><b>", "special": true, "normalized": false},
            {"id": 6, "content": "b", "special": false, "normalized": false}],
         "model": {"type": "BPE", "vocab": {"<": 0, ">": 1, "a": 2, "c": 3}, "merges": []}}
        """#
        let tokenizer = try Tokenizer(tokenizerJSON: Data(json.utf8))
        #expect(tokenizer.encode("<a><b><a>c") == [5, 4, 3])
        #expect(tokenizer.encode("<a><bc") == [4, 0, 6, 3])
        // No decoder: tokens joined with spaces, as tokenizers does.
        #expect(tokenizer.decode([5, 4, 6], skipSpecialTokens: true) == "<a> b")
        var streaming = tokenizer.makeStreamingDecoder()
        #expect([5, 4, 6].map { streaming.feed($0) }.joined() + streaming.flush() == "<a><b> <a> b")
        #expect(tokenizer.vocabularySize == 7)
    }

    @Test func llama3AddedTokenFlags() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3-synthetic")
        let mask = tokenizer.id(for: "<mask>")!, sw = tokenizer.id(for: "<sw>")!
        #expect(tokenizer.encode("a <mask>").last == mask)
        #expect(tokenizer.encode("a  <mask>").count == tokenizer.encode("a").count + 1)  // lstrip eats the spaces
        #expect(!tokenizer.encode("word<sw>word").contains(sw))  // single_word
        #expect(tokenizer.encode("word <sw> word").contains(sw))
    }
}

@Suite struct TokenizerConcurrencyTests {
    @Test func concurrentEncodesAgree() async throws {
        let tokenizer = try TokenizerFixtures.tokenizer("deepseek-v3")
        let inputs = try TokenizerFixtures.goldens("deepseek-v3").prefix(200)
        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for shard in 0..<4 {
                group.addTask {
                    inputs.enumerated().filter { $0.offset % 4 == shard }.allSatisfy { tokenizer.encode($0.element.0) == $0.element.1 }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }
}
