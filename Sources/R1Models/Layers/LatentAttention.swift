// Multi-head Latent Attention (DeepSeek-V2, V3, R1): transformers' DeepseekV3Attention / DeepseekV2Attention, with
// the two paths of DeepSeek-V3's inference/model.py: naive (per-head K/V expanded from the cached latent, the oracle)
// and absorbed (kv_b_proj folded into the query and the output, attention over the latent itself, for decoding).
// The cache holds kv_lora_rank + qk_rope_head_dim values per position per layer, whichever path reads it.
import R1Kernels

/// The head dims of one MLA layer, from the config.
public struct LatentAttentionShape: Sendable {
    public var headCount: Int
    /// 0: queries through q_proj, without compression (V2-Lite).
    public var qLoraRank: Int
    public var kvLoraRank: Int
    public var nopeDim: Int   // qk_nope_head_dim
    public var ropeDim: Int   // qk_rope_head_dim
    public var vDim: Int      // v_head_dim
    /// q_a_layernorm's and kv_a_layernorm's eps: transformers builds them with RMSNorm's default 1e-6, llama.cpp
    /// uses the model's rms_norm_eps.
    public var normEps: Float = 1e-6

    public var qkDim: Int { nopeDim + ropeDim }
    /// Values one position of one layer's cache holds: the normed latent, then the shared roped key.
    public var cacheWidth: Int { kvLoraRank + ropeDim }
    /// Values a per-head cache (every head's K and V) would hold instead.
    public var perHeadWidth: Int { headCount * (qkDim + vDim) }
}

/// One layer's MLA weights; norms are dequantized to fp32 at load, matrices stay where they were mapped.
public struct LatentAttentionWeights: Sendable {
    public var qA: LinearWeight?     // (qLoraRank, D) q_a_proj; nil without q compression
    public var qANorm: [Float]?      // (qLoraRank)
    public var q: LinearWeight       // (H·qkDim, qLoraRank) q_b_proj, or (H·qkDim, D) q_proj
    public var kvA: LinearWeight     // (kvLoraRank + ropeDim, D) kv_a_proj_with_mqa
    public var kvANorm: [Float]      // (kvLoraRank)
    public var kvB: LatentUpProjection
    public var o: LinearWeight       // (D, H·vDim)
}

/// kv_b_proj, the latent's way back to per-head keys and values, as the checkpoint stores it.
public enum LatentUpProjection: Sendable {
    /// (H·(nopeDim + vDim), kvLoraRank): per head, nopeDim key rows then vDim value rows (HF kv_b_proj; the older
    /// llama.cpp `attn_kv_b`).
    case joined(LinearWeight)
    /// llama.cpp's newer split: `attn_k_b` (H, kvLoraRank, nopeDim), each head's key rows transposed, as one
    /// (H·kvLoraRank, nopeDim) matrix; `attn_v_b` (H, vDim, kvLoraRank) as one (H·vDim, kvLoraRank) matrix.
    case split(kB: WeightMatrix, vB: WeightMatrix)

    /// The weights, for prefaulting and sizes.
    var weights: [LinearWeight] {
        switch self {
        case .joined(let m): return [m]
        case .split(let k, let v): return [.matrix(k), .matrix(v)]
        }
    }

    /// kv_b_proj in fp32, (H·(nopeDim + vDim), kvLoraRank), into `kvb`.
    func dequantize(into kvb: UnsafeMutablePointer<Float>, shape s: LatentAttentionShape) {
        let r = s.kvLoraRank, kvDim = s.nopeDim + s.vDim
        switch self {
        case .joined(let m):
            for row in 0..<m.rows { m.dequantizeRow(row, into: kvb + row * r) }
        case .split(let kB, let vB):
            let tmp = zeroedFloats(max(s.nopeDim, r))
            defer { tmp.deallocate() }
            for h in 0..<s.headCount {
                let head = kvb + h * kvDim * r
                for c in 0..<r {                                  // k_b row (h, c): nopeDim values of column c
                    kB.dequantizeRow(h * r + c, into: tmp)
                    for d in 0..<s.nopeDim { head[d * r + c] = tmp[d] }
                }
                for e in 0..<s.vDim { vB.dequantizeRow(h * s.vDim + e, into: head + (s.nopeDim + e) * r) }
            }
        }
    }
}

