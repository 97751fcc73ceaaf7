// A small backtracking regex engine for pre-tokenizer Split patterns, with Oniguruma's (Perl-style) semantics:
// leftmost-first alternation, greedy quantifiers, \p{..} classes, (?i:..), (?!..), as `tokenizers` runs them.

/// Errors raised while loading a tokenizer.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unsupported(String)
    case invalidPattern(String, reason: String)
    case unknownPreTokenizer(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .unsupported(let what): return "unsupported tokenizer component: \(what)"
        case .invalidPattern(let pattern, let reason): return "cannot compile pre-tokenizer regex \(pattern): \(reason)"
        case .unknownPreTokenizer(let name): return "unknown pre-tokenizer name '\(name)'"
        case .malformed(let what): return "malformed tokenizer file: \(what)"
        }
    }
}

/// A character class: ASCII bitmap fast path, category bits and explicit ranges otherwise.
struct RegexCharClass: Sendable {
    var negated = false
    var categories: UInt32 = 0
    var ranges: [ClosedRange<UInt32>] = []
    var caseInsensitive = false
    private(set) var asciiLow: UInt64 = 0
    private(set) var asciiHigh: UInt64 = 0

    mutating func finish() {
        asciiLow = 0
        asciiHigh = 0
        for value in UInt32(0)..<128 where slowContains(value, bits: classBits(value)) {
            if value < 64 { asciiLow |= 1 << UInt64(value) } else { asciiHigh |= 1 << UInt64(value - 64) }
        }
    }

    func slowContains(_ value: UInt32, bits: UInt32) -> Bool {
        var hit = (bits & categories) != 0 || ranges.contains { $0.contains(value) }
        if !hit && caseInsensitive {
            let folded = caseFold(value)
            hit = ranges.contains { $0.contains(folded) }
        }
        return hit != negated
    }
}

// MARK: - Parse

private indirect enum RegexNode {
    case char(UInt32, fold: Bool)
    case cls(RegexCharClass)
    case any
    case seq([RegexNode])
    case alt([RegexNode])
    case repeated(RegexNode, min: Int, max: Int?, greedy: Bool)
    case look(RegexNode, negative: Bool)
    case textStart, textEnd, lineStart, lineEnd
}

private struct Parser {
    let source: String
    let chars: [UInt32]
    var index = 0
    var foldStack: [Bool] = [false]

    init(_ pattern: String) {
        source = pattern
        chars = pattern.unicodeScalars.map(\.value)
    }

    func fail(_ reason: String) -> TokenizerError { .invalidPattern(source, reason: reason) }
    var atEnd: Bool { index >= chars.count }
    var peek: UInt32 { chars[index] }
    var fold: Bool { foldStack.last! }

