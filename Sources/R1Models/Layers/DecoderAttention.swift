// The decoder's attention with R1KernelsC's flash-attention kernels (FlashAttention): every query head of a KV head
// scored together (GQA: each cached K and V row read once for the group), a prompt's consecutive tokens in tiles that
// share each cache row read, and a long history split into ranges on different threads (flash-decoding's split-K),
// merged by log-sum-exp. The kernels take a contiguous range of positions (pointer + row stride), so a cache kept in
// blocks can call them block by block.
import R1Kernels

extension Decoder {
    /// Tokens per prefill tile: 8 tokens × the group's heads are the kernel's rows.
    static let attentionTile = 8
    /// Fewest positions a split-K range gets.
    static let attentionMinSplit = 256

    /// Causal softmax(q·kᵀ/√hd)·v for every step token (ws.q → ws.attn), as the Swift loop in `attention`.
    func flashAttention(layer l: Int, caches: [KVCache], positions: [Int], ws: Activations, workspace: DecoderWorkspace,
                        pool: ThreadPool) {
        let c = config
        let n = caches.count, hd = c.headDim, qDim = c.headCount * hd, kvH = c.kvHeadCount
        let group = c.headCount / kvH
        let scale = 1 / Float(hd).squareRoot()
        // tiles: runs of consecutive positions in one cache
        var tiles: [(start: Int, count: Int)] = []
        var i = 0
        while i < n {
            var t = 1
            while t < Self.attentionTile && i + t < n && caches[i + t] === caches[i] && positions[i + t] == positions[i] + t { t += 1 }
            tiles.append((i, t))
            i += t
        }
        let pairs = tiles.count * kvH
        let longest = tiles.map { positions[$0.start] + 1 }.max() ?? 1
        // split the shared history when there are too few (tile, KV head) pairs to keep the threads busy
        var parts = 1
        if pairs < 2 * pool.threadCount {
            parts = max(1, min((4 * pool.threadCount + pairs - 1) / pairs, longest / Self.attentionMinSplit, 16))
        }
        let rowsMax = Self.attentionTile * group
        let stateSize = FlashAttention.stateCount(rows: rowsMax, headDim: hd), qSize = rowsMax * hd
        let slot = parts * (stateSize + qSize)  // per pair: its parts' states (consecutive), then their query copies
        let buffer = workspace.attentionScratch(count: pairs * slot)
        let kernels = pool.kernels
        let finish = { (pair: Int) in
            let tile = tiles[pair / kvH], kvh = pair % kvH
            FlashAttention.finish(rows: tile.count * group, headDim: hd, parts: parts, states: buffer + pair * slot,
                                  heads: group, out: ws.attn + tile.start * qDim + kvh * group * hd, outTokenStride: qDim)
        }
        pool.parallelFor(pairs * parts) { item in
            let pair = item / parts, part = item % parts
            let tile = tiles[pair / kvH], kvh = pair % kvH
            let rows = tile.count * group
            let cache = caches[tile.start], type = cache.type.ggmlType
            let state = buffer + pair * slot + part * FlashAttention.stateCount(rows: rows, headDim: hd)
            // query rows: a single token's group is contiguous in ws.q; a tile's tokens are gathered
            var q = UnsafePointer(ws.q + tile.start * qDim + kvh * group * hd)
            if tile.count > 1 {
                let qc = buffer + pair * slot + parts * stateSize + part * qSize
                for t in 0..<tile.count {
                    (qc + t * group * hd).update(from: ws.q + (tile.start + t) * qDim + kvh * group * hd, count: group * hd)
                }
                q = UnsafePointer(qc)
            }
            FlashAttention.initState(rows: rows, headDim: hd, state)
            // every token of the tile sees positions [0, prefix); this part takes its share of them
            let prefix = positions[tile.start] + 1
            let size = (prefix + parts - 1) / parts
            let lo = min(prefix, part * size), hi = min(prefix, lo + size)
            let stride = cache.positionStride
            if hi > lo {
                FlashAttention.update(kernels: kernels, type: type, rows: rows, headDim: hd, scale: scale, q: q,
                                      qStride: hd, k: cache.key(l, lo, kvh), kStride: stride, v: cache.value(l, lo, kvh),
                                      vStride: stride, count: hi - lo, state: state, stateRows: rows)
            }
            if part == parts - 1 {  // the causal tail: token t of the tile also sees the tile's t earlier tokens
                for t in 1..<tile.count {
                    FlashAttention.update(kernels: kernels, type: type, rows: group, headDim: hd, scale: scale,
                                          q: q + t * group * hd, qStride: hd, k: cache.key(l, prefix, kvh), kStride: stride,
                                          v: cache.value(l, prefix, kvh), vStride: stride, count: t, state: state,
                                          stateRows: rows, row0: t * group)
                }
            }
            if parts == 1 { finish(pair) }
        }
        if parts > 1 {
            if pairs <= 4 { for p in 0..<pairs { finish(p) } } else { pool.parallelFor(pairs, finish) }
        }
    }
}