/// Which attention computation reads the latent cache (both give the same numbers, to float rounding).
public enum AttentionPath: String, Sendable, CaseIterable {
    /// K and V expanded per head from the latent, then ordinary attention: the reference's arithmetic.
    case naive
    /// kv_b_proj's key half folded into the query and its value half applied after the weighted sum of latents.
    case absorbed
}

/// A sequence's MLA cache: per layer (capacity, kvLoraRank + ropeDim) rows in f32, or in f16 (half the bytes; a row
/// is rounded once when stored and read back exactly).
public final class LatentCache: SequenceCache, @unchecked Sendable {
    public let layers: Int
    public let width: Int
    public let capacity: Int
    /// .f32 or .f16 (DeepSeekModel.validate refuses the others).
    public let type: KVCacheType
    public internal(set) var count: Int = 0
    let storage: [UnsafeMutableRawPointer]
    /// Every layer's rows: the whole context reserved, resident as positions fill, given back on truncate.
    let memory: ReservedMemory

    public init(layers: Int, width: Int, capacity: Int, type: KVCacheType = .f32) {
        precondition(type == .f32 || type == .f16, "LatentCache: \(type)")
        self.layers = layers
        self.width = width
        self.capacity = capacity
        self.type = type
        let memory = ReservedMemory(parts: layers, partBytes: capacity * width * (type == .f16 ? 2 : 4))
        self.memory = memory
        storage = (0..<layers).map { memory.part($0) }
    }

    /// Forgets every position from `position` on and gives their pages back.
    public func truncate(to position: Int) {
        count = min(count, max(0, position))
        memory.release(from: count * rowBytes)
    }

    /// Bytes of latent rows resident in memory now.
    public var residentByteCount: Int { memory.residentBytes() }

    /// Bytes one position takes in every layer.
    public var bytesPerToken: Int { layers * width * (type == .f16 ? 2 : 4) }
    public var byteCount: Int { capacity * bytesPerToken }

    public var positionBytes: Int { bytesPerToken }

    /// Bytes of one layer's row at one position, in the storage type.
    private var rowBytes: Int { width * (type == .f16 ? 2 : 4) }

    /// Position-major: for each position, each layer's latent row, in the storage type.
    public func copyPositions(_ range: Range<Int>, to buffer: UnsafeMutableRawPointer) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "LatentCache.copyPositions: \(range) outside 0..<\(count)")
        var out = buffer
        for p in range {
            for l in 0..<layers { out.copyMemory(from: storage[l] + p * rowBytes, byteCount: rowBytes); out += rowBytes }
        }
    }

    public func appendPositions(_ n: Int, from buffer: UnsafeRawPointer) {
        precondition(n >= 0 && count + n <= capacity, "LatentCache.appendPositions: \(n) more past capacity \(capacity)")
        var from = buffer
        for p in count..<(count + n) {
            for l in 0..<layers { (storage[l] + p * rowBytes).copyMemory(from: from, byteCount: rowBytes); from += rowBytes }
        }
        count += n
    }

    /// Stores `row` (width floats) at `position` of `layer`.
    func store(_ layer: Int, _ position: Int, _ row: UnsafePointer<Float>) {
        switch type {
        case .f16:
            let dst = (storage[layer] + 2 * position * width).assumingMemoryBound(to: UInt16.self)
            for k in 0..<width { dst[k] = floatToHalf(row[k]) }
        default:
            (storage[layer] + 4 * position * width).assumingMemoryBound(to: Float.self).update(from: row, count: width)
        }
    }

    /// Rows 0..<count of `layer` as f32 (count, width): the storage itself when f32, else converted into `buffer`
    /// (count · width floats).
    func floats(_ layer: Int, count n: Int, buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        switch type {
        case .f16:
            let src = storage[layer].assumingMemoryBound(to: UInt16.self)
            for k in 0..<(n * width) { buffer[k] = halfToFloat(src[k]) }
            return UnsafePointer(buffer)
        default:
            return UnsafePointer(storage[layer].assumingMemoryBound(to: Float.self))
        }
    }
}

