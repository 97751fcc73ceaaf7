// The workspace of one forward/backward: every activation the backward reads, per layer, plus the gradient scratch
// shared by all layers. A value the caller owns and passes in (the model holds none); it grows to the largest batch.

final class ActivationBuffers: @unchecked Sendable {
    private(set) var storage: [FlatBuffer] = []
    func make(_ count: Int) -> FloatPointer {
        let b = FlatBuffer(count: count)
        storage.append(b)
        return b.pointer
    }
}

/// One decoder layer's saved activations for T tokens.
struct LayerActivations {
    let norm1, rstd1: FloatPointer       // (T, D), (T)
    let qPre, kPre: FloatPointer?        // (T, H·hd), (T, KV·hd): projections before q/k norm (Qwen3)
    let qRstd, kRstd: FloatPointer?      // (T·H), (T·KV)
    let q, k, v: FloatPointer            // (T, H·hd) after norm and RoPE, (T, KV·hd), (T, KV·hd)
    let probs: FloatPointer              // per segment (H, L, L)
    let att: FloatPointer                // (T, H·hd)
    let xMid: FloatPointer               // (T, D) residual after attention
    let norm2, rstd2: FloatPointer       // (T, D), (T)
    let gate, up, h: FloatPointer        // (T, F) each
}

public final class Activations: @unchecked Sendable {
    let tokens: Int
    let probCount: Int
    let termRows: Int
    private let buffers = ActivationBuffers()
    /// resid[l] is the input of layer l; resid[layerCount] the input of the final norm. (T, D) each.
    let resid: [FloatPointer]
    let layers: [LayerActivations]
    let normF, rstdF: FloatPointer       // (T, D), (T)
    let headIn: FloatPointer             // (R, D): normF's counted rows
    let logits: FloatPointer             // (R, V), then its gradient
    let terms, logprobs, entropies: FloatPointer    // (R)
    // gradient scratch
    let dres, dnorm, datt, dq, dk, dv: FloatPointer
    let dqPre, dkPre: FloatPointer?
    let dh, dgate, dup: FloatPointer
    let dheadIn: FloatPointer            // (R, D)
    let reduction: FloatPointer          // (blocks, max(D, hd)) partial sums of norm-weight gradients

    /// Sized for `tokens` tokens, `probCount` saved probabilities per layer and `termRows` counted rows.
    init(shape s: ModelShape, tokens t: Int, probCount: Int, termRows r: Int) {
        self.tokens = t
        self.probCount = probCount
        self.termRows = r
        let b = buffers
        let d = s.hiddenSize, qd = s.headCount * s.headDim, kvd = s.kvHeadCount * s.headDim, f = s.intermediateSize
        resid = (0...s.layerCount).map { _ in b.make(t * d) }
        layers = (0..<s.layerCount).map { _ in
            LayerActivations(
                norm1: b.make(t * d), rstd1: b.make(t),
                qPre: s.qkNorm ? b.make(t * qd) : nil, kPre: s.qkNorm ? b.make(t * kvd) : nil,
                qRstd: s.qkNorm ? b.make(t * s.headCount) : nil, kRstd: s.qkNorm ? b.make(t * s.kvHeadCount) : nil,
                q: b.make(t * qd), k: b.make(t * kvd), v: b.make(t * kvd), probs: b.make(probCount), att: b.make(t * qd),
                xMid: b.make(t * d), norm2: b.make(t * d), rstd2: b.make(t),
                gate: b.make(t * f), up: b.make(t * f), h: b.make(t * f))
        }
        normF = b.make(t * d)
        rstdF = b.make(t)
        headIn = b.make(r * d)
        logits = b.make(r * s.vocabSize)
        terms = b.make(r)
        logprobs = b.make(r)
        entropies = b.make(r)
        dres = b.make(t * d)
        dnorm = b.make(t * d)
        datt = b.make(t * qd)
        dq = b.make(t * qd)
        dk = b.make(t * kvd)
        dv = b.make(t * kvd)
        dqPre = s.qkNorm ? b.make(t * qd) : nil
        dkPre = s.qkNorm ? b.make(t * kvd) : nil
        dh = b.make(t * f)
        dgate = b.make(t * f)
        dup = b.make(t * f)
        dheadIn = b.make(r * d)
        reduction = b.make(((t * max(1, s.headCount) + reductionBlock - 1) / reductionBlock) * max(d, s.headDim))
    }

    func fits(tokens t: Int, probCount p: Int, termRows r: Int) -> Bool { t <= tokens && p <= probCount && r <= termRows }
}
