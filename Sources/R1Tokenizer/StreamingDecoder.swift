// Incremental detokenization: ids in, text out, holding back the bytes of a character split across tokens so the
// pieces concatenate to `decode(ids)` and never carry a broken character.

public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    private var pending: [UInt8] = []
    private var emittedToken = false

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Text completed by `id` (possibly empty while a multi-byte character is still incomplete).
    public mutating func feed(_ id: Int) -> String {
        if !tokenizer.byteLevelDecoder {  // no decoder: token strings joined with spaces
            guard !(skipSpecialTokens && tokenizer.isSpecial(id)), let token = tokenizer.tokenString(id) else { return "" }
            defer { emittedToken = true }
            return emittedToken ? " " + token : token
        }
        tokenizer.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &pending)
        let keep = incompleteSuffixLength(pending)
        guard pending.count > keep else { return "" }
        let text = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Whatever is held back, invalid bytes as U+FFFD; the decoder is empty afterwards.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}

/// Length of a trailing, valid-so-far but unfinished UTF-8 sequence (0 when the buffer ends on a boundary).
func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
    let n = bytes.count
    var start = n - 1
    // Find the last lead byte within the final 3 bytes.
    while start >= 0 && start > n - 4 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
    guard start >= 0 && start > n - 4 else { return 0 }
    let lead = bytes[start]
    let need: Int
    switch lead {
    case 0xC2...0xDF: need = 2
    case 0xE0...0xEF: need = 3
    case 0xF0...0xF4: need = 4
    default: return 0
    }
    let have = n - start
    guard have < need else { return 0 }
    // The second byte's range depends on the lead (no overlongs, surrogates or values past U+10FFFF).
    if have >= 2 {
        let second = bytes[start + 1]
        let ok: Bool
        switch lead {
        case 0xE0: ok = (0xA0...0xBF).contains(second)
        case 0xED: ok = (0x80...0x9F).contains(second)
        case 0xF0: ok = (0x90...0xBF).contains(second)
        case 0xF4: ok = (0x80...0x8F).contains(second)
        default: ok = (0x80...0xBF).contains(second)
        }
        if !ok { return 0 }
    }
    return have
}