/// `count` zeroed floats; the caller deallocates.
func zeroedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    p.initialize(repeating: 0, count: max(count, 1))
    return p
}

extension LatentAttentionWeights {
    /// out (n, D) = o_proj(attention) for the normed inputs h (n, D); token i runs at positions[i] of caches[i] and
    /// stores its latent there first (a chunk's later tokens see its earlier ones). cos/sin: (n, ropeDim / 2).
    func forward(_ h: UnsafePointer<Float>, tokens n: Int, layer l: Int, caches: [LatentCache], positions: [Int],
                 shape s: LatentAttentionShape, rope: RotaryEmbedding, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                 scale: Float, path: AttentionPath, out: UnsafeMutablePointer<Float>, pool: ThreadPool, scratch: MatMulScratch) {
        let H = s.headCount, qkDim = s.qkDim, qDim = H * qkDim, r = s.kvLoraRank, w = s.cacheWidth, half = rope.rotaryDim / 2
        // MARK: - projections
        let q = zeroedFloats(n * qDim)                                  // (n, H·qkDim)
        defer { q.deallocate() }
        if let qA, let qANorm {
            let qa = zeroedFloats(n * s.qLoraRank)                      // (n, qLoraRank)
            defer { qa.deallocate() }
            qA.run(h, qa, tokens: n, pool: pool, scratch: scratch)
            for i in 0..<n { Vec.rmsNorm(qa + i * s.qLoraRank, qANorm, qa + i * s.qLoraRank, s.qLoraRank, eps: s.normEps) }
            self.q.run(qa, q, tokens: n, pool: pool, scratch: scratch)
        } else {
            self.q.run(h, q, tokens: n, pool: pool, scratch: scratch)
        }
        let kv = zeroedFloats(n * w)                                    // (n, kvLoraRank + ropeDim)
        defer { kv.deallocate() }
        kvA.run(h, kv, tokens: n, pool: pool, scratch: scratch)
        for i in 0..<n {
            let row = kv + i * w
            Vec.rmsNorm(row, kvANorm, row, r, eps: s.normEps)
            rope.apply(q + i * qDim + s.nopeDim, heads: H, headDim: qkDim, cos: cos + i * half, sin: sin + i * half)
            rope.apply(row + r, heads: 1, headDim: s.ropeDim, cos: cos + i * half, sin: sin + i * half)
            caches[i].store(l, positions[i], row)
        }
        // kv_b_proj in fp32, (H·(nopeDim + vDim), kvLoraRank)
        let kvb = zeroedFloats(H * (s.nopeDim + s.vDim) * r)
        defer { kvb.deallocate() }
        kvB.dequantize(into: kvb, shape: s)

        // MARK: - attention
        let attn = zeroedFloats(n * H * s.vDim)                         // (n, H·vDim)
        defer { attn.deallocate() }
        switch path {
        case .naive: naive(q: q, kvb: kvb, tokens: n, layer: l, caches: caches, positions: positions, shape: s, scale: scale,
                           attn: attn, pool: pool, scratch: scratch)
        case .absorbed: absorbed(q: q, kvb: kvb, tokens: n, layer: l, caches: caches, positions: positions, shape: s,
                                 scale: scale, attn: attn)
        }
        o.run(attn, out, tokens: n, pool: pool, scratch: scratch)  // (n, D)
    }

