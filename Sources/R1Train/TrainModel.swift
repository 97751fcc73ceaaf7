// The trainable dense decoder (Llama / Qwen2 / Qwen3, transformers' modeling code): forward keeping activations,
// backward in reverse, as llm.c's gpt2_forward / gpt2_backward. Weights and gradients are flat buffers laid out by
// ParameterLayout; what varies per call (the batch, its workspace) is passed in.
import Foundation
import R1Kernels

/// What one forward saw: Σ weighted terms, how many terms counted, and log p(target) of each counted row.
public struct ForwardResult: Sendable {
    public let lossSum: Double
    public let termCount: Int
    /// For each token: log p(id t+1 | ids ≤ t) where that term counts, else nil.
    public let logprobs: [Float?]
    /// For each token: the entropy of its predicted distribution where its term counts, else nil.
    public let entropies: [Float?]
    /// Mean over counted terms (0 when none count).
    public var meanLoss: Double { termCount == 0 ? 0 : lossSum / Double(termCount) }
}

public struct TrainModel: @unchecked Sendable {
    public let layout: ParameterLayout
    public let pool: ThreadPool
    let gemm: Gemm
    public var shape: ModelShape { layout.shape }

    public init(layout: ParameterLayout, pool: ThreadPool) {
        self.layout = layout
        self.pool = pool
        gemm = Gemm(pool: pool)
    }

    public func batch(_ sequences: [TrainSequence]) throws -> TrainBatch {
        try TrainBatch(sequences: sequences, vocabSize: shape.vocabSize)
    }

    /// A workspace for `batch`, reusing `previous` when it is large enough.
    public func workspace(for batch: TrainBatch, reusing previous: Activations? = nil) -> Activations {
        let probs = SegmentLayout(lengths: batch.lengths, heads: shape.headCount).probCount
        if let p = previous, p.fits(tokens: batch.tokenCount, probCount: probs, termRows: batch.termCount) { return p }
        return Activations(shape: shape, tokens: batch.tokenCount, probCount: probs, termRows: batch.termCount)
    }

    /// The loss without gradients (evaluation, log-probs for RL); logits divided by `temperature` first.
    public func evaluate(_ params: FlatBuffer, batch: TrainBatch, workspace: Activations, temperature: Float = 1) -> ForwardResult {
        forward(params, batch: batch, acts: workspace, temperature: temperature, gradScale: nil)
    }

    /// Forward and backward: `grads` += ∂(Σ weighted terms / normalizer)/∂params. For gradient accumulation pass the
    /// whole step's term count as `normalizer` to every micro-batch (default: this batch's own count).
    public func lossAndGradient(_ params: FlatBuffer, grads: FlatBuffer, batch: TrainBatch, workspace: Activations,
                                normalizer: Double? = nil) -> ForwardResult {
        let n = normalizer ?? Double(max(1, batch.termCount))
        let result = forward(params, batch: batch, acts: workspace, gradScale: Float(1 / n))
        backward(params, grads: grads, batch: batch, acts: workspace)
        return result
    }

    /// Forward, then `grads` += ∂L/∂params for a loss given through its gradient with respect to each counted term's
    /// log p(target) (logits divided by `temperature`): `dlogp` maps the forward's result to one ∂L/∂logp per counted
    /// term, in `batch.termRows` order. The RL objectives (GRPOObjective) take this path; the term weights are unused.
    public func logprobGradient(_ params: FlatBuffer, grads: FlatBuffer, batch: TrainBatch, workspace: Activations,
                                temperature: Float, dlogp: (ForwardResult) -> [Float]) -> ForwardResult {
        let result = forward(params, batch: batch, acts: workspace, temperature: temperature, gradScale: nil)
        let g = dlogp(result)
        precondition(g.count == batch.termCount, "logprobGradient: \(g.count) gradients for \(batch.termCount) terms")
        CrossEntropy.logprobBackward(pool: pool, logits: workspace.logits, targets: batch.termRows.map { batch.targets[$0] },
                                     logprobs: workspace.logprobs, dlogp: g, vocab: shape.vocabSize, temperature: temperature)
        backward(params, grads: grads, batch: batch, acts: workspace)
        return result
    }

