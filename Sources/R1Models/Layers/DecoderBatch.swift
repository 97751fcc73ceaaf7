// One batched step for continuous batching (vLLM's chunked prefill): several sequences, each running a segment of
// tokens at its own positions in its own cache: one new token for a decoding sequence, a chunk of the prompt for one
// still reading it. Every projection is one MatMul over all the step's tokens (weights read once per step); RoPE and
// causal attention run per token at its own position in its own cache.
import R1Kernels

/// Activations and scratch reused across batched steps (grown to the largest step seen). One per caller thread.
public final class BatchWorkspace: @unchecked Sendable {
    var workspace: Workspace?
    let scratch = MatMulScratch()
    var scores: UnsafeMutablePointer<Float>?
    var scoreCapacity = 0

    public init() {}
    deinit { scores?.deallocate() }

    func activations(tokens: Int, config: DecoderConfig) -> Workspace {
        if let w = workspace, w.tokens >= tokens { return w }
        let w = Workspace(tokens: tokens, config: config)
        workspace = w
        return w
    }

    /// Score rows for `lanes` parallel (token, head) items, each at least `span` long.
    func scoreRows(lanes: Int, span: Int) -> (UnsafeMutablePointer<Float>, Int) {
        if scores == nil || scoreCapacity < lanes * span {
            scores?.deallocate()
            scoreCapacity = lanes * max(span, 1024)
            scores = .allocate(capacity: scoreCapacity)
        }
        return (scores!, scoreCapacity / lanes)
    }
}

/// One sequence's part of a batched step: `tokens` run at cache.count..., and whether the last one's logits are wanted
/// (a decoding sequence, or the final chunk of a prompt).
public struct BatchSegment {
    public var tokens: [Int]
    public var cache: KVCache
    public var wantsLogits: Bool
    public init(tokens: [Int], cache: KVCache, wantsLogits: Bool = true) {
        self.tokens = tokens
        self.cache = cache
        self.wantsLogits = wantsLogits
    }
}

extension Decoder {
    /// Runs `tokens[i]` at position caches[i].count in caches[i] for every i (distinct caches), appending to each.
    /// Returns logits (n, vocab). Equal to n single-token `forward` calls up to float rounding.
    public func forwardBatch(tokens: [Int], caches: [KVCache], pool: ThreadPool,
                             workspace bw: BatchWorkspace = BatchWorkspace()) -> [Float] {
        precondition(tokens.count == caches.count)
        let segments = zip(tokens, caches).map { BatchSegment(tokens: [$0], cache: $1) }
        return forwardBatch(segments: segments, pool: pool, workspace: bw).flatMap { $0 }
    }

