// The byte-level BPE tokenizer of Qwen2 / DeepSeek-V3 / Llama 3 models, matching Hugging Face `tokenizers` id for
// id: added tokens -> normaliser -> pre-tokenizer -> BPE; decoding through the ByteLevel decoder.
import Foundation

/// Everything a tokenizer is built from, whichever file it came from (tokenizer.json or GGUF arrays).
struct TokenizerSpec {
    var vocab: [(token: String, id: Int)] = []
    var merges: [(String, String)] = []
    var addedTokens: [AddedToken] = []
    var normalizers: [Normalization] = []
    var preTokenizer = PreTokenizer(steps: [])
    var ignoreMerges = false
    /// ByteLevel decoder; without one, `tokenizers` joins token strings with spaces.
    var byteLevelDecoder = true
    var bosToken: String?
    var eosToken: String?
    var padToken: String?
    var addBos = false
    var addEos = false
    var chatTemplate: String?
    var modelMaxLength: Int?
}

/// Load with `Tokenizer(directory:)` (tokenizer.json) or the GGUF initialiser; `encode`, `decode`, and
/// `makeStreamingDecoder()` for generation. Safe to share across threads (the word cache is locked).
public final class Tokenizer: Sendable {
    private let model: BytePairModel
    private let normalizers: [Normalization]
    let preTokenizer: PreTokenizer
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    /// Decoded bytes of every id: `tokenBytes[tokenStarts[id]...]`, `tokenLengths[id]` of them.
    private let tokenBytes: [UInt8]
    private let tokenStarts: [Int32]
    private let tokenLengths: [Int32]
    private let tokenStrings: [String?]
    private let specialIds: Set<Int>
    private let addedIds: [String: Int]
    let byteLevelDecoder: Bool

    /// Tokens matched literally in the input (`<think>`, `<｜User｜>`, ...).
    public let addedTokens: [AddedToken]
    public let bosToken: String?
    public let eosToken: String?
    public let bosId: Int?
    /// Ids that end generation (the EOS token).
    public let eosIds: [Int]
    public let padId: Int?
    /// Whether `encode(_:addSpecialTokens: true)` prepends BOS / appends EOS.
    public let addBosToken: Bool
    public let addEosToken: Bool
    public let chatTemplate: String?
    public let modelMaxLength: Int?

    @_optimize(speed)
    init(spec: TokenizerSpec) throws {
        let maxId = max(spec.vocab.lazy.map(\.id).max() ?? -1, spec.addedTokens.lazy.map(\.id).max() ?? -1)
        guard (spec.vocab.allSatisfy { $0.id >= 0 }) && (spec.addedTokens.allSatisfy { $0.id >= 0 }) else {
            throw TokenizerError.malformed("negative token id")
        }
        var tokenStrings = [String?](repeating: nil, count: maxId + 1)
        // Decoded bytes of each id live in one arena, at tokenStarts[id] ..< tokenStarts[id] + tokenLengths[id].
        var arena: [UInt8] = []
        var starts = [Int32](repeating: 0, count: maxId + 1)
        var lengths = [Int32](repeating: 0, count: maxId + 1)
        func store(_ id: Int, _ token: String) {
            let start = arena.count
            if !ByteLevel.appendBytes(of: token, to: &arena) {
                // The ByteLevel decoder keeps the UTF-8 of a token it cannot map.
                arena.removeSubrange(start...)
                arena += token.utf8
            }
            starts[id] = Int32(start)
            lengths[id] = Int32(arena.count - start)
            tokenStrings[id] = token
        }
        var table = ByteKeyTable(capacity: spec.vocab.count)
        for (token, id) in spec.vocab {
            store(id, token)
            arena.withUnsafeBufferPointer { table.insert(UnsafeBufferPointer(rebasing: $0[Int(starts[id])...]), UInt64(id)) }
        }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(spec.merges.count)
        var buffer: [UInt8] = []
        func vocabId(_ token: String, from start: Int) -> UInt64? {
            guard ByteLevel.appendBytes(of: token, to: &buffer) else { return nil }
            return buffer.withUnsafeBufferPointer { table.find(UnsafeBufferPointer(rebasing: $0[start...])) }
        }
        for (rank, (left, right)) in spec.merges.enumerated() {
            buffer.removeAll(keepingCapacity: true)
            guard let a = vocabId(left, from: 0) else { throw Self.missingMerge(left, right) }
            let split = buffer.count
            guard let b = vocabId(right, from: split) else { throw Self.missingMerge(left, right) }
            guard let merged = buffer.withUnsafeBufferPointer({ table.find($0) }) else { throw Self.missingMerge(left, right) }
            let key = a << 32 | b
            merges[key] = UInt64(rank) << 32 | merged  // a repeated pair keeps its last rank, as tokenizers' map does
        }
        model = BytePairModel(vocab: table, merges: merges, ignoreMerges: spec.ignoreMerges)

        var addedIds: [String: Int] = [:]
        for token in spec.addedTokens {
            store(token.id, token.content)
            addedIds[token.content] = token.id
        }
        self.tokenBytes = arena
        self.tokenStarts = starts
        self.tokenLengths = lengths
        self.tokenStrings = tokenStrings
        self.addedIds = addedIds
        self.byteLevelDecoder = spec.byteLevelDecoder
        self.specialIds = Set(spec.addedTokens.filter(\.special).map(\.id))
        self.addedTokens = spec.addedTokens
        normalizers = spec.normalizers
        preTokenizer = spec.preTokenizer
        rawMatcher = AddedTokenMatcher(spec.addedTokens.filter { !$0.normalized })
        let normalizers = spec.normalizers
        normalizedMatcher = AddedTokenMatcher(spec.addedTokens.filter(\.normalized)) { bytes in
            normalizers.reduce(bytes) { $1.apply($0) }
        }

        bosToken = spec.bosToken
        eosToken = spec.eosToken
        func lookup(_ token: String?) -> Int? {
            guard let token else { return nil }
            if let id = addedIds[token] { return id }
            guard let bytes = ByteLevel.bytes(of: token) else { return nil }
            return bytes.withUnsafeBufferPointer { table.find($0) }.map { Int($0) }
        }
        bosId = lookup(spec.bosToken)
        eosIds = lookup(spec.eosToken).map { [$0] } ?? []
        padId = lookup(spec.padToken)
        addBosToken = spec.addBos && bosId != nil
        addEosToken = spec.addEos && !eosIds.isEmpty
        chatTemplate = spec.chatTemplate
        modelMaxLength = spec.modelMaxLength
    }

