// Tool calls in a model's answer, parsed while it streams, in the formats vLLM's tool parsers read: DeepSeek's
// <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>…<｜tool▁sep｜>…<｜tool▁call▁end｜>…<｜tool▁calls▁end｜> (R1's
// `function<｜tool▁sep｜>NAME\n```json\nARGS\n```` and V3.1's `NAME<｜tool▁sep｜>ARGS`), Qwen/Hermes
// `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, and Llama 3's leading `{"name": …, "parameters": {…}}`.
import Foundation
import R1Tokenizer

/// How a model writes tool calls; a chat template says which by the markers it renders.
public enum ToolCallFormat: String, Sendable, CaseIterable {
    case deepseek, hermes, llama3

    /// The format `template` teaches, or nil when it renders no tool-call markers.
    public static func detect(template: String) -> ToolCallFormat? {
        if template.contains(ToolCallParser.callBegin) { return .deepseek }
        if template.contains("<tool_call>") { return .hermes }
        if template.contains("<|python_tag|>") || template.contains("\"parameters\": ") { return .llama3 }
        return nil
    }
}

/// One complete call: the function's name and its arguments as JSON object text.
public struct ToolCall: Sendable, Equatable {
    public var name: String
    public var arguments: String

    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

public enum ToolCallEvent: Sendable, Equatable {
    /// Answer text that is not a call.
    case content(String)
    /// A call, sent once it is complete and its arguments parse as a JSON object.
    case call(ToolCall)
}

/// Splits streamed answer text into content and tool calls. Text that may be the start of a call is held back
/// until it is decided; a call that turns out malformed (no closing marker at the end, arguments that are not a
/// JSON object, no name) goes out as content, byte for byte. Whitespace between and after calls is dropped.
public struct ToolCallParser: Sendable {
    public static let callsBegin = "<｜tool▁calls▁begin｜>"
    public static let callsEnd = "<｜tool▁calls▁end｜>"
    public static let callBegin = "<｜tool▁call▁begin｜>"
    public static let callEnd = "<｜tool▁call▁end｜>"
    public static let sep = "<｜tool▁sep｜>"
    public static let hermesOpen = "<tool_call>"
    public static let hermesClose = "</tool_call>"
    static let pythonTag = "<|python_tag|>"

    private enum State: Sendable {
        /// Content, watching for the format's opening marker.
        case text
        /// DeepSeek: inside a calls section, between calls.
        case section
        /// Hermes: after `<tool_call>`, until `</tool_call>`.
        case hermesCall
        /// Llama 3: before the first non-space text of the answer.
        case llamaStart
        /// Llama 3: a JSON object is being read.
        case llamaJSON
        /// Llama 3: after a call; `;` starts another.
        case llamaNext
        /// Llama 3: the answer is plain text to its end.
        case plain
    }

    public let format: ToolCallFormat
    private var state: State
    /// Undecided bytes (UTF-8). Every cut is made at an ASCII byte, so content pieces stay whole characters.
    private var buffer: [UInt8] = []
    /// Raw text of an opened but undecided construct (a section opener, a python tag), sent as content if no call follows.
    private var raw: [UInt8] = []
    /// Whitespace after a call, sent only if more content follows.
    private var pendingSpace: [UInt8] = []
    private var afterCall = false
    private var events: [ToolCallEvent] = []
    /// Calls parsed so far.
    public private(set) var callCount = 0

    public init(format: ToolCallFormat) {
        self.format = format
        state = format == .llama3 ? .llamaStart : .text
    }

    /// Feeds the next piece of answer text; returns what is decided.
    public mutating func feed(_ text: String) -> [ToolCallEvent] {
        buffer.append(contentsOf: text.utf8)
        while step(final: false) {}
        return takeEvents()
    }

    /// Ends the text: whatever is still held is decided (an unfinished call is content).
    public mutating func finish() -> [ToolCallEvent] {
        while step(final: true) {}
        if !buffer.isEmpty || !raw.isEmpty { emitContent(raw + buffer) }
        buffer = []
        raw = []
        return takeEvents()
    }

    /// Parses a whole answer at once.
    public static func parse(_ text: String, format: ToolCallFormat) -> (content: String, calls: [ToolCall]) {
        var p = ToolCallParser(format: format)
        var content = ""
        var calls: [ToolCall] = []
        for e in p.feed(text) + p.finish() {
            switch e {
            case .content(let s): content += s
            case .call(let c): calls.append(c)
            }
        }
        return (content, calls)
    }

    private mutating func takeEvents() -> [ToolCallEvent] {
        defer { events = [] }
        return events
    }

    // MARK: - Emitting

    private mutating func emitContent<C: Collection<UInt8>>(_ bytes: C) {
        guard !bytes.isEmpty else { return }
        if afterCall {
            if bytes.allSatisfy(Self.isSpace) {
                pendingSpace.append(contentsOf: bytes)
                return
            }
            afterCall = false
        }
        let text = String(decoding: pendingSpace + Array(bytes), as: UTF8.self)
        pendingSpace = []
        if case .content(let previous)? = events.last {
            events[events.count - 1] = .content(previous + text)
        } else {
            events.append(.content(text))
        }
    }

