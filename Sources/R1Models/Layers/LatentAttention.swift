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
    /// kv_b_proj as the absorbed path multiplies by it.
    public let absorbed: AbsorbedUpProjection

    public init(qA: LinearWeight?, qANorm: [Float]?, q: LinearWeight, kvA: LinearWeight, kvANorm: [Float],
                kvB: LatentUpProjection, o: LinearWeight, shape: LatentAttentionShape) {
        self.qA = qA
        self.qANorm = qANorm
        self.q = q
        self.kvA = kvA
        self.kvANorm = kvANorm
        self.kvB = kvB
        self.o = o
        absorbed = AbsorbedUpProjection(kvB, shape: shape)
    }
}

/// kv_b_proj in the absorbed path's form, per head: the key half transposed, kB (H·kvLoraRank, nopeDim), which turns
/// q_nope into a query over the latent, and the value half, vB (H·vDim, kvLoraRank), which turns the attended latent
/// into the head's output; both multiplied by MatMul.runGroups (one group per head). llama.cpp's split layout is this
/// form and runs where it is mapped (a Q5_0 k_b, Q4_K_M's fallback, is held as the equal Q8_0). A joined kv_b_proj (HF folders, older GGUFs) is re-laid once at load: in f32 for
/// f32, bf16 and FP8 sources (exact), in f16 for ggml-quantized and f16 ones (H·kvLoraRank·(nopeDim + vDim) values a
/// layer: 32 MiB in f16 at DeepSeek-V3's widths).
public struct AbsorbedUpProjection: Sendable {
    public let kB: WeightMatrix
    public let vB: WeightMatrix
    /// The re-laid values of a joined kv_b_proj (nil when kB and vB point into the mapped file).
    let store: RelaidWeights?

    init(_ kvB: LatentUpProjection, shape s: LatentAttentionShape) {
        switch kvB {
        case .split(let k, let v) where k.type == .q5_0:
            // llama-quantize's Q5_0 fallback for k_b (rows of nopeDim, too short for K-quants): held as Q8_0, the same
            // integers and scales (exact), so every product runs on the Q8_0 kernels without converting per call
            let nb = k.cols / 32, store = RelaidWeights(byteCount: k.rows * 34 * nb)
            for r in 0..<k.rows { Quant.q5_0ToQ8_0(k.row(r), store.bytes + r * 34 * nb, blocks: nb) }
            (kB, vB, self.store) = (WeightMatrix(type: .q8_0, rows: k.rows, cols: k.cols, data: UnsafeRawPointer(store.bytes)), v, store)
        case .split(let k, let v):
            (kB, vB, store) = (k, v, nil)
        case .joined(let m):
            let exact: Bool
            switch m {
            case .matrix(let w): exact = w.type == .f32 || w.type == .bf16
            case .fp8: exact = true
            }
            let type: GGMLType = exact ? .f32 : .f16, size = exact ? 4 : 2
            let H = s.headCount, r = s.kvLoraRank, kvDim = s.nopeDim + s.vDim
            let store = RelaidWeights(byteCount: H * r * kvDim * size)
            let kData = store.bytes, vData = store.bytes + H * r * s.nopeDim * size
            let row = zeroedFloats(r)
            defer { row.deallocate() }
            func put(_ base: UnsafeMutableRawPointer, _ index: Int, _ value: Float) {
                if exact { base.storeBytes(of: value, toByteOffset: 4 * index, as: Float.self) }
                else { base.storeBytes(of: floatToHalf(value), toByteOffset: 2 * index, as: UInt16.self) }
            }
            for h in 0..<H {
                for d in 0..<s.nopeDim {                         // key row d of head h: column d of kB's head block
                    m.dequantizeRow(h * kvDim + d, into: row)
                    for c in 0..<r { put(kData, (h * r + c) * s.nopeDim + d, row[c]) }
                }
                for e in 0..<s.vDim {
                    m.dequantizeRow(h * kvDim + s.nopeDim + e, into: row)
                    for c in 0..<r { put(vData, (h * s.vDim + e) * r + c, row[c]) }
                }
            }
            kB = WeightMatrix(type: type, rows: H * r, cols: s.nopeDim, data: UnsafeRawPointer(kData))
            vB = WeightMatrix(type: type, rows: H * s.vDim, cols: r, data: UnsafeRawPointer(vData))
            self.store = store
        }
    }

    /// The matrices a decoded token reads.
    var weights: [LinearWeight] { [.matrix(kB), .matrix(vB)] }
}