    /// Runs every segment (distinct caches, each with room for its tokens) in one step. Returns, per segment, the
    /// logits (vocab) of its last token, or [] where not wanted. Equal to one `forward` per segment up to rounding.
    public func forwardBatch(segments: [BatchSegment], pool: ThreadPool,
                             workspace bw: BatchWorkspace = BatchWorkspace()) -> [[Float]] {
        let c = config
        // flatten: token i of the step belongs to caches[i] at positions[i]
        var ids: [Int] = [], caches: [KVCache] = [], positions: [Int] = [], logitRows: [Int] = []
        precondition(Set(segments.map { ObjectIdentifier($0.cache) }).count == segments.count, "forwardBatch: a cache twice")
        for s in segments {
            precondition(!s.tokens.isEmpty && s.cache.count + s.tokens.count <= s.cache.capacity)
            for (j, id) in s.tokens.enumerated() {
                ids.append(id)
                caches.append(s.cache)
                positions.append(s.cache.count + j)
            }
            if s.wantsLogits { logitRows.append(ids.count - 1) }
        }
        let n = ids.count
        let ws = bw.activations(tokens: n, config: c)
        let d = c.hiddenSize, hd = c.headDim, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let half = c.rope.rotaryDim / 2
        let scratch = bw.scratch

        // MARK: - embedding
        for (i, id) in ids.enumerated() { weights.embedding.dequantizeRow(id, into: ws.x + i * d) }
        // (cos, sin) (n, rotaryDim/2): each token's row at its own position
        var cosT = [Float](repeating: 0, count: n * half), sinT = cosT
        for i in 0..<n {
            let (cs, sn) = c.rope.tables(start: positions[i], count: 1)
            for j in 0..<half { cosT[i * half + j] = cs[j]; sinT[i * half + j] = sn[j] }
        }

        for (l, lw) in weights.layers.enumerated() {
            // MARK: - attention
            rmsNorm(ws.x, lw.attnNorm, ws.h)
            let b = biases[l]
            fused(ws.h, MatMul.Output(weight: lw.q, y: ws.q, bias: b.q),   // (n, H·hd)
                  MatMul.Output(weight: lw.k, y: ws.k, bias: b.k),          // (n, KV·hd)
                  MatMul.Output(weight: lw.v, y: ws.v, bias: b.v))          // (n, KV·hd)
            cosT.withUnsafeBufferPointer { cb in
                sinT.withUnsafeBufferPointer { sb in
                    perToken { i in
                        if let qn = lw.qNorm {
                            for hh in 0..<c.headCount { let p = ws.q + i * qDim + hh * hd; Vec.rmsNorm(p, qn, p, hd, eps: c.rmsNormEps) }
                        }
                        if let kn = lw.kNorm {
                            for hh in 0..<c.kvHeadCount { let p = ws.k + i * kvDim + hh * hd; Vec.rmsNorm(p, kn, p, hd, eps: c.rmsNormEps) }
                        }
                        let cs = cb.baseAddress! + i * half, sn = sb.baseAddress! + i * half
                        c.rope.apply(ws.q + i * qDim, heads: c.headCount, headDim: hd, cos: cs, sin: sn)
                        c.rope.apply(ws.k + i * kvDim, heads: c.kvHeadCount, headDim: hd, cos: cs, sin: sn)
                        caches[i].store(layer: l, start: positions[i], tokens: 1, keys: ws.k + i * kvDim, values: ws.v + i * kvDim)
                    }
                }
            }
            batchAttention(layer: l, caches: caches, positions: positions, ws: ws, bw: bw, pool: pool)
            MatMul.run(lw.o, ws.attn, ws.proj, tokens: n, pool: pool, scratch: scratch)  // (n, D)
            Vec.add(ws.proj, ws.x, n * d)

            // MARK: - MLP
            rmsNorm(ws.x, lw.ffnNorm, ws.h)
            mlp(lw, ws, tokens: n, pool: pool, scratch: scratch)
        }
        for s in segments { s.cache.count += s.tokens.count }

        // MARK: - output, for the rows that want logits only
        let m = logitRows.count
        var out = [[Float]](repeating: [], count: segments.count)
        guard m > 0 else { return out }
        for (r, i) in logitRows.enumerated() { Vec.rmsNorm(ws.x + i * d, weights.outputNorm, ws.h + r * d, d, eps: c.rmsNormEps) }
        var logits = [Float](repeating: 0, count: m * c.vocabSize)  // (m, V)
        logits.withUnsafeMutableBufferPointer { lb in
            MatMul.run(weights.output, ws.h, lb.baseAddress!, tokens: m, pool: pool, scratch: scratch)
        }
        var r = 0
        for (k, s) in segments.enumerated() where s.wantsLogits {
            out[k] = Array(logits[(r * c.vocabSize)..<((r + 1) * c.vocabSize)])
            r += 1
        }
        return out

        func perToken(_ body: (Int) -> Void) {
            if n == 1 { body(0) } else { pool.parallelFor(n, body) }
        }
        func rmsNorm(_ x: UnsafeMutablePointer<Float>, _ w: [Float], _ y: UnsafeMutablePointer<Float>) {
            w.withUnsafeBufferPointer { wb in perToken { i in Vec.rmsNorm(x + i * d, wb.baseAddress!, y + i * d, d, eps: c.rmsNormEps) } }
        }
        /// Outputs sharing the input x: one activation conversion, one parallel call.
        func fused(_ x: UnsafePointer<Float>, _ outs: MatMul.Output...) {
            outs.withUnsafeBufferPointer { MatMul.run($0, x, tokens: n, pool: pool, scratch: scratch) }
        }
    }

    /// softmax(q·kᵀ/√hd)·v for every step token's query over its own cache up to its own position (causal within a
    /// segment: a chunk's later tokens see the earlier ones, stored above), parallel over (token, head).
    private func batchAttention(layer l: Int, caches: [KVCache], positions: [Int], ws: Workspace, bw: BatchWorkspace,
                                pool: ThreadPool) {
        let c = config
        let hd = c.headDim, qDim = c.headCount * hd
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        let items = caches.count * c.headCount
        let lanes = min(items, pool.threadCount * 4)
        let (scoreBase, stride) = bw.scoreRows(lanes: lanes, span: (positions.max() ?? 0) + 1)
        pool.parallelFor(lanes) { lane in
            let s = scoreBase + lane * stride
            var item = lane
            while item < items {
                let i = item / c.headCount, h = item % c.headCount
                let kvh = h / group
                let span = positions[i] + 1
                let cache = caches[i], type = cache.type.ggmlType
                let q = ws.q + i * qDim + h * hd
                for j in 0..<span { s[j] = AttentionKernels.dot(q, cache.key(l, j, kvh), hd, type: type) * scale }
                Vec.softmax(s, span)
                let out = ws.attn + i * qDim + h * hd
                out.update(repeating: 0, count: hd)
                for j in 0..<span { AttentionKernels.axpy(s[j], cache.value(l, j, kvh), out, hd, type: type) }
                item += lanes
            }
        }
    }
}
