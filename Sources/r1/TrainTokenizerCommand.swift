// `r1 train tokenizer --corpus FILE... --vocab-size N --out DIR`: byte-level BPE with R1's special tokens.
import ArgumentParser
import Foundation
import R1Train

struct TrainTokenizerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train a byte-level BPE tokenizer; writes tokenizer.json and tokenizer_config.json.")

    @Option(parsing: .upToNextOption, help: "Text files (one sequence per line) or .jsonl (strings, {\"text\"} or {\"messages\"}).")
    var corpus: [String] = []
    @Option(name: .customLong("vocab-size"), help: "Total vocabulary size, the added special tokens included.")
    var vocabSize: Int
    @Option(name: .customLong("min-frequency"), help: "A pair seen fewer times is never merged.")
    var minFrequency = 2
    @Option(name: .customLong("pre-tokenizer"), help: "Splitting regex family: qwen2 (R1-Distill-Qwen), llama3, deepseek-v3, gpt2.")
    var preTokenizer = "qwen2"
    @Option(help: "Output folder.")
    var out: String

    func validate() throws {
        if corpus.isEmpty { throw ValidationError("give at least one --corpus file") }
        let added = TrainedTokenizer.r1AddedTokens.count
        if vocabSize < 256 + added {
            throw ValidationError("--vocab-size \(vocabSize) is below \(256 + added) (256 bytes + \(added) special tokens)")
        }
        if minFrequency < 0 { throw ValidationError("--min-frequency \(minFrequency) is negative") }
    }

    func run() async throws {
        let start = Date()
        let documents = try TokenizerCorpus.documents(paths: corpus)
        let options = TokenizerTrainingOptions(vocabSize: vocabSize, minFrequency: minFrequency, preTokenizer: preTokenizer)
        let trained = try TokenizerTrainer.train(documents: documents, options: options)
        try trained.write(to: URL(fileURLWithPath: out))
        let seconds = Date().timeIntervalSince(start)
        Output.line("\(out): \(trained.vocabularySize) tokens (\(trained.merges.count) merges, \(trained.added.count) added) "
                    + "from \(documents.count) sequences in \(String(format: "%.1f", seconds)) s")
    }
}
