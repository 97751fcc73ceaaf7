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
    var bosToken: String?
    var eosToken: String?
    var padToken: String?
    var addBos = false
    var addEos = false
    var chatTemplate: String?
    var modelMaxLength: Int?
}

public final class Tokenizer: Sendable {
    private let model: BytePairModel
    private let normalizers: [Normalization]
    private let preTokenizer: PreTokenizer
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    /// Decoded bytes of every id: `tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]`.
    private let tokenBytes: [UInt8]
    private let tokenOffsets: [Int]
    private let tokenStrings: [String?]
    private let specialIds: Set<Int>
    private let tokenToId: [String: Int]

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

    init(spec: TokenizerSpec) throws {
        var table = ByteKeyTable(capacity: spec.vocab.count)
        var maxId = -1
        var strings: [Int: String] = [:]
        strings.reserveCapacity(spec.vocab.count + spec.addedTokens.count)
        var bytesById: [Int: [UInt8]] = [:]
        bytesById.reserveCapacity(spec.vocab.count + spec.addedTokens.count)
        for (token, id) in spec.vocab {
            let bytes = ByteLevel.bytes(of: token) ?? Array(token.utf8)
            bytes.withUnsafeBufferPointer { table.insert($0, UInt64(id)) }
            strings[id] = token
            bytesById[id] = bytes
            maxId = max(maxId, id)
        }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(spec.merges.count)
        func vocabId(_ token: String) -> Int? {
            guard let bytes = ByteLevel.bytes(of: token) else { return nil }
            return bytes.withUnsafeBufferPointer { table.find($0) }.map { Int($0) }
        }
        for (rank, (left, right)) in spec.merges.enumerated() {
            guard let a = vocabId(left), let b = vocabId(right), let merged = vocabId(left + right) else {
                throw TokenizerError.malformed("merge '\(left) \(right)' names a token missing from the vocabulary")
            }
            let key = UInt64(a) << 32 | UInt64(b)
            if merges[key] == nil { merges[key] = UInt64(rank) << 32 | UInt64(merged) }
        }
        model = BytePairModel(vocab: table, merges: merges, ignoreMerges: spec.ignoreMerges)

        var toId: [String: Int] = [:]
        toId.reserveCapacity(strings.count)
        for (id, token) in strings { toId[token] = id }
        for token in spec.addedTokens {
            strings[token.id] = token.content
            toId[token.content] = token.id
            // The ByteLevel decoder maps a token's characters back to bytes, or keeps its UTF-8 if it cannot.
            bytesById[token.id] = ByteLevel.bytes(of: token.content) ?? Array(token.content.utf8)
            maxId = max(maxId, token.id)
        }
        var tokenBytes: [UInt8] = []
        var offsets = [0]
        var tokenStrings = [String?](repeating: nil, count: maxId + 1)
        for id in 0...max(maxId, 0) where maxId >= 0 {
            tokenBytes += bytesById[id] ?? []
            offsets.append(tokenBytes.count)
            tokenStrings[id] = strings[id]
        }
        self.tokenBytes = tokenBytes
        self.tokenOffsets = offsets
        self.tokenStrings = tokenStrings
        self.tokenToId = toId
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
        bosId = spec.bosToken.flatMap { toId[$0] }
        eosIds = spec.eosToken.flatMap { toId[$0] }.map { [$0] } ?? []
        padId = spec.padToken.flatMap { toId[$0] }
        addBosToken = spec.addBos && bosId != nil
        addEosToken = spec.addEos && !eosIds.isEmpty
        chatTemplate = spec.chatTemplate
        modelMaxLength = spec.modelMaxLength
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
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func appendBytes(of id: Int, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        guard id >= 0 && id + 1 < tokenOffsets.count else { return }
        if skipSpecialTokens && specialIds.contains(id) { return }
        bytes += tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]
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

    public func id(for token: String) -> Int? { tokenToId[token] }

    /// One past the largest id (base vocabulary and added tokens).
    public var vocabularySize: Int { tokenStrings.count }

    public func isSpecial(_ id: Int) -> Bool { specialIds.contains(id) }
}