    private mutating func emitCall(_ call: ToolCall) {
        pendingSpace = []
        afterCall = true
        callCount += 1
        events.append(.call(call))
    }

    // MARK: - The state machine

    /// Makes one decision; false when it needs more text (or, when `final`, when nothing is left).
    private mutating func step(final: Bool) -> Bool {
        switch state {
        case .text:
            let markers = format == .deepseek ? [Self.callsBegin, Self.callBegin] : [Self.hermesOpen]
            guard let found = Self.firstMarker(markers, in: buffer) else {
                let keep = final ? 0 : Self.heldSuffix(buffer, markers)
                emitContent(buffer[..<(buffer.count - keep)])
                buffer.removeFirst(buffer.count - keep)
                return false
            }
            let (at, marker) = found
            emitContent(buffer[..<at])
            if marker == Self.callBegin {  // a section without its opener
                buffer.removeFirst(at)
                raw = []
            } else {
                buffer.removeFirst(at + marker.utf8.count)
                raw = Array(marker.utf8)
            }
            state = format == .deepseek ? .section : .hermesCall
            return true
        case .section:
            return sectionStep(final: final)
        case .hermesCall:
            return hermesStep(final: final)
        case .llamaStart, .llamaJSON, .llamaNext, .plain:
            return llamaStep(final: final)
        }
    }

    private mutating func sectionStep(final: Bool) -> Bool {
        let space = buffer.prefix(while: Self.isSpace).count
        let rest = buffer[space...]
        if rest.starts(with: Self.callsEnd.utf8) {
            let end = space + Self.callsEnd.utf8.count
            if raw.starts(with: Self.callsBegin.utf8) { emitContent(raw + buffer[..<end]) }  // an empty section
            raw = []
            buffer.removeFirst(end)
            state = .text
            return true
        }
        if rest.starts(with: Self.callBegin.utf8) {
            let bodyStart = space + Self.callBegin.utf8.count
            let endAt = Self.find(Self.callEnd, in: buffer, from: bodyStart)
            let nextAt = Self.find(Self.callBegin, in: buffer, from: bodyStart)
            if let e = endAt, nextAt.map({ e < $0 }) ?? true {
                let end = e + Self.callEnd.utf8.count
                if let call = Self.deepseekCall(buffer[bodyStart..<e]) {
                    raw = []
                    emitCall(call)
                } else {
                    emitContent(raw + buffer[..<end])
                    raw = []
                }
                buffer.removeFirst(end)
                return true
            }
            if let n = nextAt {  // a call opened inside a call: the first one is malformed
                emitContent(raw + buffer[..<n])
                raw = []
                buffer.removeFirst(n)
                return true
            }
            if final {
                emitContent(raw + buffer)
                raw = []
                buffer = []
                state = .text
            }
            return false
        }
        let undecided = rest.isEmpty || Self.callBegin.utf8.starts(with: rest) || Self.callsEnd.utf8.starts(with: rest)
        if undecided && !final { return false }
        // anything else ends the section: the rest is content
        emitContent(raw + buffer[..<space])
        raw = []
        buffer.removeFirst(space)
        state = .text
        return !buffer.isEmpty
    }

    private mutating func hermesStep(final: Bool) -> Bool {
        let close = Self.find(Self.hermesClose, in: buffer, from: 0)
        let reopen = Self.find(Self.hermesOpen, in: buffer, from: 0)
        if let c = close, reopen.map({ c < $0 }) ?? true {
            let end = c + Self.hermesClose.utf8.count
            if let call = Self.hermesCall(buffer[..<c]) { emitCall(call) } else { emitContent(raw + buffer[..<end]) }
            raw = []
            buffer.removeFirst(end)
            state = .text
            return true
        }
        if let r = reopen {
            emitContent(raw + buffer[..<r])
            raw = []
            buffer.removeFirst(r)
            state = .text
            return true
        }
        guard final else { return false }
        // the model stopped before `</tool_call>`: a whole call is still a call
        if let call = Self.hermesCall(buffer[...]) { emitCall(call) } else { emitContent(raw + buffer) }
        raw = []
        buffer = []
        state = .text
        return false
    }