    private static func missingMerge(_ left: String, _ right: String) -> TokenizerError {
        .malformed("merge '\(left) \(right)' names a token missing from the vocabulary")
    }

    // MARK: - Encode

    /// Token ids of `text`. `addSpecialTokens: false` equals `tokenizers`' `encode(text, add_special_tokens=False)`;
    /// `true` adds BOS / EOS as the tokenizer config says.
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens && addBosToken, let bosId { ids.append(bosId) }
        var utf8 = Array(text.utf8)
        utf8.withUnsafeMutableBufferPointer { raw in
            for segment in rawMatcher.split(UnsafeBufferPointer(raw)) {
                if let id = segment.id {
                    ids.append(id)
                    continue
                }
                var bytes = Array(raw[segment.range])
                for normalizer in normalizers { bytes = normalizer.apply(bytes) }
                bytes.withUnsafeBufferPointer { normalized in
                    for inner in normalizedMatcher.split(normalized) {
                        if let id = inner.id { ids.append(id) } else { encodeOrdinary(normalized, inner.range, into: &ids) }
                    }
                }
            }
        }
        if addSpecialTokens && addEosToken, let eos = eosIds.first { ids.append(eos) }
        return ids
    }

    /// `encode(text, addSpecialTokens: true)`: the ids a model is fed for a plain prompt.
    public func encodeForModel(_ text: String) -> [Int] { encode(text, addSpecialTokens: true) }

    private func encodeOrdinary(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into ids: inout [Int]) {
        guard !range.isEmpty else { return }
        var text = ScalarText(utf8: UnsafeBufferPointer(rebasing: bytes[range]))
        let pieces = preTokenizer.pieces(of: &text)
        let words = pieces.map { text.byteRange($0) }
        text.utf8.withUnsafeBufferPointer { model.encode(words: words, of: $0, into: &ids) }
    }

    // MARK: - Decode

    /// Text of `ids` as `tokenizers`' `decode(ids, skip_special_tokens:)` gives it (invalid UTF-8 becomes U+FFFD).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        if !byteLevelDecoder {
            return ids.filter { !(skipSpecialTokens && specialIds.contains($0)) }.compactMap(tokenString).joined(separator: " ")
        }
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes `id` stands for (an added token's text for added tokens; empty outside the vocabulary).
    public func bytes(of id: Int) -> [UInt8] {
        var out: [UInt8] = []
        appendBytes(of: id, skipSpecialTokens: false, to: &out)
        return out
    }

    func appendBytes(of id: Int, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        guard id >= 0 && id < tokenStarts.count else { return }
        if skipSpecialTokens && specialIds.contains(id) { return }
        let start = Int(tokenStarts[id])
        bytes += tokenBytes[start..<(start + Int(tokenLengths[id]))]
    }

    /// A decoder that turns ids into text one at a time.
    public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    // MARK: - Vocabulary

    /// The token string of `id` as the vocabulary spells it (byte-level characters, e.g. `Ġthe`), or nil.
    public func tokenString(_ id: Int) -> String? {
        id >= 0 && id < tokenStrings.count ? tokenStrings[id] : nil
    }

    public func id(for token: String) -> Int? {
        if let id = addedIds[token] { return id }
        guard let bytes = ByteLevel.bytes(of: token) else { return nil }
        return bytes.withUnsafeBufferPointer { model.vocab.find($0) }.map { Int($0) }
    }

    /// One past the largest id (base vocabulary and added tokens).
    public var vocabularySize: Int { tokenStrings.count }

    public func isSpecial(_ id: Int) -> Bool { specialIds.contains(id) }
}
