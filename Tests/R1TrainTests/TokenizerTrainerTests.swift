// The BPE trainer against its committed output (Tests/Fixtures/tokenizer-trainer, checked with tokenizers 0.23.3 by
// scripts/fixtures/make_tokenizer_trainer_fixtures.py): byte-identical files, R1Tokenizer ids == tokenizers' ids.
import Foundation
import R1Formats
import R1Tokenizer
import Testing
@testable import R1Train

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenizer-trainer")

private func trainFixture() throws -> TrainedTokenizer {
    let documents = try TokenizerCorpus.documents(paths: ["corpus.txt", "corpus.jsonl"].map {
        fixtures.appendingPathComponent($0).path
    })
    return try TokenizerTrainer.train(documents: documents, options: TokenizerTrainingOptions(vocabSize: 600))
}

@Suite struct TokenizerTrainerTests {
    @Test func retrainingWritesTheCommittedFilesByteForByte() throws {
        let trained = try trainFixture()
        let json = try String(contentsOf: fixtures.appendingPathComponent("out/tokenizer.json"), encoding: .utf8)
        let config = try String(contentsOf: fixtures.appendingPathComponent("out/tokenizer_config.json"), encoding: .utf8)
        #expect(trained.tokenizerJSON == json)
        #expect(trained.tokenizerConfigJSON == config)
        #expect(trained.vocabularySize == 600)
    }

    @Test func r1TokenizerEncodesHeldOutTextsAsTokenizersDoes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokgguf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try trainFixture().write(to: dir)
        let tokenizer = try Tokenizer(directory: dir)
        let expected = try JSONValue.load(path: fixtures.appendingPathComponent("heldout_ids.json").path)
        let cases = try #require(expected["cases"]?.array)
        #expect(cases.count == 11)
        for row in cases {
            let text = try #require(row["text"]?.string)
            #expect(tokenizer.encode(text) == row["ids"]?.intOrList, "\(text)")
            #expect(tokenizer.encode(text, addSpecialTokens: true) == row["ids_with_special"]?.intOrList, "\(text)")
        }
        #expect(tokenizer.bosId == 594 && tokenizer.eosIds == [595] && tokenizer.padId == 595)
        #expect(tokenizer.id(for: "<think>") == 598 && tokenizer.id(for: "</think>") == 599)
        #expect(tokenizer.chatTemplate?.contains("<｜Assistant｜>") == true)
    }

    @Test func mostFrequentPairFirstAndTiesToTheSmallerIds() throws {
        // "ab" x3 and "cd" x3 tie at count 3: (a, b) has the smaller ids and merges first; "ef" x1 stays below
        // min frequency 2.
        let trained = try TokenizerTrainer.train(
            documents: ["ab ab ab", "cd cd cd", "ef"],
            options: TokenizerTrainingOptions(vocabSize: 300, minFrequency: 2, addedTokens: []))
        #expect(trained.merges.map { "\($0.0) \($0.1)" } == ["a b", "c d", "Ġ ab", "Ġ cd"])
        #expect(Array(trained.vocab[256...]) == ["ab", "cd", "Ġab", "Ġcd"])
    }

    @Test func overlappingPairsMergeLeftToRight() throws {
        // "aaa" holds (a, a) twice but merges once per word, left to right: "aa" + "a".
        let trained = try TokenizerTrainer.train(
            documents: ["aaa"], options: TokenizerTrainingOptions(vocabSize: 300, minFrequency: 1, addedTokens: []))
        #expect(trained.merges.map { "\($0.0) \($0.1)" } == ["a a", "aa a"])
    }

    @Test func addedTokensAreCutOutOfTheText() {
        #expect(TokenizerTrainer.splitOutAddedTokens("a<think>b</think><think>", ["<think>", "</think>"]) == ["a", "b"])
        #expect(TokenizerTrainer.splitOutAddedTokens("plain", ["<think>"]) == ["plain"])
    }

    @Test func badOptionsAndCorporaNameTheValue() throws {
        #expect(throws: TokenizerTrainerError.self) {
            try TokenizerTrainer.train(documents: ["x"], options: TokenizerTrainingOptions(vocabSize: 100))
        }
        do {
            _ = try TokenizerTrainer.train(documents: ["x"], options: TokenizerTrainingOptions(vocabSize: 100))
        } catch {
            #expect("\(error)".contains("--vocab-size 100"))
        }
        #expect(throws: TokenizerError.self) {
            try TokenizerTrainer.train(documents: ["x"], options: TokenizerTrainingOptions(vocabSize: 600, preTokenizer: "bogus"))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokgguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.jsonl")
        try Data("\"ok\"\n{\"other\": 1}\n".utf8).write(to: bad)
        do {
            _ = try TokenizerCorpus.documents(paths: [bad.path])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("bad.jsonl:2"))
        }
        do {
            _ = try TokenizerCorpus.documents(paths: [dir.appendingPathComponent("missing.txt").path])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("missing.txt"))
        }
    }

    @Test func textLinesKeepTheirEndings() {
        #expect(TokenizerCorpus.linesKeepingEnds("a\r\nb\n\nc") == ["a\r\n", "b\n", "\n", "c"])
    }
}
