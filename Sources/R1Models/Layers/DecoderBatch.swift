// One batched decode step for continuous batching: n sequences, one new token each, every projection as one MatMul
// over the n rows, RoPE and attention per sequence at its own position in its own cache (vLLM's decode step).
import R1Kernels

/// Activations and scratch reused across batched steps (grown to the largest batch seen). One per caller thread.
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

    /// Score rows for `lanes` parallel (sequence, head) items, each at least `span` long.
    func scoreRows(lanes: Int, span: Int) -> (UnsafeMutablePointer<Float>, Int) {
        if scores == nil || scoreCapacity < lanes * span {
            scores?.deallocate()
            scoreCapacity = lanes * max(span, 1024)
            scores = .allocate(capacity: scoreCapacity)
        }
        return (scores!, scoreCapacity / lanes)
    }
}

extension Decoder {
    /// Runs `tokens[i]` at position caches[i].count in caches[i] for every i, appending to each cache.
    /// Returns logits (n, vocab). Equal to n single-token `forward` calls up to float rounding.
    public func forwardBatch(tokens: [Int], caches: [KVCache], pool: ThreadPool,
                             workspace bw: BatchWorkspace = BatchWorkspace()) -> [Float] {
        let c = config
        let n = tokens.count
        precondition(n > 0 && caches.count == n)
        for cache in caches { precondition(cache.count < cache.capacity) }
        let ws = bw.activations(tokens: n, config: c)
        let d = c.hiddenSize, hd = c.headDim, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let positions = caches.map(\.count)
        let half = c.rope.rotaryDim / 2

        // MARK: - embedding
        for (i, id) in tokens.enumerated() { weights.embedding.dequantizeRow(id, into: ws.x + i * d) }
        let tables = positions.map { c.rope.tables(start: $0, count: 1) }  // per sequence (cos, sin) (rotaryDim/2)

        for (l, lw) in weights.layers.enumerated() {
            // MARK: - attention
            for i in 0..<n { Vec.rmsNorm(ws.x + i * d, lw.attnNorm, ws.h + i * d, d, eps: c.rmsNormEps) }
            matmul(lw.q, ws.h, ws.q, lw.qBias)   // (n, H·hd)
            matmul(lw.k, ws.h, ws.k, lw.kBias)   // (n, KV·hd)
            matmul(lw.v, ws.h, ws.v, lw.vBias)   // (n, KV·hd)
            for i in 0..<n {
                if let qn = lw.qNorm {
                    for hh in 0..<c.headCount { let p = ws.q + i * qDim + hh * hd; Vec.rmsNorm(p, qn, p, hd, eps: c.rmsNormEps) }
                }
                if let kn = lw.kNorm {
                    for hh in 0..<c.kvHeadCount { let p = ws.k + i * kvDim + hh * hd; Vec.rmsNorm(p, kn, p, hd, eps: c.rmsNormEps) }
                }
                tables[i].cos.withUnsafeBufferPointer { cb in
                    tables[i].sin.withUnsafeBufferPointer { sb in
                        c.rope.apply(ws.q + i * qDim, heads: c.headCount, headDim: hd, cos: cb.baseAddress!, sin: sb.baseAddress!)
                        c.rope.apply(ws.k + i * kvDim, heads: c.kvHeadCount, headDim: hd, cos: cb.baseAddress!, sin: sb.baseAddress!)
                    }
                }
                caches[i].store(layer: l, start: positions[i], tokens: 1, keys: ws.k + i * kvDim, values: ws.v + i * kvDim)
            }
            batchAttention(layer: l, caches: caches, positions: positions, ws: ws, bw: bw, pool: pool)
            matmul(lw.o, ws.attn, ws.proj, nil)  // (n, D)
            Vec.add(ws.proj, ws.x, n * d)

            // MARK: - MLP
            for i in 0..<n { Vec.rmsNorm(ws.x + i * d, lw.ffnNorm, ws.h + i * d, d, eps: c.rmsNormEps) }
            matmul(lw.gate, ws.h, ws.gate, nil)  // (n, I)
            matmul(lw.up, ws.h, ws.up, nil)      // (n, I)
            Vec.siluMul(ws.gate, ws.up, n * c.intermediateSize)
            matmul(lw.down, ws.gate, ws.proj, nil) // (n, D)
            Vec.add(ws.proj, ws.x, n * d)
        }
        for (i, cache) in caches.enumerated() { cache.count = positions[i] + 1 }

        // MARK: - output
        for i in 0..<n { Vec.rmsNorm(ws.x + i * d, weights.outputNorm, ws.h + i * d, d, eps: c.rmsNormEps) }
        var logits = [Float](repeating: 0, count: n * c.vocabSize)  // (n, V)
        logits.withUnsafeMutableBufferPointer { lb in
            MatMul.run(weights.output, ws.h, lb.baseAddress!, tokens: n, pool: pool, scratch: bw.scratch)
        }
        return logits

        func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ bias: [Float]?) {
            if let b = bias {
                b.withUnsafeBufferPointer { MatMul.run(w, x, y, tokens: n, bias: $0.baseAddress!, pool: pool, scratch: bw.scratch) }
            } else {
                MatMul.run(w, x, y, tokens: n, pool: pool, scratch: bw.scratch)
            }
        }
    }

    /// softmax(q·kᵀ/√hd)·v for each sequence's one query over its own cache, parallel over (sequence, head).
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