    // MARK: - forward

    func forward(_ params: FlatBuffer, batch: TrainBatch, acts: Activations, temperature: Float = 1,
                 gradScale: Float?) -> ForwardResult {
        let s = shape, P = params.pointer, T = batch.tokenCount, R = batch.termCount
        precondition(acts.fits(tokens: T, probCount: SegmentLayout(lengths: batch.lengths, heads: s.headCount).probCount,
                               termRows: R), "workspace too small for the batch")
        let d = s.hiddenSize, f = s.intermediateSize, eps = Float(s.rmsNormEps)
        let att = AttentionShape(heads: s.headCount, kvHeads: s.kvHeadCount, headDim: s.headDim)
        let segments = SegmentLayout(lengths: batch.lengths, heads: s.headCount)
        let rope = RopeTable(positions: batch.positions, rotary: s.rotaryEmbedding)

        Embedding.forward(ids: batch.ids, table: P + layout.embedding, out: acts.resid[0], dim: d)  // (T, D)
        for (l, o) in layout.layers.enumerated() {
            let a = acts.layers[l], x = acts.resid[l]
            RMSNorm.forward(pool: pool, x: x, weight: P + o.attnNorm, out: a.norm1, rstd: a.rstd1, rows: T, dim: d, eps: eps)
            let qOut = a.qPre ?? a.q, kOut = a.kPre ?? a.k
            gemm.linear(a.norm1, P + o.q, bias: o.qBias.map { P + $0 }, qOut, tokens: T, inFeatures: d, outFeatures: att.qDim)   // (T, H·hd)
            gemm.linear(a.norm1, P + o.k, bias: o.kBias.map { P + $0 }, kOut, tokens: T, inFeatures: d, outFeatures: att.kvDim)  // (T, KV·hd)
            gemm.linear(a.norm1, P + o.v, bias: o.vBias.map { P + $0 }, a.v, tokens: T, inFeatures: d, outFeatures: att.kvDim)   // (T, KV·hd)
            if let qn = o.qNorm, let kn = o.kNorm, let qPre = a.qPre, let kPre = a.kPre {
                RMSNorm.forward(pool: pool, x: qPre, weight: P + qn, out: a.q, rstd: a.qRstd!, rows: T * att.heads, dim: att.headDim, eps: eps)
                RMSNorm.forward(pool: pool, x: kPre, weight: P + kn, out: a.k, rstd: a.kRstd!, rows: T * att.kvHeads, dim: att.headDim, eps: eps)
            }
            rope.forward(pool: pool, a.q, tokens: T, heads: att.heads)
            rope.forward(pool: pool, a.k, tokens: T, heads: att.kvHeads)
            Attention.forward(pool: pool, shape: att, segments: segments, q: a.q, k: a.k, v: a.v, probs: a.probs, out: a.att)
            a.xMid.update(from: x, count: T * d)                                                            // residual
            gemm.run(ta: false, tb: true, m: T, n: d, k: att.qDim, a: a.att, lda: att.qDim, b: P + o.o, ldb: att.qDim,
                     beta: 1, c: a.xMid, ldc: d)                                                            // (T, D) += att·Woᵀ
            RMSNorm.forward(pool: pool, x: a.xMid, weight: P + o.ffnNorm, out: a.norm2, rstd: a.rstd2, rows: T, dim: d, eps: eps)
            gemm.linear(a.norm2, P + o.gate, bias: nil, a.gate, tokens: T, inFeatures: d, outFeatures: f)  // (T, F)
            gemm.linear(a.norm2, P + o.up, bias: nil, a.up, tokens: T, inFeatures: d, outFeatures: f)      // (T, F)
            SwiGLU.forward(pool: pool, gate: a.gate, up: a.up, out: a.h, count: T * f)
            let next = acts.resid[l + 1]
            next.update(from: a.xMid, count: T * d)
            gemm.run(ta: false, tb: true, m: T, n: d, k: f, a: a.h, lda: f, b: P + o.down, ldb: f, beta: 1, c: next, ldc: d)
        }
        let xf = acts.resid[s.layerCount]
        RMSNorm.forward(pool: pool, x: xf, weight: P + layout.finalNorm, out: acts.normF, rstd: acts.rstdF, rows: T, dim: d, eps: eps)
        // The head runs on the counted rows only: (R, D) -> (R, V).
        for (i, t) in batch.termRows.enumerated() { (acts.headIn + i * d).update(from: acts.normF + t * d, count: d) }
        gemm.linear(acts.headIn, P + layout.head, bias: nil, acts.logits, tokens: R, inFeatures: d, outFeatures: s.vocabSize)
        let targets = batch.termRows.map { batch.targets[$0] }, weights = batch.termRows.map { batch.termWeights[$0] }
        CrossEntropy.forwardBackward(pool: pool, logits: acts.logits, targets: targets, weights: weights, vocab: s.vocabSize,
                                     temperature: temperature, gradScale: gradScale, terms: acts.terms,
                                     logprobs: acts.logprobs, entropies: acts.entropies)
        var lossSum: Double = 0
        var logprobs = [Float?](repeating: nil, count: T), entropies = [Float?](repeating: nil, count: T)
        for (i, t) in batch.termRows.enumerated() {
            lossSum += Double(acts.terms[i])
            logprobs[t] = acts.logprobs[i]
            entropies[t] = acts.entropies[i]
        }
        return ForwardResult(lossSum: lossSum, termCount: R, logprobs: logprobs, entropies: entropies)
    }

