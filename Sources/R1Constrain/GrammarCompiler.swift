// Lowers parsed GBNF rules over scalars to rules over bytes: every alternative is a run of byte sets and rule
// references; classes become UTF-8 byte-range alternatives, groups and repetitions become helper rules named as
// llama.cpp names them (`name-1`, ...). Left recursion is refused, as llama.cpp's `detect_left_recursion` does.

/// The compiled form: alternatives laid out flat in `elements`, each ended by `Element.end`.
struct CompiledRules: Sendable {
    /// >= 0: index into `byteSets`; `end`: end of an alternative; below: a rule reference (`ruleRef`).
    var elements: [Int32] = []
    var byteSets: [ByteSet] = []
    var alternatives: [[Int32]] = []
    var names: [String] = []
    var root: Int32 = 0

    static let end: Int32 = -1
    @inline(__always) static func ruleRef(_ rule: Int32) -> Int32 { -2 - rule }
    @inline(__always) static func rule(of element: Int32) -> Int32 { -2 - element }
}

struct GrammarCompiler {
    private enum Item { case bytes(ByteSet), rule(Int32) }
    private var rules: [[[Item]]] = []
    private var names: [String] = []
    private var ids: [String: Int32] = [:]
    private var offsets: [String: Int] = [:]
    private var helperCount: [String: Int] = [:]
    private var classCache: [String: Int32] = [:]
    private let parser: GBNFParser

    static func compile(_ source: String, root: String = "root") throws(ConstraintError) -> CompiledRules {
        let parsed = try GBNFParser.parse(source)
        var compiler = GrammarCompiler(parser: GBNFParser(source))
        return try compiler.compile(parsed, root: root)
    }

    private init(parser: GBNFParser) { self.parser = parser }

    private mutating func compile(_ parsed: [GBNFRule], root: String) throws(ConstraintError) -> CompiledRules {
        for rule in parsed {
            guard ids[rule.name] == nil else { throw parser.fail("rule '\(rule.name)' is defined twice", at: rule.offset) }
            ids[rule.name] = Int32(names.count)
            offsets[rule.name] = rule.offset
            names.append(rule.name)
            rules.append([])
        }
        guard let rootId = ids[root] else { throw ConstraintError("grammar has no '\(root)' rule") }
        for rule in parsed {
            let id = Int(ids[rule.name]!)
            var alternatives: [[Item]] = []
            for alternative in rule.alternatives { alternatives.append(try lower(alternative, owner: rule.name)) }
            rules[id] = alternatives
        }
        try checkLeftRecursion()
        var out = CompiledRules()
        out.names = names
        out.root = rootId
        var setIndex: [ByteSet: Int32] = [:]
        for alternatives in rules {
            var starts: [Int32] = []
            for alternative in alternatives {
                starts.append(Int32(out.elements.count))
                for item in alternative {
                    switch item {
                    case .rule(let r): out.elements.append(CompiledRules.ruleRef(r))
                    case .bytes(let set):
                        if let i = setIndex[set] { out.elements.append(i); continue }
                        let i = Int32(out.byteSets.count)
                        out.byteSets.append(set)
                        setIndex[set] = i
                        out.elements.append(i)
                    }
                }
                out.elements.append(CompiledRules.end)
            }
            out.alternatives.append(starts)
        }
        return out
    }

    // MARK: - Lowering

    private mutating func helper(_ owner: String, _ alternatives: [[Item]]) -> Int32 {
        let n = (helperCount[owner] ?? 0) + 1
        helperCount[owner] = n
        var name = "\(owner)-\(n)"
        while ids[name] != nil { name += "_" }
        let id = Int32(names.count)
        ids[name] = id
        names.append(name)
        rules.append(alternatives)
        return id
    }

    private mutating func lower(_ terms: [GBNFTerm], owner: String) throws(ConstraintError) -> [Item] {
        var items: [Item] = []
        for term in terms { items += try lower(term, owner: owner) }
        return items
    }