    /// Per cache, K/V of every head at every position it needs (kv_b_proj over the latents), then softmax(q·kᵀ)·v.
    private func naive(q: UnsafePointer<Float>, kvb: UnsafePointer<Float>, tokens n: Int, layer l: Int, caches: [LatentCache],
                       positions: [Int], shape s: LatentAttentionShape, scale: Float, attn: UnsafeMutablePointer<Float>,
                       pool: ThreadPool, scratch: MatMulScratch) {
        let H = s.headCount, qkDim = s.qkDim, r = s.kvLoraRank, kvDim = s.nopeDim + s.vDim
        var i = 0
        while i < n {
            // one cache's tokens are adjacent; expand its positions 0...last once
            var end = i
            while end < n && caches[end] === caches[i] { end += 1 }
            let cache = caches[i], span = positions[end - 1] + 1, w = s.cacheWidth
            let latents = zeroedFloats(span * r)                        // (span, kvLoraRank)
            let expanded = zeroedFloats(span * H * kvDim)               // (span, H·(nopeDim + vDim))
            let scores = zeroedFloats(span), buffer = zeroedFloats(cache.type == .f32 ? 1 : span * w)
            defer { latents.deallocate(); expanded.deallocate(); scores.deallocate(); buffer.deallocate() }
            let rows = cache.floats(l, count: span, buffer: buffer)     // (span, kvLoraRank + ropeDim)
            for j in 0..<span { (latents + j * r).update(from: rows + j * w, count: r) }
            let kvB32 = WeightMatrix(type: .f32, rows: H * kvDim, cols: r, data: UnsafeRawPointer(kvb))
            MatMul.run(kvB32, latents, expanded, tokens: span, pool: pool, scratch: scratch)
            for t in i..<end {
                let p = positions[t] + 1
                for hh in 0..<H {
                    let qh = q + t * H * qkDim + hh * qkDim
                    for j in 0..<p {
                        let k = expanded + j * H * kvDim + hh * kvDim
                        scores[j] = (Vec.dot(qh, k, s.nopeDim) + Vec.dot(qh + s.nopeDim, rows + j * w + r, s.ropeDim)) * scale
                    }
                    Vec.softmax(scores, p)
                    let o = attn + t * H * s.vDim + hh * s.vDim
                    for j in 0..<p { Vec.axpy(scores[j], expanded + j * H * kvDim + hh * kvDim + s.nopeDim, o, s.vDim) }
                }
            }
            i = end
        }
    }

    /// Scores against the latent: q_nope·(W_UK·c) = (W_UKᵀ·q_nope)·c; output W_UV·(Σ p·c). Reads only the cache rows.
    private func absorbed(q: UnsafePointer<Float>, kvb: UnsafePointer<Float>, tokens n: Int, layer l: Int, caches: [LatentCache],
                          positions: [Int], shape s: LatentAttentionShape, scale: Float, attn: UnsafeMutablePointer<Float>) {
        let H = s.headCount, qkDim = s.qkDim, r = s.kvLoraRank, kvDim = s.nopeDim + s.vDim
        let qLatent = zeroedFloats(r), oLatent = zeroedFloats(r), w = s.cacheWidth
        let most = (positions.max() ?? 0) + 1
        let scores = zeroedFloats(most), buffer = zeroedFloats(caches.contains { $0.type != .f32 } ? most * w : 1)
        defer { qLatent.deallocate(); oLatent.deallocate(); scores.deallocate(); buffer.deallocate() }
        var rows = UnsafePointer(buffer), converted: LatentCache? = nil
        for t in 0..<n {
            let cache = caches[t], p = positions[t] + 1
            if converted !== cache {
                // one cache's tokens are adjacent: its rows up to the last one this step reads, converted once
                var last = t
                while last + 1 < n && caches[last + 1] === cache { last += 1 }
                rows = cache.floats(l, count: positions[last] + 1, buffer: buffer)
                converted = cache
            }
            for hh in 0..<H {
                let qh = q + t * H * qkDim + hh * qkDim
                let wK = kvb + hh * kvDim * r                           // (nopeDim, kvLoraRank) this head's key rows
                qLatent.update(repeating: 0, count: r)
                for d in 0..<s.nopeDim { Vec.axpy(qh[d], wK + d * r, qLatent, r) }
                for j in 0..<p {
                    let c = rows + j * w
                    scores[j] = (Vec.dot(qLatent, c, r) + Vec.dot(qh + s.nopeDim, c + r, s.ropeDim)) * scale
                }
                Vec.softmax(scores, p)
                oLatent.update(repeating: 0, count: r)
                for j in 0..<p { Vec.axpy(scores[j], rows + j * w, oLatent, r) }
                let wV = wK + s.nopeDim * r                             // (vDim, kvLoraRank) this head's value rows
                let o = attn + t * H * s.vDim + hh * s.vDim
                for e in 0..<s.vDim { o[e] = Vec.dot(wV + e * r, oLatent, r) }
            }
        }
    }
}
