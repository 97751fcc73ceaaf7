// Normalizers and pre-tokenizers of `tokenizers` (NFC; Split with a regex; ByteLevel; Sequence), plus the table
// from GGUF `tokenizer.ggml.pre` names to the same steps (llama.cpp's llama-vocab.cpp lists the per-name regexes).
import Foundation

// MARK: - Text as scalars

/// A piece of text as Unicode scalars with their class bits and UTF-8 byte offsets (`offsets.count == count + 1`).
struct ScalarText {
    var utf8: [UInt8]
    var scalars: [UInt32] = []
    var bits: [UInt32] = []
    var offsets: [Int32] = []

    init<C: Collection>(utf8 bytes: C) where C.Element == UInt8 {
        utf8 = Array(bytes)
        scalars.reserveCapacity(utf8.count)
        bits.reserveCapacity(utf8.count)
        offsets.reserveCapacity(utf8.count + 1)
        utf8.withUnsafeBufferPointer { b in
            var i = 0
            let n = b.count
            while i < n {
                let lead = UInt32(b[i])
                var value: UInt32
                var length: Int
                if lead < 0x80 { value = lead; length = 1 }
                else if lead < 0xE0 { value = lead & 0x1F; length = 2 }
                else if lead < 0xF0 { value = lead & 0x0F; length = 3 }
                else { value = lead & 0x07; length = 4 }
                for k in 1..<length where i + k < n { value = (value << 6) | (UInt32(b[i + k]) & 0x3F) }
                scalars.append(value)
                bits.append(classBits(value))
                offsets.append(Int32(i))
                i += length
            }
            offsets.append(Int32(n))
        }
    }

    var count: Int { scalars.count }

    func byteRange(_ range: Range<Int>) -> Range<Int> { Int(offsets[range.lowerBound])..<Int(offsets[range.upperBound]) }
}

// MARK: - Normalizers

enum Normalization: Sendable {
    case nfc, nfd, nfkc, nfkd
    /// SentencePiece's escaped whitespace: each space becomes U+2581 `▁` (llama.cpp's escape_whitespaces).
    case metaspace
    /// Each scalar to its one-scalar lowercase, as llama.cpp's unicode_tolower (GGUF normalizer.lowercase).
    case lowercase

    init(type: String) throws {
        switch type {
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        default: throw TokenizerError.unsupported("normalizer \(type)")
        }
    }

    func apply(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .metaspace: return Self.escapeSpaces(bytes)
        case .lowercase: return Self.lowercased(bytes)
        default: break
        }
        // Every scalar below U+0300 is stable under NFC (their UTF-8 lead bytes are below 0xCC).
        if self == .nfc && !bytes.contains(where: { $0 >= 0xCC }) { return bytes }
        if !bytes.contains(where: { $0 >= 0x80 }) { return bytes }
        let string = String(decoding: bytes, as: UTF8.self)
        // Composition uses the standard library's NFC: Foundation's on Linux mis-composes astral scalars
        // (U+10072 U+030F becomes U+0211).
        switch self {
        case .nfc: return string._nfcCodeUnits
        case .nfd: return Array(string.decomposedStringWithCanonicalMapping.utf8)
        case .nfkc: return string.decomposedStringWithCompatibilityMapping._nfcCodeUnits
        case .nfkd: return Array(string.decomposedStringWithCompatibilityMapping.utf8)
        case .metaspace, .lowercase: return bytes
        }
    }

    private static func escapeSpaces(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x20) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        for b in bytes {
            if b == 0x20 { out += [0xE2, 0x96, 0x81] } else { out.append(b) }
        }
        return out
    }

    private static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        var scalars = String.UnicodeScalarView()
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if scalar.isASCII {
                scalars.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20)! : scalar)
            } else {
                // The simple mapping: İ's full lowercase is i + U+0307, its simple one (llama.cpp's) is i.
                scalars.append(scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar)
            }
        }
        return Array(String(scalars).utf8)
    }
}

// MARK: - Pre-tokenizers

enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

enum PreTokenizerStep: Sendable {
    case split(PreTokenizerRegex, SplitBehavior, invert: Bool)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case handWritten(HandWrittenSplit)
}

/// GPT-2's pattern, which ByteLevel applies when `use_regex` is true.
let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
private let gpt2Regex = try! PreTokenizerRegex(gpt2Pattern)

struct PreTokenizer: Sendable {
    var steps: [PreTokenizerStep]

    /// The Split patterns in order (for checking the GGUF table against tokenizer.json).
    var splitPatterns: [String] {
        steps.compactMap { if case .split(let regex, _, _) = $0 { regex.pattern } else { nil } }
    }

    /// Splits `text` into word pieces (scalar ranges); may rewrite `text` (ByteLevel's prefix space).
    func pieces(of text: inout ScalarText) -> [Range<Int>] {
        var ranges = text.count > 0 ? [0..<text.count] : []
        for step in steps {
            switch step {
            case .split(let regex, let behavior, let invert):
                var next: [Range<Int>] = []
                next.reserveCapacity(ranges.count * 2)
                for range in ranges { split(range, in: text, regex, behavior, invert, into: &next) }
                ranges = next
            case .handWritten(let splitter):
                var next: [Range<Int>] = []
                next.reserveCapacity(ranges.count * 2)
                for range in ranges { splitter.split(range, in: text, into: &next) }
                ranges = next
            case .byteLevel(let addPrefixSpace, let useRegex):
                if addPrefixSpace { ranges = prependSpaces(&text, ranges) }
                if useRegex {
                    var next: [Range<Int>] = []
                    for range in ranges { split(range, in: text, gpt2Regex, .isolated, false, into: &next) }
                    ranges = next
                }
            }
        }
        return ranges
    }