    private mutating func llamaStep(final: Bool) -> Bool {
        let space = buffer.prefix(while: Self.isSpace).count
        let rest = buffer[space...]
        switch state {
        case .llamaStart:
            if rest.starts(with: Self.pythonTag.utf8) {
                raw = Array(buffer[..<(space + Self.pythonTag.utf8.count)])
                buffer.removeFirst(raw.count)
                state = .llamaJSON
                return true
            }
            if rest.first == UInt8(ascii: "{") {
                raw = Array(buffer[..<space])
                buffer.removeFirst(space)
                state = .llamaJSON
                return true
            }
            if !final && (rest.isEmpty || Self.pythonTag.utf8.starts(with: rest)) { return false }
            state = .plain
            return true
        case .llamaJSON:
            let start = space
            if rest.isEmpty && !final { return false }
            guard rest.first == UInt8(ascii: "{") else {
                state = .plain
                return true
            }
            guard let end = Self.objectEnd(buffer, from: start) else {
                if final { state = .plain }
                return final
            }
            if let call = Self.llamaCall(buffer[start..<end]) {
                emitCall(call)
                raw = []
                buffer.removeFirst(end)
                state = .llamaNext
            } else {
                state = .plain
            }
            return true
        case .llamaNext:
            if rest.first == UInt8(ascii: ";") {
                raw = Array(buffer[..<(space + 1)])
                buffer.removeFirst(space + 1)
                state = .llamaJSON
                return true
            }
            if rest.isEmpty && !final { return false }
            state = .plain
            return true
        default:  // .plain
            emitContent(raw + buffer)
            raw = []
            buffer = []
            return false
        }
    }

    // MARK: - Reading one call

    /// `function<｜tool▁sep｜>NAME\n```json\nARGS\n```` (R1) or `NAME<｜tool▁sep｜>ARGS` (V3.1).
    static func deepseekCall(_ body: ArraySlice<UInt8>) -> ToolCall? {
        let text = String(decoding: body, as: UTF8.self)
        guard let sepRange = text.range(of: sep) else { return nil }
        let before = text[..<sepRange.lowerBound], after = text[sepRange.upperBound...]
        var name: Substring, args: Substring
        if let fence = after.range(of: "```json") {
            name = after[..<fence.lowerBound]
            args = after[fence.upperBound...]
            guard let close = args.range(of: "```", options: .backwards) else { return nil }
            args = args[..<close.lowerBound]
            if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { name = before }  // V3.1 with a fence
        } else {
            name = before
            args = after
        }
        let n = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let a = args.trimmingCharacters(in: .whitespacesAndNewlines)
        guard validName(n), case .object? = try? JinjaValue(jsonString: a) else { return nil }
        return ToolCall(name: n, arguments: a)
    }

    /// `{"name": NAME, "arguments": {…}}`; arguments written as a JSON string holding an object are accepted too.
    static func hermesCall(_ body: ArraySlice<UInt8>) -> ToolCall? {
        jsonCall(String(decoding: body, as: UTF8.self), argumentKeys: ["arguments", "parameters"])
    }

    /// `{"name": NAME, "parameters": {…}}` (Llama 3.1's format; "arguments" is accepted as well).
    static func llamaCall(_ body: ArraySlice<UInt8>) -> ToolCall? {
        jsonCall(String(decoding: body, as: UTF8.self), argumentKeys: ["parameters", "arguments"])
    }

    static func jsonCall(_ text: String, argumentKeys: [String]) -> ToolCall? {
        guard case .object(let o)? = try? JinjaValue(jsonString: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              case .string(let name)? = o["name"], validName(name) else { return nil }
        var arguments: JinjaValue = .object(JinjaObject())
        if let key = argumentKeys.first(where: { o[$0] != nil }) { arguments = o[key]! }
        if case .string(let s) = arguments, let parsed = try? JinjaValue(jsonString: s) { arguments = parsed }
        guard case .object = arguments else { return nil }
        return ToolCall(name: name, arguments: arguments.jsonText)
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 256 && !name.contains(where: { $0.isWhitespace || $0 == "<" || $0 == "{" })
    }

    // MARK: - Byte search

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    static func find(_ marker: String, in bytes: [UInt8], from start: Int) -> Int? {
        let m = Array(marker.utf8)
        guard bytes.count >= m.count, start <= bytes.count - m.count else { return nil }
        for i in start...(bytes.count - m.count) where bytes[i] == m[0] && bytes[i..<(i + m.count)].elementsEqual(m) {
            return i
        }
        return nil
    }

    static func firstMarker(_ markers: [String], in bytes: [UInt8]) -> (Int, String)? {
        markers.compactMap { m in find(m, in: bytes, from: 0).map { ($0, m) } }.min { $0.0 < $1.0 }
    }

    /// The longest suffix of `bytes` that is a proper prefix of a marker: it may become one.
    static func heldSuffix(_ bytes: [UInt8], _ markers: [String]) -> Int {
        var best = 0
        for m in markers {
            let mb = Array(m.utf8)
            for k in stride(from: min(mb.count - 1, bytes.count), to: best, by: -1)
            where bytes[(bytes.count - k)...].elementsEqual(mb[..<k]) {
                best = k
                break
            }
        }
        return best
    }

    /// The index just past the JSON object that starts at `start`, or nil while it is unclosed.
    static func objectEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0, inString = false, escaped = false
        for i in start..<bytes.count {
            let b = bytes[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
        }
        return nil
    }
}