/// Bytes a model made at load and owns (immutable after init), freed with the last weights that point into them.
final class RelaidWeights: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    init(byteCount: Int) { bytes = .allocate(byteCount: max(1, byteCount), alignment: 64) }
    deinit { bytes.deallocate() }
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
    var rowBytes: Int { width * (type == .f16 ? 2 : 4) }

    /// Layer `layer`'s rows in the storage type, position p at + p · rowBytes.
    func rows(_ layer: Int) -> UnsafeRawPointer { UnsafeRawPointer(storage[layer]) }

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
        let q = scratch.floats(n * qDim)                                // (n, H·qkDim)
        defer { scratch.recycle(q, count: n * qDim) }
        if let qA, let qANorm {
            let qa = scratch.floats(n * s.qLoraRank)                    // (n, qLoraRank)
            defer { scratch.recycle(qa, count: n * s.qLoraRank) }
            qA.run(h, qa, tokens: n, pool: pool, scratch: scratch)
            for i in 0..<n { Vec.rmsNorm(qa + i * s.qLoraRank, qANorm, qa + i * s.qLoraRank, s.qLoraRank, eps: s.normEps) }
            self.q.run(qa, q, tokens: n, pool: pool, scratch: scratch)
        } else {
            self.q.run(h, q, tokens: n, pool: pool, scratch: scratch)
        }
        let kv = scratch.floats(n * w)                                  // (n, kvLoraRank + ropeDim)
        defer { scratch.recycle(kv, count: n * w) }
        kvA.run(h, kv, tokens: n, pool: pool, scratch: scratch)
        for i in 0..<n {
            let row = kv + i * w
            Vec.rmsNorm(row, kvANorm, row, r, eps: s.normEps)
            rope.apply(q + i * qDim + s.nopeDim, heads: H, headDim: qkDim, cos: cos + i * half, sin: sin + i * half)
            rope.apply(row + r, heads: 1, headDim: s.ropeDim, cos: cos + i * half, sin: sin + i * half)
            caches[i].store(l, positions[i], row)
        }
        // MARK: - attention
        let attn = scratch.floats(n * H * s.vDim)                       // (n, H·vDim)
        defer { scratch.recycle(attn, count: n * H * s.vDim) }
        switch path {
        case .naive:
            let kvb = zeroedFloats(H * (s.nopeDim + s.vDim) * r)       // kv_b_proj in fp32, (H·(nopeDim + vDim), kvLoraRank)
            defer { kvb.deallocate() }
            kvB.dequantize(into: kvb, shape: s)
            naive(q: q, kvb: kvb, tokens: n, layer: l, caches: caches, positions: positions, shape: s, scale: scale,
                  attn: attn, pool: pool, scratch: scratch)
        case .absorbed:
            absorbed(q: q, tokens: n, layer: l, caches: caches, positions: positions, shape: s, scale: scale, attn: attn,
                     pool: pool, scratch: scratch)
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
    /// Per head, the query over the latent is [W_UKᵀ·q_nope, q_rope] (kvLoraRank + ropeDim values, the width of a cache
    /// row), so the scores are ordinary dot products with the rows and the weighted sum of whole rows holds Σ p·c in
    /// its first kvLoraRank values: MQA with one shared "head" of the cache width, all H query heads as rows of
    /// FlashAttention (split over positions when few tokens leave threads idle, merged by log-sum-exp).
    private func absorbed(q: UnsafePointer<Float>, tokens n: Int, layer l: Int, caches: [LatentCache], positions: [Int],
                          shape s: LatentAttentionShape, scale: Float, attn: UnsafeMutablePointer<Float>,
                          pool: ThreadPool, scratch: MatMulScratch) {
        let H = s.headCount, qkDim = s.qkDim, r = s.kvLoraRank, w = s.cacheWidth, nope = s.nopeDim
        let chunk = min(n, 64)                                          // tokens at a time: bounds the buffers below
        let qNope = scratch.floats(chunk * H * nope), qLat = scratch.floats(chunk * H * r)
        let qAll = scratch.floats(chunk * H * w), oAll = scratch.floats(chunk * H * w), oLat = scratch.floats(chunk * H * r)
        defer {
            scratch.recycle(qNope, count: chunk * H * nope)
            for b in [qLat, oLat] { scratch.recycle(b, count: chunk * H * r) }
            for b in [qAll, oAll] { scratch.recycle(b, count: chunk * H * w) }
        }
        for t0 in stride(from: 0, to: n, by: chunk) {
            let m = min(chunk, n - t0)
            for i in 0..<m {
                for hh in 0..<H { (qNope + (i * H + hh) * nope).update(from: q + ((t0 + i) * H + hh) * qkDim, count: nope) }
            }
            MatMul.runGroups(absorbed.kB, groups: H, qNope, qLat, tokens: m, pool: pool, scratch: scratch)  // (m, H·r)
            for i in 0..<m {
                for hh in 0..<H {
                    let row = qAll + (i * H + hh) * w
                    row.update(from: qLat + (i * H + hh) * r, count: r)
                    (row + r).update(from: q + ((t0 + i) * H + hh) * qkDim + nope, count: s.ropeDim)
                }
            }
            attendLatent(qAll, tokens: m, first: t0, layer: l, caches: caches, positions: positions, heads: H, width: w,
                         scale: scale, out: oAll, pool: pool, scratch: scratch)
            for i in 0..<(m * H) { (oLat + i * r).update(from: oAll + i * w, count: r) }
            MatMul.runGroups(absorbed.vB, groups: H, oLat, attn + t0 * H * s.vDim, tokens: m, pool: pool, scratch: scratch)
        }
    }

    /// out (m, H, width) = softmax(scale · q·cᵀ)·c for the m tokens from `first`, each over its cache's rows
    /// 0...position (stored before this call), q (m, H, width).
    private func attendLatent(_ q: UnsafePointer<Float>, tokens m: Int, first: Int, layer l: Int, caches: [LatentCache],
                              positions: [Int], heads H: Int, width w: Int, scale: Float, out: UnsafeMutablePointer<Float>,
                              pool: ThreadPool, scratch: MatMulScratch) {
        let kernels = pool.kernels, threads = pool.threadCount
        let longest = (first..<(first + m)).map { positions[$0] + 1 }.max() ?? 1
        // few tokens: split the history into ranges, then the heads, until every thread has work
        var parts = 1, headChunks = 1
        if FlashAttention.supports(kernels) {
            if m < 2 * threads { parts = max(1, min((4 * threads + m - 1) / m, longest / 256, 16)) }
            if m * parts < 2 * threads { headChunks = min(H, (2 * threads + m * parts - 1) / (m * parts)) }
        } else {
            headChunks = min(H, max(1, (2 * threads + m - 1) / m))
        }
        let rowsPer = (H + headChunks - 1) / headChunks, stateSize = FlashAttention.stateCount(rows: rowsPer, headDim: w)
        let slots = m * headChunks, count = FlashAttention.supports(kernels) ? slots * parts * stateSize : 1
        let buffer = scratch.floats(count)
        defer { scratch.recycle(buffer, count: count) }
        func rows(_ slot: Int) -> (token: Int, h0: Int, count: Int) {
            let h0 = (slot % headChunks) * rowsPer
            return (slot / headChunks, h0, min(rowsPer, H - h0))
        }
        func finish(_ slot: Int) {
            let (i, h0, count) = rows(slot)
            FlashAttention.finish(rows: count, headDim: w, parts: parts, states: buffer + slot * parts * stateSize, heads: count,
                                  out: out + (i * H + h0) * w, outTokenStride: 0)
        }
        pool.parallelFor(slots * parts) { item in
            let slot = item / parts, part = item % parts
            let (i, h0, count) = rows(slot)
            let cache = caches[first + i], p = positions[first + i] + 1
            let type = cache.type.ggmlType, stride = cache.rowBytes, base = cache.rows(l)
            let qi = q + (i * H + h0) * w
            guard FlashAttention.supports(kernels) else {
                FlashAttention.reference(type: type, rows: count, headDim: w, scale: scale, q: qi, qStride: w, k: base,
                                         kStride: stride, v: base, vStride: stride, count: p, out: out + (i * H + h0) * w,
                                         outStride: w)
                return
            }
            let state = buffer + slot * parts * stateSize + part * FlashAttention.stateCount(rows: count, headDim: w)
            FlashAttention.initState(rows: count, headDim: w, state)
            let size = (p + parts - 1) / parts, lo = min(p, part * size), hi = min(p, lo + size)
            if hi > lo {
                FlashAttention.update(kernels: kernels, type: type, rows: count, headDim: w, scale: scale, q: qi, qStride: w,
                                      k: base + lo * stride, kStride: stride, v: base + lo * stride, vStride: stride,
                                      count: hi - lo, state: state, stateRows: count)
            }
            if parts == 1 { finish(slot) }
        }
        if parts > 1 && FlashAttention.supports(kernels) {
            if slots <= 4 { for slot in 0..<slots { finish(slot) } } else { pool.parallelFor(slots, finish) }
        }
    }
}