    private func split(_ range: Range<Int>, in text: ScalarText, _ regex: PreTokenizerRegex,
                       _ behavior: SplitBehavior, _ invert: Bool, into out: inout [Range<Int>]) {
        if behavior == .isolated && !invert {  // the common case: matches and gaps in order
            var last = range.lowerBound
            regex.forEachMatch(in: text, range: range) { start, end in
                if start > last { out.append(last..<start) }
                out.append(start..<end)
                last = end
            }
            if last < range.upperBound { out.append(last..<range.upperBound) }
            return
        }
        var parts: [(Range<Int>, Bool)] = []
        var last = range.lowerBound
        regex.forEachMatch(in: text, range: range) { start, end in
            if start > last { parts.append((last..<start, invert)) }
            parts.append((start..<end, !invert))
            last = end
        }
        if last < range.upperBound { parts.append((last..<range.upperBound, invert)) }
        var result: [Range<Int>] = []
        var previousMatch = false
        switch behavior {
        case .isolated: result = parts.map(\.0)
        case .removed: result = parts.filter { !$0.1 }.map(\.0)
        case .mergedWithPrevious:
            for (r, isMatch) in parts {
                if isMatch && !previousMatch && !result.isEmpty {
                    result[result.count - 1] = result[result.count - 1].lowerBound..<r.upperBound
                } else {
                    result.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            for (r, isMatch) in parts.reversed() {
                if isMatch && !previousMatch && !result.isEmpty {
                    result[result.count - 1] = r.lowerBound..<result[result.count - 1].upperBound
                } else {
                    result.append(r)
                }
                previousMatch = isMatch
            }
            result.reverse()
        case .contiguous:
            for (r, isMatch) in parts {
                if isMatch == previousMatch && !result.isEmpty {
                    result[result.count - 1] = result[result.count - 1].lowerBound..<r.upperBound
                } else {
                    result.append(r)
                }
                previousMatch = isMatch
            }
        }
        out += result.filter { !$0.isEmpty }
    }

    /// ByteLevel's `add_prefix_space`: each piece that does not start with a space gets one.
    private func prependSpaces(_ text: inout ScalarText, _ ranges: [Range<Int>]) -> [Range<Int>] {
        var bytes: [UInt8] = []
        var starts: [Int] = []  // scalar index of each new piece in the rebuilt text
        var scalarCount = 0
        for range in ranges {
            starts.append(scalarCount)
            if text.scalars[range.lowerBound] != 0x20 {
                bytes.append(0x20)
                scalarCount += 1
            }
            bytes += text.utf8[text.byteRange(range)]
            scalarCount += range.count
        }
        text = ScalarText(utf8: bytes)
        return zip(starts, starts.dropFirst() + [scalarCount]).map { $0..<$1 }
    }
}

// MARK: - GGUF names

/// What a GGUF `tokenizer.ggml.pre` name means for encoding, as llama.cpp's llm_tokenizer_bpe sets it up.
struct GGUFPreTokenization {
    var preTokenizer: PreTokenizer
    var normalizers: [Normalization] = []
    /// Raw UTF-8 tokens with `<0xNN>` byte fallback (llama.cpp's byte_encode = false); nil for byte-level ones.
    var raw: RawSpelling?
    /// llama.cpp adds BOS whatever the GGUF says (Gemma 4).
    var forcesBos = false
}

/// Pre-tokenizer steps and normaliser for a GGUF `tokenizer.ggml.pre` name, as llama.cpp maps it (PreTokenizerNames).
/// Unknown names are errors naming them.
func ggufPreTokenizer(named name: String) throws -> GGUFPreTokenization {
    guard let type = llamaPreTokenizerTypes[name] else { throw TokenizerError.unknownPreTokenizer(name) }
    if type == "gpt2" {  // GPT-2's one regex is ByteLevel's own
        return GGUFPreTokenization(preTokenizer: PreTokenizer(steps: [.byteLevel(addPrefixSpace: false, useRegex: true)]))
    }
    guard let patterns = llamaPreTokenizerRegexes[type] else { throw TokenizerError.unknownPreTokenizer(name) }
    var steps: [PreTokenizerStep] = []
    for p in patterns {
        if let splitter = llamaHandWrittenSplits[p] {  // llama.cpp's unicode_regex_split_custom dispatch
            steps.append(.handWritten(splitter))
            continue
        }
        do {
            steps.append(.split(try PreTokenizerRegex(p), .isolated, invert: false))
        } catch {
            throw TokenizerError.unsupported("pre-tokenizer '\(name)': its regex \(p) uses what R1Tokenizer's regex engine lacks (\(error))")
        }
    }
    var result = GGUFPreTokenization(preTokenizer: PreTokenizer(steps: steps))
    switch type {
    case "gemma4", "sarvam_moe":  // SentencePiece-style BPE: spaces as ▁, split only at newlines
        result.normalizers = [.metaspace]
        result.raw = RawSpelling(metaspace: true, wholeNewlineRuns: type == "gemma4", requiresByteTokens: true)
        result.forcesBos = type == "gemma4"
    case "whitespace":
        result.raw = RawSpelling()
    default:
        result.preTokenizer.steps.append(.byteLevel(addPrefixSpace: false, useRegex: false))
        // Qwen's tokenizer.json normalises to NFC before splitting (llama.cpp does not).
        if type == "qwen2" || type == "qwen35" { result.normalizers = [.nfc] }
    }
    return result
}

/// Whether BPE takes a whole word found in the vocabulary without merging, for a GGUF pre-tokenizer name.
func ggufIgnoresMerges(_ name: String) -> Bool { llamaIgnoreMergesNames.contains(name) }
