// A model's vocabulary as the constraint engine sees it: token id -> bytes, laid out as a byte trie in preorder
// (built once per vocabulary, shared read-only), so one walk visits each shared prefix once.
import Synchronization

public final class Vocabulary: Sendable {
    public let size: Int
    /// Ids never allowed inside a constrained value (special and added tokens).
    public let excluded: Set<Int>
    /// Ids that end generation: allowed only when the grammar is complete.
    public let endOfSequence: [Int]
    let tokens: [[UInt8]]
    let identity: Int

    // Preorder trie without the root: node i is the byte `trieBytes[i]` at depth `trieDepths[i]` (1-based), its
    // subtree ends before `trieSkips[i]`, and the tokens spelled by the path to it are `trieTokens[i]` (-1: none)
    // plus `duplicateTokens[i]` when several ids share the bytes.
    let trieBytes: [UInt8]
    let trieDepths: [UInt16]
    let trieSkips: [Int32]
    let trieTokens: [Int32]
    let duplicateTokens: [Int32: [Int32]]
    /// Whether node i has `duplicateTokens` (a flag per node, so the walk does no hash lookup per token).
    let trieHasDuplicates: [Bool]
    let maxDepth: Int

    private static let counter = Atomic<Int>(0)

    /// `tokens[id]` are the bytes id stands for; `excluded` and `endOfSequence` ids never enter the trie.
    public init(tokens: [[UInt8]], excluded: Set<Int>, endOfSequence: [Int]) {
        size = tokens.count
        self.tokens = tokens
        self.excluded = excluded
        self.endOfSequence = endOfSequence
        identity = Vocabulary.counter.add(1, ordering: .relaxed).newValue
        let eos = Set(endOfSequence)
        let ids = tokens.indices.filter { !tokens[$0].isEmpty && !excluded.contains($0) && !eos.contains($0) }
            .sorted { tokens[$0].lexicographicallyPrecedes(tokens[$1]) }
        var bytes: [UInt8] = [], depths: [UInt16] = [], owners: [Int32] = []
        var duplicates: [Int32: [Int32]] = [:]
        var previous: [UInt8] = []
        var pathNodes: [Int32] = []  // node index at each depth of the previous token
        for id in ids {
            let token = tokens[id]
            var common = 0
            while common < min(token.count, previous.count) && token[common] == previous[common] { common += 1 }
            if common == token.count && common == previous.count {
                duplicates[pathNodes[common - 1], default: []].append(Int32(id))
                continue
            }
            pathNodes.removeSubrange(common...)
            for d in common..<token.count {
                pathNodes.append(Int32(bytes.count))
                bytes.append(token[d])
                depths.append(UInt16(min(d + 1, Int(UInt16.max))))
                owners.append(-1)
            }
            owners[Int(pathNodes[token.count - 1])] = Int32(id)
            previous = token
        }
        var skips = [Int32](repeating: Int32(bytes.count), count: bytes.count)
        var open: [Int] = []
        for i in 0..<bytes.count {
            while let last = open.last, depths[last] >= depths[i] { skips[last] = Int32(i); open.removeLast() }
            open.append(i)
        }
        trieBytes = bytes
        trieDepths = depths
        trieSkips = skips
        trieTokens = owners
        duplicateTokens = duplicates
        var flags = [Bool](repeating: false, count: bytes.count)
        for node in duplicates.keys { flags[Int(node)] = true }
        trieHasDuplicates = flags
        maxDepth = Int(depths.max() ?? 0)
    }

    var trieNodeCount: Int { trieBytes.count }
}

/// One bit per token id.
public struct TokenMask: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public let count: Int

    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    public func contains(_ id: Int) -> Bool {
        id >= 0 && id < count && words[id >> 6] & (1 << UInt64(id & 63)) != 0
    }

    public mutating func insert(_ id: Int) { words[id >> 6] |= 1 << UInt64(id & 63) }
    public mutating func removeAll() { for i in words.indices { words[i] = 0 } }
    mutating func setWords(_ other: [UInt64]) { words = other }

    public var allowedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The allowed ids in increasing order.
    public var allowed: [Int] {
        var out: [Int] = []
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                out.append(w * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return out
    }
}