    // MARK: - backward

    /// Reads the activations and the logits' gradient the forward left in `acts`; adds into `grads`.
    func backward(_ params: FlatBuffer, grads: FlatBuffer, batch: TrainBatch, acts: Activations) {
        let s = shape, P = params.pointer, G = grads.pointer, T = batch.tokenCount, R = batch.termCount
        let d = s.hiddenSize, f = s.intermediateSize
        let att = AttentionShape(heads: s.headCount, kvHeads: s.kvHeadCount, headDim: s.headDim)
        let segments = SegmentLayout(lengths: batch.lengths, heads: s.headCount)
        let rope = RopeTable(positions: batch.positions, rotary: s.rotaryEmbedding)

        // head: dheadIn(R, D) = dz · W; dW += dzᵀ · headIn; scattered back to the counted rows of dnorm(T, D)
        gemm.linearBackward(dy: acts.logits, x: acts.headIn, w: P + layout.head, dx: acts.dheadIn, accumulateDx: false,
                            dw: G + layout.head, dbias: nil, tokens: R, inFeatures: d, outFeatures: s.vocabSize)
        acts.dnorm.update(repeating: 0, count: T * d)
        for (i, t) in batch.termRows.enumerated() { (acts.dnorm + t * d).update(from: acts.dheadIn + i * d, count: d) }
        acts.dres.update(repeating: 0, count: T * d)
        RMSNorm.backward(pool: pool, dout: acts.dnorm, x: acts.resid[s.layerCount], weight: P + layout.finalNorm,
                         rstd: acts.rstdF, dx: acts.dres, dweight: G + layout.finalNorm, scratch: acts.reduction, rows: T, dim: d)

        for (l, o) in layout.layers.enumerated().reversed() {
            let a = acts.layers[l]
            // MLP: dres(T, D) is ∂L/∂resid[l+1]
            gemm.linearBackward(dy: acts.dres, x: a.h, w: P + o.down, dx: acts.dh, accumulateDx: false, dw: G + o.down,
                                dbias: nil, tokens: T, inFeatures: f, outFeatures: d)                         // dh (T, F)
            SwiGLU.backward(pool: pool, dout: acts.dh, gate: a.gate, up: a.up, dgate: acts.dgate, dup: acts.dup, count: T * f)
            gemm.linearBackward(dy: acts.dgate, x: a.norm2, w: P + o.gate, dx: acts.dnorm, accumulateDx: false,
                                dw: G + o.gate, dbias: nil, tokens: T, inFeatures: d, outFeatures: f)
            gemm.linearBackward(dy: acts.dup, x: a.norm2, w: P + o.up, dx: acts.dnorm, accumulateDx: true,
                                dw: G + o.up, dbias: nil, tokens: T, inFeatures: d, outFeatures: f)          // dnorm2 (T, D)
            RMSNorm.backward(pool: pool, dout: acts.dnorm, x: a.xMid, weight: P + o.ffnNorm, rstd: a.rstd2, dx: acts.dres,
                             dweight: G + o.ffnNorm, scratch: acts.reduction, rows: T, dim: d)                // dres: ∂L/∂xMid
            // attention
            gemm.linearBackward(dy: acts.dres, x: a.att, w: P + o.o, dx: acts.datt, accumulateDx: false, dw: G + o.o,
                                dbias: nil, tokens: T, inFeatures: att.qDim, outFeatures: d)                   // datt (T, H·hd)
            Attention.backward(pool: pool, shape: att, segments: segments, q: a.q, k: a.k, v: a.v, probs: a.probs,
                               dout: acts.datt, dq: acts.dq, dk: acts.dk, dv: acts.dv)
            rope.backward(pool: pool, acts.dq, tokens: T, heads: att.heads)
            rope.backward(pool: pool, acts.dk, tokens: T, heads: att.kvHeads)
            var dqIn = acts.dq, dkIn = acts.dk
            if let qn = o.qNorm, let kn = o.kNorm, let dqPre = acts.dqPre, let dkPre = acts.dkPre {
                dqPre.update(repeating: 0, count: T * att.qDim)
                dkPre.update(repeating: 0, count: T * att.kvDim)
                RMSNorm.backward(pool: pool, dout: acts.dq, x: a.qPre!, weight: P + qn, rstd: a.qRstd!, dx: dqPre,
                                 dweight: G + qn, scratch: acts.reduction, rows: T * att.heads, dim: att.headDim)
                RMSNorm.backward(pool: pool, dout: acts.dk, x: a.kPre!, weight: P + kn, rstd: a.kRstd!, dx: dkPre,
                                 dweight: G + kn, scratch: acts.reduction, rows: T * att.kvHeads, dim: att.headDim)
                dqIn = dqPre
                dkIn = dkPre
            }
            gemm.linearBackward(dy: dqIn, x: a.norm1, w: P + o.q, dx: acts.dnorm, accumulateDx: false, dw: G + o.q,
                                dbias: o.qBias.map { G + $0 }, tokens: T, inFeatures: d, outFeatures: att.qDim)
            gemm.linearBackward(dy: dkIn, x: a.norm1, w: P + o.k, dx: acts.dnorm, accumulateDx: true, dw: G + o.k,
                                dbias: o.kBias.map { G + $0 }, tokens: T, inFeatures: d, outFeatures: att.kvDim)
            gemm.linearBackward(dy: acts.dv, x: a.norm1, w: P + o.v, dx: acts.dnorm, accumulateDx: true, dw: G + o.v,
                                dbias: o.vBias.map { G + $0 }, tokens: T, inFeatures: d, outFeatures: att.kvDim)  // dnorm1 (T, D)
            RMSNorm.backward(pool: pool, dout: acts.dnorm, x: acts.resid[l], weight: P + o.attnNorm, rstd: a.rstd1,
                             dx: acts.dres, dweight: G + o.attnNorm, scratch: acts.reduction, rows: T, dim: d)  // dres: ∂L/∂resid[l]
        }
        Embedding.backward(ids: batch.ids, dout: acts.dres, dtable: G + layout.embedding, dim: d)
    }
}
