// The recognizer: llama.cpp's stack-set pushdown automaton (llama_grammar_advance_stack / accept) over bytes, with
// stacks hash-consed into (position, parent) nodes and each reachable stack set numbered as the state of a lazily built
// DFA: a byte step is one table lookup once seen, so a token walk over the vocabulary trie costs a load per trie node.

struct GrammarAutomaton: Sendable {
    let rules: CompiledRules
    /// Stack nodes: the position of the next element and the node to return to (`rootParent` at the bottom).
    private var nodePositions: [Int32] = []
    private var nodeParents: [Int32] = []
    private var nodeIndex: [Int64: Int32] = [:]
    /// DFA states: sorted stack-node sets (`acceptNode` marks a finished parse).
    private var states: [[Int32]] = []
    private var stateIndex: [[Int32]: Int32] = [:]
    private(set) var accepting: [Bool] = []
    private(set) var terminal: [Bool] = []
    /// 256 entries per state: `unknown`, `dead` or the next state.
    private(set) var transitions: [Int32] = []
    private(set) var initialState: Int32 = 0
    /// Fewest bytes from each element position to the end of its alternative, and from each stack node to acceptance.
    private var restLength: [Int] = []
    private var nodeDistance: [Int] = []
    private var stateDistance: [Int] = []

    static let unknown: Int32 = -1
    static let dead: Int32 = -2
    static let rootParent: Int32 = -1
    static let acceptNode: Int32 = Int32.max

    init(rules: CompiledRules) {
        self.rules = rules
        restLength = GrammarAutomaton.restLengths(rules)
        var start = Set<Int32>()
        var seen = Set<Int64>()
        for alternative in rules.alternatives[Int(rules.root)] {
            expand(alternative, GrammarAutomaton.rootParent, into: &start, seen: &seen)
        }
        initialState = intern(start)
    }

    var stateCount: Int { states.count }

    // MARK: - Distance to acceptance

    private static func restLengths(_ rules: CompiledRules) -> [Int] {
        let infinity = Int.max / 4
        var ruleLength = [Int](repeating: infinity, count: rules.alternatives.count)
        var rest = [Int](repeating: 0, count: rules.elements.count)
        var changed = true
        while changed {
            changed = false
            for (r, starts) in rules.alternatives.enumerated() {
                for start in starts {
                    var end = Int(start)
                    while rules.elements[end] != CompiledRules.end { end += 1 }
                    rest[end] = 0
                    for p in stride(from: end - 1, through: Int(start), by: -1) {
                        let e = rules.elements[p]
                        rest[p] = min(infinity, rest[p + 1] + (e >= 0 ? 1 : ruleLength[Int(CompiledRules.rule(of: e))]))
                    }
                    if rest[Int(start)] < ruleLength[r] { ruleLength[r] = rest[Int(start)]; changed = true }
                }
            }
        }
        return rest
    }

    private mutating func distance(ofNode node: Int32) -> Int {
        if node == GrammarAutomaton.acceptNode || node == GrammarAutomaton.rootParent { return 0 }
        if nodeDistance.count <= Int(node) { nodeDistance += repeatElement(-1, count: Int(node) + 1 - nodeDistance.count) }
        if nodeDistance[Int(node)] >= 0 { return nodeDistance[Int(node)] }
        let d = restLength[Int(nodePositions[Int(node)])] + distance(ofNode: nodeParents[Int(node)])
        nodeDistance[Int(node)] = d
        return d
    }

    /// The fewest bytes that complete a sentence from `state`.
    mutating func distanceToAccept(_ state: Int32) -> Int {
        if stateDistance.count > Int(state), stateDistance[Int(state)] >= 0 { return stateDistance[Int(state)] }
        var best = Int.max
        for node in states[Int(state)] { best = min(best, distance(ofNode: node)) }
        if stateDistance.count <= Int(state) { stateDistance += repeatElement(-1, count: Int(state) + 1 - stateDistance.count) }
        stateDistance[Int(state)] = best
        return best
    }

