// Text-level pieces of the per-token post-processing: stop strings held back while they may still match, the
// <think> / </think> split into reasoning and answer (tags spread over several tokens included), and the loop guard.
// The trimming follows DeepSeek's API: no "\n" after <think> in reasoning_content, no "\n\n" after </think> in content.

/// Holds back text that could be the start of a stop string; reports the first complete match.
struct StopMatcher {
    let stops: [String]
    private var buffer = ""

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Text safe to emit, and the stop string when one completed (text after it is dropped).
    mutating func feed(_ piece: String) -> (text: String, stopped: String?) {
        if stops.isEmpty { return (piece, nil) }
        buffer += piece
        var best: (Range<String.Index>, String)?
        for s in stops {
            if let r = buffer.range(of: s), best == nil || r.lowerBound < best!.0.lowerBound { best = (r, s) }
        }
        if let (r, s) = best {
            let out = String(buffer[..<r.lowerBound])
            buffer = ""
            return (out, s)
        }
        let hold = stops.map { longestSuffixPrefix(buffer, $0) }.max() ?? 0
        let cut = buffer.index(buffer.endIndex, offsetBy: -hold)
        let out = String(buffer[..<cut])
        buffer.removeSubrange(..<cut)
        return (out, nil)
    }

    /// Whatever is held back (generation ended without a match).
    mutating func flush() -> String { defer { buffer = "" }; return buffer }
}

/// Length (in Characters) of the longest proper suffix of `text` that is a prefix of `pattern`.
func longestSuffixPrefix(_ text: String, _ pattern: String) -> Int {
    let n = min(text.count, pattern.count - 1)
    if n <= 0 { return 0 }
    for k in stride(from: n, to: 0, by: -1) where pattern.hasPrefix(text.suffix(k)) { return k }
    return 0
}

/// Splits generated text into reasoning and answer at `<think>` / `</think>`, never emitting the tags.
struct ThinkSplitter {
    enum Mode: Equatable {
        /// Nothing but whitespace yet: the model may still open thinking itself.
        case undecided
        case reasoning
        case content
    }
    static let open = "<think>", close = "</think>"

    private(set) var mode: Mode
    /// False for models without a <think> token: everything is content, verbatim.
    let parsesTags: Bool
    private(set) var opened: Bool
    private(set) var closed = false
    private var buffer = ""
    private var reasoningStarted = false
    private var trimContentStart = false

    init(parsesTags: Bool, opensThinking: Bool) {
        self.parsesTags = parsesTags
        opened = parsesTags && opensThinking
        mode = !parsesTags ? .content : (opensThinking ? .reasoning : .undecided)
    }

    enum Piece: Equatable { case reasoning(String), content(String) }

    mutating func feed(_ text: String) -> [Piece] {
        guard parsesTags else { return text.isEmpty ? [] : [.content(text)] }
        buffer += text
        return drain(final: false)
    }

    mutating func flush() -> [Piece] { guard parsesTags else { return [] }; return drain(final: true) }

    private mutating func drain(final: Bool) -> [Piece] {
        var out: [Piece] = []
        while true {
            switch mode {
            case .undecided:
                let trimmed = buffer.drop { $0.isWhitespace }
                if trimmed.hasPrefix(Self.open) {
                    buffer = String(trimmed.dropFirst(Self.open.count))
                    mode = .reasoning
                    opened = true
                    continue
                }
                if !final && Self.open.hasPrefix(trimmed) { return out }  // may still become <think>
                mode = .content
                continue
            case .reasoning:
                if let r = firstTag(in: buffer) {
                    emitReasoning(String(buffer[..<r.range.lowerBound]), end: true, into: &out)
                    buffer = String(buffer[r.range.upperBound...])
                    if r.tag == Self.close {
                        mode = .content
                        closed = true
                        trimContentStart = true
                    }
                    continue
                }
                if final {
                    emitReasoning(buffer, end: true, into: &out)
                    buffer = ""
                    return out
                }
                // Hold back a possible tag start and trailing whitespace (dropped if </think> follows).
                var cut = buffer.index(buffer.endIndex, offsetBy: -tagHold(buffer))
                while cut > buffer.startIndex, buffer[buffer.index(before: cut)].isWhitespace { cut = buffer.index(before: cut) }
                emitReasoning(String(buffer[..<cut]), end: false, into: &out)
                buffer.removeSubrange(..<cut)
                return out
            case .content:
                if trimContentStart {
                    buffer = String(buffer.drop { $0.isWhitespace })
                    if buffer.isEmpty { return out }
                    trimContentStart = false
                }
                if let r = firstTag(in: buffer) {  // stray tags are dropped from the answer
                    append(.content(String(buffer[..<r.range.lowerBound])), to: &out)
                    buffer = String(buffer[r.range.upperBound...])
                    continue
                }
                let hold = final ? 0 : tagHold(buffer)
                let cut = buffer.index(buffer.endIndex, offsetBy: -hold)
                append(.content(String(buffer[..<cut])), to: &out)
                buffer.removeSubrange(..<cut)
                return out
            }
        }
    }

    private mutating func emitReasoning(_ text: String, end: Bool, into out: inout [Piece]) {
        var s = Substring(text)
        if !reasoningStarted { s = s.drop { $0.isWhitespace } }
        if end { while let last = s.last, last.isWhitespace { s = s.dropLast() } }
        if s.isEmpty { return }
        reasoningStarted = true
        append(.reasoning(String(s)), to: &out)
    }

    private func append(_ p: Piece, to out: inout [Piece]) {
        switch p {
        case .reasoning(let s) where s.isEmpty, .content(let s) where s.isEmpty: return
        default: out.append(p)
        }
    }

    private func firstTag(in s: String) -> (range: Range<String.Index>, tag: String)? {
        let a = s.range(of: Self.open), b = s.range(of: Self.close)
        switch (a, b) {
        case let (a?, b?): return a.lowerBound < b.lowerBound ? (a, Self.open) : (b, Self.close)
        case let (a?, nil): return (a, Self.open)
        case let (nil, b?): return (b, Self.close)
        default: return nil
        }
    }

    private func tagHold(_ s: String) -> Int { max(longestSuffixPrefix(s, Self.open), longestSuffixPrefix(s, Self.close)) }
}

/// Detects a chain of thought that repeats the same n-gram `repeats` times within `window` tokens.
struct LoopDetector {
    let settings: LoopGuard
    private var tokens: [Int] = []
    private var ends: [[Int]: [Int]] = [:]  // n-gram -> positions where it ended

    init(_ settings: LoopGuard) { self.settings = settings }

    mutating func add(_ token: Int) -> Bool {
        tokens.append(token)
        let n = settings.ngram
        guard n > 0, tokens.count >= n else { return false }
        let key = Array(tokens.suffix(n))
        let position = tokens.count
        var list = ends[key, default: []]
        list.removeAll { $0 <= position - settings.window }
        list.append(position)
        ends[key] = list
        return list.count >= settings.repeats
    }
}
