// Byte-level BPE training over a corpus, the algorithm of `tokenizers`' BpeTrainer (tokenizers/src/models/bpe/
// trainer.rs): count words, start from the 256 byte-level characters in code-point order, then repeatedly merge the
// most frequent adjacent pair (ties: the smallest (left id, right id)) until the vocabulary is full or the best
// pair is rarer than `minFrequency`. R1's special tokens are split out of the text first and added after training.
import Foundation
import HeapModule
import R1Tokenizer

public struct TokenizerTrainingOptions: Sendable {
    /// Total vocabulary size: learned tokens plus the added (special) tokens.
    public var vocabSize: Int
    /// A pair seen fewer times than this is never merged.
    public var minFrequency: Int
    /// GGUF pre-tokenizer name of the splitting regex (`qwen2`: Qwen2 / R1-Distill-Qwen).
    public var preTokenizer: String
    public var addedTokens: [TrainedTokenizer.Added]

    public init(vocabSize: Int, minFrequency: Int = 2, preTokenizer: String = "qwen2",
                addedTokens: [TrainedTokenizer.Added] = TrainedTokenizer.r1AddedTokens) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.preTokenizer = preTokenizer
        self.addedTokens = addedTokens
    }
}

public enum TokenizerTrainerError: Error, CustomStringConvertible {
    case invalidOption(String)
    case badCorpus(String)

    public var description: String {
        switch self {
        case .invalidOption(let what): return "tokenizer trainer: \(what)"
        case .badCorpus(let what): return "tokenizer corpus: \(what)"
        }
    }
}

public enum TokenizerTrainer {
    /// Trains on `documents` (each pre-tokenized on its own, as `tokenizers` treats each sequence it is fed).
    public static func train(documents: [String], options: TokenizerTrainingOptions) throws -> TrainedTokenizer {
        let splitter = try WordSplitter(preTokenizer: options.preTokenizer)
        let learned = options.vocabSize - options.addedTokens.count
        guard learned >= 256 else {
            throw TokenizerTrainerError.invalidOption(
                "--vocab-size \(options.vocabSize) leaves \(learned) learned tokens after \(options.addedTokens.count) "
                + "added ones; byte-level BPE needs at least 256")
        }
        guard options.minFrequency >= 0 else {
            throw TokenizerTrainerError.invalidOption("--min-frequency \(options.minFrequency) is negative")
        }
        let contents = options.addedTokens.map(\.content)
        guard Set(contents).count == contents.count, !contents.contains("") else {
            throw TokenizerTrainerError.invalidOption("added tokens \(contents) are empty or repeated")
        }
        var counts: [ArraySlice<UInt8>: Int] = [:]
        for document in documents {
            for segment in splitOutAddedTokens(document, contents) {
                for word in splitter.words(in: segment) { counts[word, default: 0] += 1 }
            }
        }
        var bpe = PairMerger(wordCounts: counts)
        bpe.run(vocabSize: learned, minFrequency: options.minFrequency)
        return TrainedTokenizer(vocab: bpe.tokens.map { WordSplitter.byteLevelString($0) },
                                merges: bpe.merges.map { (WordSplitter.byteLevelString(bpe.tokens[Int($0.0)]),
                                                          WordSplitter.byteLevelString(bpe.tokens[Int($0.1)])) },
                                added: options.addedTokens, splitter: splitter)
    }