    private mutating func lower(_ term: GBNFTerm, owner: String) throws(ConstraintError) -> [Item] {
        switch term {
        case .literal(let scalars):
            return scalars.flatMap { UTF8Ranges.encode($0).map { Item.bytes(ByteSet($0...$0)) } }
        case .charClass(let ranges, let negated):
            return [classItem(negated ? UTF8Ranges.complement(ranges) : UTF8Ranges.normalize(ranges), owner: owner)]
        case .any:
            return [classItem([0...UTF8Ranges.maxScalar], owner: owner)]
        case .ref(let name, let offset):
            guard let id = ids[name] else { throw parser.fail("undefined rule '\(name)'", at: offset) }
            return [.rule(id)]
        case .group(let alternatives):
            var lowered: [[Item]] = []
            for alternative in alternatives { lowered.append(try lower(alternative, owner: owner)) }
            if lowered.count == 1 { return lowered[0] }
            return [.rule(helper(owner, lowered))]
        case .repetition(let inner, let minCount, let maxCount):
            var body = try lower(inner, owner: owner)
            if body.count > 1 { body = [.rule(helper(owner, [body]))] }
            var items: [Item] = []
            for _ in 0..<minCount { items += body }
            if let maxCount {
                // x{0,n}: O1 ::= x | ε, Ok ::= x O(k-1) | ε
                var tail: Int32? = nil
                for _ in 0..<(maxCount - minCount) {
                    tail = helper(owner, [body + (tail.map { [Item.rule($0)] } ?? []), []])
                }
                if let tail { items.append(.rule(tail)) }
            } else {
                // x*: R ::= x R | ε
                let id = helper(owner, [])
                rules[Int(id)] = [body + [.rule(id)], []]
                items.append(.rule(id))
            }
            return items
        }
    }

    /// A class as one byte set when every scalar is ASCII, else a helper rule of UTF-8 sequences (cached).
    private mutating func classItem(_ ranges: [ClosedRange<UInt32>], owner: String) -> Item {
        let sequences = UTF8Ranges.sequences(ranges)
        var single = ByteSet()
        var multi: [[Item]] = []
        for sequence in sequences {
            if sequence.count == 1 { single.insert(contentsOf: sequence[0]) }
            else { multi.append(sequence.map { var s = ByteSet(); s.insert(contentsOf: $0); return .bytes(s) }) }
        }
        if multi.isEmpty { return .bytes(single) }
        let key = ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        if let id = classCache[key] { return .rule(id) }
        if single != ByteSet() { multi.insert([.bytes(single)], at: 0) }
        let id = helper(owner, multi)
        classCache[key] = id
        return .rule(id)
    }

    // MARK: - Left recursion

    private func checkLeftRecursion() throws(ConstraintError) {
        var nullable = [Bool](repeating: false, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for (r, alternatives) in rules.enumerated() where !nullable[r] {
                let isNullable = alternatives.contains { alternative in
                    alternative.allSatisfy { if case .rule(let id) = $0 { return nullable[Int(id)] } else { return false } }
                }
                if isNullable { nullable[r] = true; changed = true }
            }
        }
        // edges r -> s when s can start r without consuming input
        var edges = [[Int32]](repeating: [], count: rules.count)
        for (r, alternatives) in rules.enumerated() {
            for alternative in alternatives {
                for item in alternative {
                    guard case .rule(let id) = item else { break }
                    edges[r].append(id)
                    if !nullable[Int(id)] { break }
                }
            }
        }
        var color = [UInt8](repeating: 0, count: rules.count)  // 0 new, 1 on the path, 2 done
        for start in 0..<rules.count where color[start] == 0 {
            var stack: [(Int, Int)] = [(start, 0)]
            color[start] = 1
            while let (r, i) = stack.last {
                if i < edges[r].count {
                    stack[stack.count - 1].1 += 1
                    let s = Int(edges[r][i])
                    if color[s] == 1 {
                        let name = userName(names[s])
                        throw ConstraintError("left recursion in rule '\(name)' (it can start with itself without consuming input)")
                    }
                    if color[s] == 0 { color[s] = 1; stack.append((s, 0)) }
                } else {
                    color[r] = 2
                    stack.removeLast()
                }
            }
        }
    }

    /// The user's rule a helper belongs to.
    private func userName(_ name: String) -> String {
        var name = name
        while offsets[name] == nil, let dash = name.lastIndex(of: "-") { name = String(name[..<dash]) }
        return name
    }
}

extension ByteSet {
    mutating func insert(contentsOf range: ClosedRange<UInt8>) { for b in range { insert(b) } }
}