    mutating func parseAlternation() throws -> RegexNode {
        var branches = [try parseSequence()]
        while !atEnd && peek == 0x7C {  // |
            index += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alt(branches)
    }

    mutating func parseSequence() throws -> RegexNode {
        var items: [RegexNode] = []
        while !atEnd && peek != 0x7C && peek != 0x29 {  // | )
            var atom = try parseAtom()
            quantifiers: while !atEnd {
                let min: Int, max: Int?
                switch peek {
                case 0x2A: index += 1; min = 0; max = nil  // *
                case 0x2B: index += 1; min = 1; max = nil  // +
                case 0x3F: index += 1; min = 0; max = 1  // ?
                case 0x7B:  // {n}, {n,}, {n,m}
                    guard let (lo, hi) = parseBraces() else { break quantifiers }
                    min = lo; max = hi
                default: break quantifiers
                }
                var greedy = true
                if !atEnd && peek == 0x3F { index += 1; greedy = false }
                if !atEnd && peek == 0x2B { throw fail("possessive quantifiers") }
                atom = .repeated(atom, min: min, max: max, greedy: greedy)
            }
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .seq(items)
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at `index`; leaves `index` alone and returns nil for a literal brace.
    mutating func parseBraces() -> (Int, Int?)? {
        var cursor = index + 1
        func number() -> Int? {
            var value: Int? = nil
            while cursor < chars.count, chars[cursor] >= 0x30, chars[cursor] <= 0x39 {
                value = (value ?? 0) * 10 + Int(chars[cursor] - 0x30)
                cursor += 1
            }
            return value
        }
        guard let lo = number() else { return nil }
        var hi: Int? = lo
        if cursor < chars.count && chars[cursor] == 0x2C {  // ,
            cursor += 1
            hi = number()
        }
        guard cursor < chars.count && chars[cursor] == 0x7D else { return nil }
        index = cursor + 1
        return (lo, hi)
    }

    mutating func parseAtom() throws -> RegexNode {
        let c = peek
        index += 1
        switch c {
        case 0x28:  // (
            var negativeLook: Bool? = nil
            var pushed = false
            if !atEnd && peek == 0x3F {  // (?
                index += 1
                guard !atEnd else { throw fail("unterminated group") }
                switch peek {
                case 0x3A: index += 1  // (?:
                case 0x21: index += 1; negativeLook = true  // (?!
                case 0x3D: index += 1; negativeLook = false  // (?=
                default:
                    var flagOn = true, fold = self.fold
                    while !atEnd && peek != 0x3A && peek != 0x29 {
                        switch peek {
                        case 0x69: fold = flagOn  // i
                        case 0x2D: flagOn = false  // -
                        default: throw fail("group flag \(Character(Unicode.Scalar(peek)!))")
                        }
                        index += 1
                    }
                    guard !atEnd else { throw fail("unterminated group") }
                    if peek == 0x29 {  // (?i) applies to the rest of the enclosing group
                        index += 1
                        foldStack[foldStack.count - 1] = fold
                        return .seq([])
                    }
                    index += 1
                    foldStack.append(fold)
                    pushed = true
                }
            }
            if !pushed { foldStack.append(fold) }
            let inner = try parseAlternation()
            foldStack.removeLast()
            guard !atEnd && peek == 0x29 else { throw fail("unbalanced parenthesis") }
            index += 1
            if let negative = negativeLook { return .look(inner, negative: negative) }
            return inner
        case 0x5B: return .cls(try parseClass())  // [
        case 0x2E:  // .
            var cls = RegexCharClass(negated: true, ranges: [0x0A...0x0A])
            cls.finish()
            return .cls(cls)
        case 0x5E: return .lineStart
        case 0x24: return .lineEnd
        case 0x5C: return try parseEscape(inClass: false)
        default: return .char(fold ? caseFold(c) : c, fold: fold)
        }
    }

    mutating func parseEscape(inClass: Bool) throws -> RegexNode {
        guard !atEnd else { throw fail("trailing backslash") }
        let c = peek
        index += 1
        func cls(_ categories: ScalarClass, negated: Bool = false) -> RegexNode {
            var result = RegexCharClass(negated: negated, categories: categories.rawValue)
            result.finish()
            return .cls(result)
        }
        switch c {
        case 0x70, 0x50:  // p P
            guard !atEnd && peek == 0x7B else { throw fail("\\p without braces") }
            var name = ""
            index += 1
            while !atEnd && peek != 0x7D { name.unicodeScalars.append(Unicode.Scalar(peek)!); index += 1 }
            guard !atEnd else { throw fail("unterminated \\p{") }
            index += 1
            var negated = c == 0x50
            if name.hasPrefix("^") { negated.toggle(); name.removeFirst() }
            guard let property = ScalarClass(propertyName: name) else { throw fail("unknown property \(name)") }
            return cls(property, negated: negated)
        case 0x73: return cls(.whiteSpace)  // s
        case 0x53: return cls(.whiteSpace, negated: true)  // S
        case 0x64: return cls(.nd)  // d
        case 0x44: return cls(.nd, negated: true)
        case 0x77: return cls(.word)  // w
        case 0x57: return cls(.word, negated: true)
        case 0x6E: return .char(0x0A, fold: false)
        case 0x72: return .char(0x0D, fold: false)
        case 0x74: return .char(0x09, fold: false)
        case 0x66: return .char(0x0C, fold: false)
        case 0x76: return .char(0x0B, fold: false)
        case 0x61: return .char(0x07, fold: false)
        case 0x65: return .char(0x1B, fold: false)
        case 0x41 where !inClass: return .textStart  // \A
        case 0x7A where !inClass, 0x5A where !inClass: return .textEnd  // \z \Z
        case 0x78, 0x75:  // \xHH, \x{H..}, \uHHHH
            var digits = ""
            if !atEnd && peek == 0x7B {
                index += 1
                while !atEnd && peek != 0x7D { digits.unicodeScalars.append(Unicode.Scalar(peek)!); index += 1 }
                index += 1
            } else {
                for _ in 0..<(c == 0x78 ? 2 : 4) where !atEnd {
                    digits.unicodeScalars.append(Unicode.Scalar(peek)!)
                    index += 1
                }
            }
            guard let value = UInt32(digits, radix: 16) else { throw fail("bad hex escape") }
            return .char(fold ? caseFold(value) : value, fold: fold)
        default:
            if (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) {
                throw fail("escape \\\(Character(Unicode.Scalar(c)!))")
            }
            return .char(fold ? caseFold(c) : c, fold: fold)
        }
    }

    mutating func parseClass() throws -> RegexCharClass {
        var result = RegexCharClass()
        result.caseInsensitive = fold
        if !atEnd && peek == 0x5E { result.negated = true; index += 1 }
        var first = true
        while true {
            guard !atEnd else { throw fail("unterminated character class") }
            var c = peek
            if c == 0x5D && !first { index += 1; break }  // ]
            first = false
            if c == 0x5B { throw fail("nested character classes") }
            index += 1
            if c == 0x5C {
                switch try parseEscape(inClass: true) {
                case .char(let value, _): c = value
                case .cls(let inner):
                    guard !inner.negated else {
                        // A negated shorthand inside a class ([\S]) is only supported alone.
                        throw fail("negated class escape inside a class")
                    }
                    result.categories |= inner.categories
                    result.ranges += inner.ranges
                    continue
                default: throw fail("assertion inside a class")
                }
            }
            var upper = c
            if index + 1 < chars.count && peek == 0x2D && chars[index + 1] != 0x5D {  // a-b
                index += 1
                upper = peek
                index += 1
                if upper == 0x5C {
                    guard case .char(let value, _) = try parseEscape(inClass: true) else { throw fail("bad range") }
                    upper = value
                }
            }
            guard c <= upper else { throw fail("reversed range") }
            result.ranges.append(c...upper)
        }
        result.finish()
        return result
    }
}

// MARK: - Compile

/// A RegexCharClass flattened for the matcher: no references, ranges in the regex's shared list.
private struct FlatClass {
    var asciiLow: UInt64
    var asciiHigh: UInt64
    var categories: UInt32
    var negated: Bool
    var caseInsensitive: Bool
    var rangeStart: Int32
    var rangeCount: Int32
}

private enum Op: UInt8 {
    case char, charFold, cls, split, jump, match, look, negLook, lookEnd, textStart, textEnd, lineStart, lineEnd
}

private struct Inst {
    var op: Op
    var a: Int32 = 0
    var b: Int32 = 0
}

/// A compiled Split pattern. `find(in:)` yields the non-overlapping matches that `tokenizers` would split on.
struct PreTokenizerRegex: Sendable {
    let pattern: String
    fileprivate let program: [Inst]
    fileprivate let classes: [FlatClass]
    fileprivate let ranges: [ClosedRange<UInt32>]

    init(_ pattern: String) throws {
        var parser = Parser(pattern)
        let root = try parser.parseAlternation()
        guard parser.atEnd else { throw TokenizerError.invalidPattern(pattern, reason: "unbalanced parenthesis") }
        var program: [Inst] = []
        var classes: [RegexCharClass] = []
        func emit(_ node: RegexNode) {
            switch node {
            case .char(let value, let fold): program.append(Inst(op: fold ? .charFold : .char, a: Int32(bitPattern: value)))
            case .cls(let cls):
                classes.append(cls)
                program.append(Inst(op: .cls, a: Int32(classes.count - 1)))
            case .any:
                var cls = RegexCharClass(negated: true)
                cls.finish()
                classes.append(cls)
                program.append(Inst(op: .cls, a: Int32(classes.count - 1)))
            case .seq(let items): items.forEach(emit)
            case .alt(let branches):
                var jumps: [Int] = []
                for (i, branch) in branches.enumerated() {
                    if i < branches.count - 1 {
                        let split = program.count
                        program.append(Inst(op: .split, a: Int32(split + 1)))
                        emit(branch)
                        jumps.append(program.count)
                        program.append(Inst(op: .jump))
                        program[split].b = Int32(program.count)
                    } else {
                        emit(branch)
                    }
                }
                for j in jumps { program[j].a = Int32(program.count) }
            case .repeated(let inner, let min, let max, let greedy):
                for _ in 0..<min { emit(inner) }
                if let max {
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        program.append(Inst(op: .split))
                        emit(inner)
                    }
                    for s in splits {
                        let body = Int32(s + 1), out = Int32(program.count)
                        program[s].a = greedy ? body : out
                        program[s].b = greedy ? out : body
                    }
                } else {
                    let split = program.count
                    program.append(Inst(op: .split))
                    emit(inner)
                    program.append(Inst(op: .jump, a: Int32(split)))
                    let body = Int32(split + 1), out = Int32(program.count)
                    program[split].a = greedy ? body : out
                    program[split].b = greedy ? out : body
                }
            case .look(let inner, let negative):
                let start = program.count
                program.append(Inst(op: negative ? .negLook : .look))
                emit(inner)
                program.append(Inst(op: .lookEnd))
                program[start].a = Int32(program.count)
            case .textStart: program.append(Inst(op: .textStart))
            case .textEnd: program.append(Inst(op: .textEnd))
            case .lineStart: program.append(Inst(op: .lineStart))
            case .lineEnd: program.append(Inst(op: .lineEnd))
            }
        }
        emit(root)
        program.append(Inst(op: .match))
        self.pattern = pattern
        self.program = program
        var flat: [FlatClass] = []
        var ranges: [ClosedRange<UInt32>] = []
        for cls in classes {
            flat.append(FlatClass(asciiLow: cls.asciiLow, asciiHigh: cls.asciiHigh, categories: cls.categories,
                                  negated: cls.negated, caseInsensitive: cls.caseInsensitive,
                                  rangeStart: Int32(ranges.count), rangeCount: Int32(cls.ranges.count)))
            ranges += cls.ranges
        }
        self.classes = flat
        self.ranges = ranges
    }

    /// Calls `body(start, end)` for each non-empty match in `text[range]`, the range standing for the whole subject.
    func forEachMatch(in text: ScalarText, range: Range<Int>, _ body: (Int, Int) -> Void) {
        var stack = BacktrackStack()
        defer { stack.deallocate() }
        text.scalars.withUnsafeBufferPointer { scalars in
            text.bits.withUnsafeBufferPointer { bits in
                program.withUnsafeBufferPointer { program in
                    classes.withUnsafeBufferPointer { classes in
                        ranges.withUnsafeBufferPointer { ranges in
                            let subject = Subject(scalars: scalars, bits: bits, program: program, classes: classes,
                                                  ranges: ranges, start: range.lowerBound, end: range.upperBound)
                            var position = range.lowerBound
                            while position < range.upperBound {
                                if let end = subject.run(pc: 0, position: position, stack: &stack), end > position {
                                    body(position, end)
                                    position = end
                                } else {
                                    position += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Backtrack points (pc, position), grown by hand to keep the matcher free of reference counting.
private struct BacktrackStack {
    private var base = UnsafeMutablePointer<(Int32, Int32)>.allocate(capacity: 256)
    private var capacity = 256
    var count = 0

    @inline(__always)
    mutating func push(_ pc: Int32, _ position: Int32) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<(Int32, Int32)>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        base[count] = (pc, position)
        count += 1
    }

    @inline(__always)
    mutating func pop() -> (Int32, Int32) {
        count -= 1
        return base[count]
    }

    func deallocate() { base.deallocate() }
}

private struct Subject {
    let scalars: UnsafeBufferPointer<UInt32>
    let bits: UnsafeBufferPointer<UInt32>
    let program: UnsafeBufferPointer<Inst>
    let classes: UnsafeBufferPointer<FlatClass>
    let ranges: UnsafeBufferPointer<ClosedRange<UInt32>>
    let start: Int
    let end: Int

    @inline(__always)
    func classContains(_ index: Int32, _ value: UInt32, _ valueBits: UInt32) -> Bool {
        let cls = classes[Int(index)]
        if value < 64 { return (cls.asciiLow >> UInt64(value)) & 1 != 0 }
        if value < 128 { return (cls.asciiHigh >> UInt64(value - 64)) & 1 != 0 }
        var hit = valueBits & cls.categories != 0
        if !hit {
            let folded = cls.caseInsensitive ? caseFold(value) : value
            for r in Int(cls.rangeStart)..<Int(cls.rangeStart + cls.rangeCount) {
                if ranges[r].contains(value) || ranges[r].contains(folded) { hit = true; break }
            }
        }
        return hit != cls.negated
    }

    /// Backtracking run from `pc`; returns the end position at `match` (or `lookEnd` for a lookaround body).
    func run(pc startPC: Int, position startPosition: Int, stack: inout BacktrackStack) -> Int? {
        let base = stack.count
        defer { stack.count = base }
        var pc = startPC
        var pos = startPosition
        while true {
            let inst = program[pc]
            var ok = true
            switch inst.op {
            case .char:
                if pos < end && scalars[pos] == UInt32(bitPattern: inst.a) { pos += 1; pc += 1 } else { ok = false }
            case .charFold:
                if pos < end && caseFold(scalars[pos]) == UInt32(bitPattern: inst.a) { pos += 1; pc += 1 } else { ok = false }
            case .cls:
                if pos < end && classContains(inst.a, scalars[pos], bits[pos]) { pos += 1; pc += 1 } else { ok = false }
            case .split:
                stack.push(inst.b, Int32(pos))
                pc = Int(inst.a)
            case .jump:
                pc = Int(inst.a)
            case .match, .lookEnd:
                return pos
            case .look, .negLook:
                let matched = run(pc: pc + 1, position: pos, stack: &stack) != nil
                if matched == (inst.op == .look) { pc = Int(inst.a) } else { ok = false }
            case .textStart:
                if pos == start { pc += 1 } else { ok = false }
            case .textEnd:
                if pos == end { pc += 1 } else { ok = false }
            case .lineStart:
                if pos == start || scalars[pos - 1] == 0x0A { pc += 1 } else { ok = false }
            case .lineEnd:
                if pos == end || scalars[pos] == 0x0A { pc += 1 } else { ok = false }
            }
            if !ok {
                guard stack.count > base else { return nil }
                let (nextPC, nextPos) = stack.pop()
                pc = Int(nextPC)
                pos = Int(nextPos)
            }
        }
    }
}
