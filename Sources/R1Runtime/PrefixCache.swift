// The prompt cache shared across requests (vLLM's automatic prefix caching, kept as SGLang's radix tree of blocks):
// finished sequences leave copies of their keys and values in fixed-size blocks of `blockTokens` positions, keyed by
// the chain of token blocks before them; a new sequence takes its longest cached prefix, to the token (the last block
// matched may be part of a cached one), and prefills only the rest. Blocks are evicted least-recently-used, leaves
// first, so a cached chain never loses its middle.
import Foundation
import R1Models

public final class PrefixCache: @unchecked Sendable {  // state behind `lock`
    /// What the cache did so far.
    public struct Statistics: Sendable, Equatable {
        public var lookups = 0
        /// Lookups that reused at least one position, and the positions they reused.
        public var hits = 0
        public var hitTokens = 0
        /// Blocks held (whole and partial) and their bytes.
        public var blocks = 0
        public var bytes = 0
        public var evictedBlocks = 0
    }

    public let blockTokens: Int
    public let capacity: CacheSize
    private let lock = NSLock()
    private let root = Block(tokens: [], data: nil, parent: nil)
    /// Bytes of one position, learnt from the first cache stored (every cache of one model has the same).
    private var positionBytes = 0
    private var blocks: [ObjectIdentifier: Block] = [:]
    /// Positions held by all blocks.
    private var storedTokens = 0
    private var tick: UInt64 = 0
    private var stats = Statistics()

    final class Block {
        let tokens: [Int]
        let data: UnsafeMutableRawPointer?
        weak var parent: Block?
        var children: [[Int]: Block] = [:]
        var lastUse: UInt64 = 0

        init(tokens: [Int], data: UnsafeMutableRawPointer?, parent: Block?) {
            self.tokens = tokens
            self.data = data
            self.parent = parent
        }

        deinit { data?.deallocate() }
    }

    public init(capacity: CacheSize, blockTokens: Int = 16) {
        precondition(blockTokens > 0, "PrefixCache: blockTokens must be positive")
        self.capacity = capacity
        self.blockTokens = blockTokens
    }

    public var statistics: Statistics { lock.withLock { stats } }

    // MARK: - lookup

    /// Copies the longest cached prefix of `ids[..<limit]` into the empty `cache` and returns its length (0 when
    /// nothing matches or the cache's positions cannot be copied).
    public func restore<C: SequenceCache>(_ ids: [Int], limit: Int, into cache: C) -> Int {
        let usable = min(limit, ids.count)
        guard cache.count == 0, cache.positionBytes > 0, usable > 0 else { return 0 }
        return lock.withLock {
            stats.lookups += 1
            guard cache.positionBytes == positionBytes else { return 0 }
            tick += 1
            var node = root, matched = 0
            var path: [(Block, Int)] = []
            // whole blocks by key, then the child sharing the most of what is left (a hit ending mid-block)
            while matched + blockTokens <= usable, let child = node.children[Array(ids[matched..<(matched + blockTokens)])] {
                path.append((child, blockTokens))
                node = child
                matched += blockTokens
            }
            if matched < usable {
                let rest = ids[matched..<min(usable, matched + blockTokens)]
                var best: (Block, Int)?
                for child in node.children.values {
                    var k = 0
                    while k < rest.count && k < child.tokens.count && child.tokens[k] == rest[rest.startIndex + k] { k += 1 }
                    if k > (best?.1 ?? 0) { best = (child, k) }
                }
                if let best { path.append(best); matched += best.1 }
            }
            guard matched > 0 else { return 0 }
            for (block, n) in path {
                block.lastUse = tick
                cache.appendPositions(n, from: block.data!)
            }
            stats.hits += 1
            stats.hitTokens += matched
            return matched
        }
    }

    // MARK: - insertion

    /// Keeps `cache`'s positions, whose tokens are `ids` (at least cache.count of them): whole blocks, and the rest as
    /// a partial leaf block (so the same prompt again is a hit to its last token); blocks already cached are only
    /// touched. Evicts least-recently-used blocks to stay within the capacity.
    public func store<C: SequenceCache>(_ ids: [Int], from cache: C) {
        let n = min(ids.count, cache.count)
        let bytes = cache.positionBytes
        guard bytes > 0, n > 0 else { return }
        lock.withLock {
            if positionBytes == 0 { positionBytes = bytes }
            guard bytes == positionBytes else { return }
            let limit = capacity.tokens(positionBytes: bytes)
            tick += 1
            defer {
                stats.blocks = blocks.count
                stats.bytes = storedTokens * positionBytes
            }
            var node = root
            var start = 0
            while start < n {
                let end = min(n, start + blockTokens)
                let key = Array(ids[start..<end])
                if let child = node.children[key] ?? (end - start < blockTokens ? covering(key, in: node) : nil) {
                    child.lastUse = tick
                    node = child
                    start = end
                    continue
                }
                while storedTokens + key.count > limit {
                    guard evictOne() else { return }
                }
                let data = UnsafeMutableRawPointer.allocate(byteCount: key.count * bytes, alignment: 64)
                cache.copyPositions(start..<end, to: data)
                let child = Block(tokens: key, data: data, parent: node)
                child.lastUse = tick
                if key.count == blockTokens {
                    // partial leaves this block covers are redundant now
                    for (k, b) in node.children where b.tokens.count < blockTokens && key.starts(with: b.tokens) { remove(b, key: k) }
                }
                node.children[key] = child
                blocks[ObjectIdentifier(child)] = child
                storedTokens += key.count
                node = child
                start = end
            }
        }
    }

    /// A child of `node` whose tokens start with `key` (a partial block already cached there).
    private func covering(_ key: [Int], in node: Block) -> Block? {
        node.children.values.first { $0.tokens.starts(with: key) }
    }

    /// Drops the least-recently-used leaf not touched by the current call; false when every block is in use by it.
    private func evictOne() -> Bool {
        var victim: Block?
        for b in blocks.values where b.children.isEmpty && b.lastUse < tick {
            if victim == nil || b.lastUse < victim!.lastUse { victim = b }
        }
        guard let v = victim else { return false }
        remove(v, key: v.tokens)
        stats.evictedBlocks += 1
        stats.blocks = blocks.count
        stats.bytes = storedTokens * positionBytes
        return true
    }

    private func remove(_ b: Block, key: [Int]) {
        b.parent?.children[key] = nil
        blocks[ObjectIdentifier(b)] = nil
        storedTokens -= b.tokens.count
    }

    /// Forgets every block.
    public func removeAll() {
        lock.withLock {
            root.children = [:]
            blocks = [:]
            storedTokens = 0
            stats.blocks = 0
            stats.bytes = 0
        }
    }
}
