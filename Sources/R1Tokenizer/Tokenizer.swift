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
    /// Raw UTF-8 token spelling (SentencePiece-style BPE, llama.cpp's byte_encode = false) instead of GPT-2's
    /// byte-level characters; nil for byte-level vocabularies.
    var raw: RawSpelling?
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

/// How a raw UTF-8 vocabulary spells what byte-level ones spell with GPT-2's characters.
struct RawSpelling {
    /// Ids of byte tokens (`<0xNN>`, GGUF token type 6): each decodes to its byte.
    var byteTokenIds: Set<Int> = []
    /// `▁` decodes to a space (llama.cpp's escape_whitespaces).
    var metaspace = false
    /// Gemma 4: a word of newlines only is one token when the vocabulary holds it whole.
    var wholeNewlineRuns = false
    /// Every byte must have its `<0xNN>` token (SentencePiece's byte fallback); false where llama.cpp drops bytes
    /// without one.
    var requiresByteTokens = false
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
    /// Raw UTF-8 vocabulary: token strings are their own text (see `RawSpelling`).
    let raw: Bool

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
        let raw = spec.raw
        func store(_ id: Int, _ token: String, added: Bool = false) {
            let start = arena.count
            if let raw {
                if added {
                    arena += token.utf8  // llama.cpp prints control and user-defined tokens as spelled
                } else if raw.byteTokenIds.contains(id), let byte = Self.byteTokenValue(token) {
                    arena.append(byte)
                } else if raw.metaspace {
                    for b in token.utf8 { arena.append(b) }
                    Self.unescapeMetaspace(&arena, from: start)
                } else {
                    arena += token.utf8
                }
            } else if !ByteLevel.appendBytes(of: token, to: &arena) {
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
            if raw != nil {
                Array(token.utf8).withUnsafeBufferPointer { table.insert($0, UInt64(id)) }
            } else {
                arena.withUnsafeBufferPointer { table.insert(UnsafeBufferPointer(rebasing: $0[Int(starts[id])...]), UInt64(id)) }
            }
        }
        if let raw {
            model = try Self.rawModel(raw, vocab: table, merges: spec.merges, firstMergeOnlyId: maxId + 1)
        } else {
            model = try Self.byteLevelModel(vocab: table, merges: spec.merges, ignoreMerges: spec.ignoreMerges)
        }
        self.raw = raw != nil

        var addedIds: [String: Int] = [:]
        for token in spec.addedTokens {
            store(token.id, token.content, added: true)
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
            guard let bytes = raw != nil ? Array(token.utf8) : ByteLevel.bytes(of: token) else { return nil }
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

    private static func byteLevelModel(vocab table: ByteKeyTable, merges list: [(String, String)],
                                       ignoreMerges: Bool) throws -> BytePairModel {
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(list.count)
        var buffer: [UInt8] = []
        func vocabId(_ token: String, from start: Int) -> UInt64? {
            guard ByteLevel.appendBytes(of: token, to: &buffer) else { return nil }
            return buffer.withUnsafeBufferPointer { table.find(UnsafeBufferPointer(rebasing: $0[start...])) }
        }
        for (rank, (left, right)) in list.enumerated() {
            buffer.removeAll(keepingCapacity: true)
            guard let a = vocabId(left, from: 0) else { throw missingMerge(left, right) }
            let split = buffer.count
            guard let b = vocabId(right, from: split) else { throw missingMerge(left, right) }
            guard let merged = buffer.withUnsafeBufferPointer({ table.find($0) }) else { throw missingMerge(left, right) }
            let key = a << 32 | b
            merges[key] = UInt64(rank) << 32 | merged  // a repeated pair keeps its last rank, as tokenizers' map does
        }
        return BytePairModel(vocab: table, merges: merges, ignoreMerges: ignoreMerges)
    }

    /// Raw UTF-8 merges are strings, as in llama.cpp's bpe_ranks: a merge may name a string the vocabulary lacks
    /// (Gemma 4's list is longer than its vocabulary); such strings get ids past every token's, and a word that ends
    /// on one falls back to bytes. A repeated pair keeps its first rank, as llama.cpp's map does.
    private static func rawModel(_ raw: RawSpelling, vocab: ByteKeyTable, merges list: [(String, String)],
                                 firstMergeOnlyId: Int) throws -> BytePairModel {
        var byteTokens = [Int32](repeating: -1, count: 256)
        var missing: [String] = []
        for b in 0..<256 {
            let name = byteTokenName(UInt8(b))
            if let id = Array(name.utf8).withUnsafeBufferPointer({ vocab.find($0) }) {
                byteTokens[b] = Int32(truncatingIfNeeded: id)
            } else {
                missing.append(name)
            }
        }
        if raw.requiresByteTokens && !missing.isEmpty {
            throw TokenizerError.malformed("raw UTF-8 vocabulary without its byte-fallback tokens \(missing.prefix(4).joined(separator: ", "))"
                                           + (missing.count > 4 ? " and \(missing.count - 4) more" : ""))
        }
        var symbols = vocab
        var nextId = firstMergeOnlyId
        func symbolId(_ bytes: [UInt8]) -> UInt64 {
            if let id = bytes.withUnsafeBufferPointer({ symbols.find($0) }) { return id }
            let id = UInt64(nextId)
            nextId += 1
            bytes.withUnsafeBufferPointer { symbols.insert($0, id) }
            return id
        }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(list.count)
        for (rank, (left, right)) in list.enumerated() {
            let a = symbolId(Array(left.utf8)), b = symbolId(Array(right.utf8))
            let merged = symbolId(Array(left.utf8) + Array(right.utf8))
            guard nextId < Int(UInt32.max) else { throw TokenizerError.malformed("\(list.count) merges overflow 32-bit ids") }
            let key = a << 32 | b
            if merges[key] == nil { merges[key] = UInt64(rank) << 32 | merged }
        }
        let symbolTable = RawSymbols(table: symbols, firstMergeOnlyId: firstMergeOnlyId, byteTokens: byteTokens,
                                     wholeNewlineRuns: raw.wholeNewlineRuns)
        return BytePairModel(vocab: vocab, merges: merges, ignoreMerges: false, raw: symbolTable)
    }

    /// `<0xNN>`, as SentencePiece and llama.cpp spell byte tokens (upper-case hex).
    static func byteTokenName(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return String(decoding: [0x3C, 0x30, 0x78, hex[Int(byte >> 4)], hex[Int(byte & 15)], 0x3E], as: UTF8.self)
    }

    /// The byte of a `<0xNN>` token string, or nil.
    static func byteTokenValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// `▁` (E2 96 81) to a space in `bytes[start...]`.
    private static func unescapeMetaspace(_ bytes: inout [UInt8], from start: Int) {
        var read = start, write = start
        while read < bytes.count {
            if read + 2 < bytes.count && bytes[read] == 0xE2 && bytes[read + 1] == 0x96 && bytes[read + 2] == 0x81 {
                bytes[write] = 0x20
                read += 3
            } else {
                bytes[write] = bytes[read]
                read += 1
            }
            write += 1
        }
        bytes.removeSubrange(write...)
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
        guard let bytes = raw ? Array(token.utf8) : ByteLevel.bytes(of: token) else { return nil }
        return bytes.withUnsafeBufferPointer { model.vocab.find($0) }.map { Int($0) }
    }

    /// One past the largest id (base vocabulary and added tokens).
    public var vocabularySize: Int { tokenStrings.count }

    public func isSpecial(_ id: Int) -> Bool { specialIds.contains(id) }
}