    /// The pieces of `text` between occurrences of the added tokens (leftmost, longest first), which the trainer
    /// never sees as ordinary text: at encode time they are matched before pre-tokenization.
    static func splitOutAddedTokens(_ text: String, _ tokens: [String]) -> [String] {
        guard !tokens.isEmpty else { return [text] }
        let patterns = tokens.map { Array($0.utf8) }.sorted { $0.count > $1.count }
        let bytes = Array(text.utf8)
        var out: [String] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            if let match = patterns.first(where: { p in
                i + p.count <= bytes.count && bytes[i..<(i + p.count)].elementsEqual(p)
            }) {
                if i > start { out.append(String(decoding: bytes[start..<i], as: UTF8.self)) }
                i += match.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { out.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return out
    }
}

// MARK: - The merge loop

/// Words as symbol-id arrays with their counts; pair counts kept up to date as merges rewrite the words.
struct PairMerger {
    /// Raw bytes of every token, by id.
    private(set) var tokens: [[UInt8]]
    private(set) var merges: [(UInt32, UInt32)] = []
    private var ids: [[UInt8]: UInt32] = [:]
    private var words: [[UInt32]]
    private var wordCounts: [Int]

    /// A heap entry: the most frequent pair first, then the smallest (left, right) (tokenizers' `Merge` order).
    private struct Candidate: Comparable {
        var count: Int
        var pair: UInt64  // left << 32 | right

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.count != b.count ? a.count < b.count : a.pair > b.pair
        }
    }

    init(wordCounts: [ArraySlice<UInt8>: Int]) {
        // Byte-level characters in code-point order get ids 0...255, as BpeTrainer's sorted alphabet.
        let scalars = (0..<256).map { UInt8($0) }.map { ($0, WordSplitter.byteLevelString([$0]).unicodeScalars.first!.value) }
        let order = scalars.sorted { $0.1 < $1.1 }.map(\.0)
        var byteId = [UInt32](repeating: 0, count: 256)
        tokens = []
        for (id, byte) in order.enumerated() {
            byteId[Int(byte)] = UInt32(id)
            tokens.append([byte])
            ids[[byte]] = UInt32(id)
        }
        // Sorted words make every later step independent of dictionary order.
        let sorted = wordCounts.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        words = sorted.map { $0.key.map { byteId[Int($0)] } }
        self.wordCounts = sorted.map(\.value)
    }

    mutating func run(vocabSize: Int, minFrequency: Int) {
        var pairCounts: [UInt64: Int] = [:]
        var positions: [UInt64: Set<Int32>] = [:]  // words that may hold the pair (a superset is harmless)
        for (w, word) in words.enumerated() where word.count > 1 {
            for k in 0..<(word.count - 1) {
                let pair = UInt64(word[k]) << 32 | UInt64(word[k + 1])
                pairCounts[pair, default: 0] += wordCounts[w]
                positions[pair, default: []].insert(Int32(w))
            }
        }
        var heap = Heap(pairCounts.filter { $0.value > 0 }.map { Candidate(count: $0.value, pair: $0.key) })
        while tokens.count < vocabSize, var top = heap.popMax() {
            let current = pairCounts[top.pair, default: 0]
            if top.count != current {  // stale entry: re-queue with the true count (BpeTrainer's lazy update)
                top.count = current
                if current > 0 { heap.insert(top) }
                continue
            }
            if top.count < 1 || top.count < minFrequency { break }
            let (a, b) = (UInt32(top.pair >> 32), UInt32(truncatingIfNeeded: top.pair))
            let merged = tokens[Int(a)] + tokens[Int(b)]
            let newId: UInt32
            if let existing = ids[merged] {
                newId = existing  // two merges can spell the same token; BpeTrainer reuses its id
            } else {
                newId = UInt32(tokens.count)
                tokens.append(merged)
                ids[merged] = newId
            }
            merges.append((a, b))
            var touched: [UInt64: Bool] = [:]
            for w in (positions[top.pair] ?? []).sorted() {
                let count = wordCounts[Int(w)]
                Self.merge(&words[Int(w)], a, b, newId) { pair, delta in
                    pairCounts[pair, default: 0] += delta * count
                    if delta > 0 {
                        positions[pair, default: []].insert(w)
                        touched[pair] = true
                    }
                }
            }
            for pair in touched.keys.sorted() {
                let count = pairCounts[pair, default: 0]
                if count > 0 { heap.insert(Candidate(count: count, pair: pair)) }
            }
        }
    }

    /// Replaces each non-overlapping (a, b), left to right, by `merged`, reporting the pair-count changes
    /// (tokenizers' `Word::merge`).
    private static func merge(_ word: inout [UInt32], _ a: UInt32, _ b: UInt32, _ merged: UInt32,
                              _ change: (UInt64, Int) -> Void) {
        func key(_ x: UInt32, _ y: UInt32) -> UInt64 { UInt64(x) << 32 | UInt64(y) }
        var i = 0
        while i < word.count {
            if word[i] == a && i + 1 < word.count && word[i + 1] == b {
                if i > 0 {
                    change(key(word[i - 1], a), -1)
                    change(key(word[i - 1], merged), 1)
                }
                word.replaceSubrange(i...(i + 1), with: [merged])
                if i + 1 < word.count {
                    change(key(b, word[i + 1]), -1)
                    change(key(merged, word[i + 1]), 1)
                }
            }
            i += 1
        }
    }
}