    // MARK: - Stacks

    private mutating func node(_ position: Int32, _ parent: Int32) -> Int32 {
        let key = Int64(position) << 32 | Int64(UInt32(bitPattern: parent))
        if let id = nodeIndex[key] { return id }
        let id = Int32(nodePositions.count)
        nodePositions.append(position)
        nodeParents.append(parent)
        nodeIndex[key] = id
        return id
    }

    /// Every stack reachable from (position, parent) whose top is a byte set, following llama.cpp's advance_stack:
    /// rule references push their continuation (none when the reference ends its alternative), ends pop.
    private mutating func expand(_ position: Int32, _ parent: Int32, into out: inout Set<Int32>, seen: inout Set<Int64>) {
        let key = Int64(position) << 32 | Int64(UInt32(bitPattern: parent))
        guard seen.insert(key).inserted else { return }
        let element = rules.elements[Int(position)]
        if element >= 0 {
            out.insert(node(position, parent))
        } else if element == CompiledRules.end {
            if parent == GrammarAutomaton.rootParent {
                out.insert(GrammarAutomaton.acceptNode)
            } else {
                expand(nodePositions[Int(parent)], nodeParents[Int(parent)], into: &out, seen: &seen)
            }
        } else {
            let rule = CompiledRules.rule(of: element)
            let continuation = rules.elements[Int(position) + 1] == CompiledRules.end ? parent : node(position + 1, parent)
            for alternative in rules.alternatives[Int(rule)] {
                expand(alternative, continuation, into: &out, seen: &seen)
            }
        }
    }

    private mutating func intern(_ set: Set<Int32>) -> Int32 {
        let sorted = set.sorted()
        if let id = stateIndex[sorted] { return id }
        let id = Int32(states.count)
        states.append(sorted)
        stateIndex[sorted] = id
        accepting.append(set.contains(GrammarAutomaton.acceptNode))
        terminal.append(set.count == 1 && set.contains(GrammarAutomaton.acceptNode))
        transitions.append(contentsOf: repeatElement(GrammarAutomaton.unknown, count: 256))
        return id
    }

    // MARK: - Steps

    /// The state after `byte`, or `dead`.
    @inline(__always) mutating func step(_ state: Int32, _ byte: UInt8) -> Int32 {
        let next = transitions[Int(state) &* 256 &+ Int(byte)]
        return next != GrammarAutomaton.unknown ? next : computeStep(state, byte)
    }

    /// The transition table (256 entries per state) for a loop that calls `computeStep` outside `body`.
    @inline(__always) func withTransitions<R>(_ body: (UnsafeBufferPointer<Int32>) -> R) -> R {
        transitions.withUnsafeBufferPointer(body)
    }

    mutating func computeStep(_ state: Int32, _ byte: UInt8) -> Int32 {
        var out = Set<Int32>()
        var seen = Set<Int64>()
        for stack in states[Int(state)] where stack != GrammarAutomaton.acceptNode {
            let position = nodePositions[Int(stack)]
            let set = rules.byteSets[Int(rules.elements[Int(position)])]
            guard set.contains(byte) else { continue }
            expand(position + 1, nodeParents[Int(stack)], into: &out, seen: &seen)
        }
        let next = out.isEmpty ? GrammarAutomaton.dead : intern(out)
        transitions[Int(state) * 256 + Int(byte)] = next
        return next
    }

    mutating func step(_ state: Int32, bytes: some Sequence<UInt8>) -> Int32 {
        var state = state
        for b in bytes {
            state = step(state, b)
            if state == GrammarAutomaton.dead { return state }
        }
        return state
    }

    /// Whether `bytes` is a complete sentence of the grammar.
    mutating func accepts(_ bytes: some Sequence<UInt8>) -> Bool {
        let state = step(initialState, bytes: bytes)
        return state != GrammarAutomaton.dead && accepting[Int(state)]
    }
}
