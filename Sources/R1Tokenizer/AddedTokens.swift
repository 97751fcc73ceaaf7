// Added (and special) tokens found in raw text before pre-tokenization, as `tokenizers`' AddedVocabulary does:
// leftmost-longest, non-overlapping matches; single_word, lstrip and rstrip applied to each match afterwards.
import Foundation

/// A token outside the BPE merges, matched literally in the input (`tokenizer.json` "added_tokens").
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Skipped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool
    /// Matched against the normalised text instead of the raw text.
    public var normalized: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    public var singleWord: Bool

    public init(id: Int, content: String, special: Bool, normalized: Bool = false, lstrip: Bool = false,
                rstrip: Bool = false, singleWord: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.normalized = normalized
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
    }
}

/// One piece of the input: a run of ordinary text (`id == nil`) or an added token.
struct AddedTokenSegment {
    var range: Range<Int>
    var id: Int?
}

struct AddedTokenMatcher: Sendable {
    private struct Pattern: Sendable {
        var bytes: [UInt8]
        var token: AddedToken
    }

    /// Patterns of two or more bytes by their first two bytes, longest first; one-byte patterns by byte.
    private var byPrefix: [UInt16: [Pattern]] = [:]
    private var singleByte: [Pattern?] = Array(repeating: nil, count: 256)
    private var startsPattern: [Bool] = Array(repeating: false, count: 256)
    private(set) var isEmpty = true

    init(_ tokens: [AddedToken], transform: ([UInt8]) -> [UInt8] = { $0 }) {
        for token in tokens where !token.content.isEmpty {
            let bytes = transform(Array(token.content.utf8))
            guard let first = bytes.first else { continue }
            let pattern = Pattern(bytes: bytes, token: token)
            if bytes.count == 1 {
                if singleByte[Int(first)] == nil { singleByte[Int(first)] = pattern }
            } else {
                byPrefix[UInt16(first) << 8 | UInt16(bytes[1]), default: []].append(pattern)
            }
            startsPattern[Int(first)] = true
            isEmpty = false
        }
        for key in byPrefix.keys { byPrefix[key]!.sort { $0.bytes.count > $1.bytes.count } }
    }

    /// The longest pattern at `pos`, as a leftmost-longest automaton reports it.
    private func longestMatch(_ text: UnsafeBufferPointer<UInt8>, at pos: Int) -> Pattern? {
        let b0 = text[pos]
        if pos + 1 < text.count, let candidates = byPrefix[UInt16(b0) << 8 | UInt16(text[pos + 1])] {
            for pattern in candidates where pattern.bytes.count <= text.count - pos {
                let hit = pattern.bytes.withUnsafeBufferPointer { p in
                    memcmp(p.baseAddress!, text.baseAddress! + pos, p.count) == 0
                }
                if hit { return pattern }
            }
        }
        return singleByte[Int(b0)]
    }

    func split(_ text: UnsafeBufferPointer<UInt8>) -> [AddedTokenSegment] {
        let n = text.count
        if isEmpty || n == 0 { return [AddedTokenSegment(range: 0..<n, id: nil)] }
        var segments: [AddedTokenSegment] = []
        var startOffset = 0
        var pos = 0
        scan: while pos < n {
            if !startsPattern[Int(text[pos])] {
                pos += 1
                continue
            }
            if let pattern = longestMatch(text, at: pos) {
                let length = pattern.bytes.count
                var start = pos, stop = pos + length
                pos = stop  // matches never overlap, even when this one is discarded below
                let token = pattern.token
                if token.singleWord {
                    let wordBefore = start > 0 && isWordScalar(scalarBefore(text, start))
                    let wordAfter = stop < n && isWordScalar(scalarAt(text, stop))
                    if wordBefore || wordAfter { continue scan }
                }
                if token.lstrip {
                    var s = start
                    while s > 0 {
                        let (value, length) = scalarBeforeWithLength(text, s)
                        guard classBits(value) & ScalarClass.whiteSpace.rawValue != 0 else { break }
                        s -= length
                    }
                    start = max(s, startOffset)
                }
                if token.rstrip {
                    while stop < n {
                        let (value, length) = scalarAtWithLength(text, stop)
                        guard classBits(value) & ScalarClass.whiteSpace.rawValue != 0 else { break }
                        stop += length
                    }
                }
                if startOffset < start { segments.append(AddedTokenSegment(range: startOffset..<start, id: nil)) }
                segments.append(AddedTokenSegment(range: start..<stop, id: token.id))
                startOffset = stop
                pos = max(pos, stop)
                continue scan
            }
            pos += 1
        }
        if startOffset < n { segments.append(AddedTokenSegment(range: startOffset..<n, id: nil)) }
        return segments
    }
}

// MARK: - UTF-8 helpers

/// Rust regex's Unicode `\w` (what `tokenizers` uses for single_word): Alphabetic, marks, decimal digits,
/// connector punctuation, Join_Control.
private func isWordScalar(_ value: UInt32) -> Bool {
    if classBits(value) & (ScalarClass.mark.rawValue | ScalarClass.nd.rawValue | ScalarClass.pc.rawValue) != 0 {
        return true
    }
    guard let scalar = Unicode.Scalar(value) else { return false }
    return scalar.properties.isAlphabetic || scalar.properties.isJoinControl
}

private func scalarAt(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 { scalarAtWithLength(text, i).0 }
private func scalarBefore(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 { scalarBeforeWithLength(text, i).0 }

private func scalarAtWithLength(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    let lead = UInt32(text[i])
    let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    var value = length == 1 ? lead : lead & (0x7F >> UInt32(length))
    for k in 1..<length where i + k < text.count { value = (value << 6) | (UInt32(text[i + k]) & 0x3F) }
    return (value, length)
}

private func scalarBeforeWithLength(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    var start = i - 1
    while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
    return (scalarAtWithLength(text, start).0, i - start)
}
