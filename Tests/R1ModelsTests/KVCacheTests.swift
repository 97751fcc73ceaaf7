// The F16 (default) and Q8_0 KV caches: attention kernels against dequantize-then-float, and the parity references
// still reproduced with the rounding they add (llama.cpp's own default cache is F16).
import Foundation
import Testing
import R1Kernels
@testable import R1Models

/// Largest change of the reference's top-token log-probability an F16 cache makes against the fp32 one, teacher-forced
/// on the reference paths (a near-tie may flip a greedy token). These tiny random-weight models amplify rounding:
/// keys and values rounded to f16 moved it by up to 0.07 (qwen2-k-gguf) with the AVX2 prefill tiles and 0.107 with
/// the AVX-512 ones (whose dot products are as close to an exact sum: 1e-8 of Σ|w·x|; the prompt's rounding differs
/// and the model amplifies it), about what llama.cpp's own activation rounding does (0.10-0.14, see
/// logprobTolerance); float models moved by under 0.01.
let kvCacheF16Tolerance: Float = 0.15
/// Same for Q8_0 keys and values (8-bit blocks of 32): up to 0.14 measured.
let kvCacheQ8_0Tolerance: Float = 0.2

@Test(arguments: referenceFiles(dense: true))
func cacheTypesAgreeWithF32(_ file: String) throws {
    let url = fixturesRoot.appendingPathComponent(file)
    let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    let modelPath = url.deletingLastPathComponent().appendingPathComponent(ref.model).standardizedFileURL.path
    let decoder = try ModelLoader.load(path: modelPath, contextLength: 256).decoder!
    let pool = ThreadPool(threads: 2, kernels: .test)
    let ws = decoder.makeWorkspace()
    func run(_ type: KVCacheType) -> [[Float]] {
        let cache = decoder.makeCache(type: type)
        var out = [logSoftmax(decoder.forward(ref.prompt_ids, cache: cache, workspace: ws, pool: pool)[...])]
        for id in ref.greedy_ids.dropLast() { out.append(logSoftmax(decoder.forward([id], cache: cache, workspace: ws, pool: pool)[...])) }
        return out
    }
    let base = run(.f32)
    for (type, tol) in [(KVCacheType.f16, kvCacheF16Tolerance), (.q8_0, kvCacheQ8_0Tolerance)] {
        if type == .q8_0 && decoder.config.headDim % 32 != 0 { continue }  // q8_0 blocks need headDim % 32 == 0
        let other = run(type)
        var worst: Float = 0
        for (step, (a, b)) in zip(base, other).enumerated() {
            let id = ref.top_logprobs[step][0].id  // the reference's top token at this step
            worst = max(worst, abs(a[id] - b[id]))
        }
        #expect(worst <= tol, "\(file): \(type) cache moves log-probs by \(worst)")
    }
}

@Test(arguments: [KVCacheType.f32, .f16, .q8_0], KernelPolicy.available)
func attentionKernelsMatchDequantized(type: KVCacheType, kernels: KernelPolicy) {
    let hd = 128
    var state: UInt64 = 42
    func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1 }
    let q = (0..<hd).map { _ in next() }, k = (0..<hd).map { _ in next() }
    var row = [UInt8](repeating: 0, count: type.ggmlType.byteCount(elements: hd)!)
    Quant.quantizeRow(k, &row, count: hd, type: type.ggmlType)
    var kd = [Float](repeating: 0, count: hd)
    Quant.dequantizeRow(row, &kd, count: hd, type: type.ggmlType)
    let exact = zip(q, kd).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    let dot = row.withUnsafeBytes { AttentionKernels.dot(q, $0.baseAddress!, hd, type: type.ggmlType, kernels: kernels) }
    #expect(abs(dot - exact) <= 1e-4 * (1 + abs(exact)))
    var out = q
    row.withUnsafeBytes { AttentionKernels.axpy(0.5, $0.baseAddress!, &out, hd, type: type.ggmlType, kernels: kernels) }
    for i in 0..<hd { #expect(abs(out[i] - (q[i] + 0.5 * kd[i])) <= 1e-6) }
}

@Test func cacheSizes() {
    let f16 = KVCache(layers: 28, kvHeads: 2, headDim: 128, capacity: 4096)
    let f32 = KVCache(layers: 28, kvHeads: 2, headDim: 128, capacity: 4096, type: .f32)
    let q8 = KVCache(layers: 28, kvHeads: 2, headDim: 128, capacity: 4096, type: .q8_0)
    #expect(f32.byteCount == 2 * 28 * 4096 * 2 * 128 * 4)
    #expect(f16.byteCount * 2 == f32.byteCount)
    #expect(q8.byteCount == 2 * 28 * 4096 * 2 * 4 * 34)
}

/// A cache reserves its whole context but holds memory only for the positions written, and gives it back on truncate
/// (the server's KV budget relies on it: RSS follows what sequences hold, not their context length).
@Test(arguments: [KVCacheType.f32, .f16, .q8_0])
func cacheMemoryIsResidentOnlyAsPositionsFill(type: KVCacheType) {
    let c = KVCache(layers: 4, kvHeads: 2, headDim: 64, capacity: 65_536, type: type)
    let page = ReservedMemory.pageSize
    #expect(c.residentByteCount == 0)
    let n = 1000
    let k = [Float](repeating: 0.25, count: n * 2 * 64), v = [Float](repeating: -0.5, count: n * 2 * 64)
    for l in 0..<4 { c.store(layer: l, start: 0, tokens: n, keys: k, values: v) }
    c.count = n
    let used = c.usedByteCount, resident = c.residentByteCount
    // Each of the 16 streams (K and V of 4 layers x 2 heads) rounds up to whole pages; nothing past them was touched.
    #expect(resident >= used && resident <= used + 16 * page, "resident \(resident) for \(used) bytes used")
    #expect(resident < c.byteCount / 32)
    c.truncate(to: 100)
    let kept = c.residentByteCount
    #expect(kept >= c.usedByteCount && kept <= c.usedByteCount + 16 * page, "after truncate: \(kept) for \(c.usedByteCount)")
    // What was kept reads back as written.
    var out = [Float](repeating: 0, count: 64)
    out.withUnsafeMutableBufferPointer { Quant.dequantizeRow(c.key(3, 99, 1), $0.baseAddress!, count: 64, type: type.ggmlType) }
    #expect(out.allSatisfy { abs($0 - 0.25) < 1e-3 })
}

@Test func latentCacheMemoryIsResidentOnlyAsPositionsFill() {
    let c = LatentCache(layers: 3, width: 576, capacity: 32_768, type: .f16)
    let row = [Float](repeating: 1.5, count: 576)
    for p in 0..<600 { for l in 0..<3 { c.store(l, p, row) } }
    c.count = 600
    let page = ReservedMemory.pageSize, used = 600 * c.bytesPerToken
    #expect(c.residentByteCount >= used && c.residentByteCount <= used + 3 * page)
    c.truncate(to: 0)
    #expect(c.residentByteCount == 0)
}

/// Head-major storage (each KV head's positions one stream, positionStride apart) behind the position-major
/// copyPositions / appendPositions the shared prompt cache keeps: a copy holds key row then value row of every layer
/// per position, heads in order, and appending it to another cache reproduces every row.
@Test func cachePositionsRoundTrip() {
    let layers = 3, heads = 2, hd = 4, n = 5
    let a = KVCache(layers: layers, kvHeads: heads, headDim: hd, capacity: 8, type: .f32)
    for l in 0..<layers {
        let k = (0..<n * heads * hd).map { Float(1000 * l + $0) }, v = k.map { -$0 }
        a.store(layer: l, start: 0, tokens: n, keys: k, values: v)
    }
    a.count = n
    #expect(a.key(0, 1, 0) + a.positionStride == a.key(0, 2, 0))
    var buffer = [Float](repeating: 0, count: a.positionBytes / 4 * (n - 1))
    buffer.withUnsafeMutableBytes { a.copyPositions(1..<n, to: $0.baseAddress!) }
    // position 1, layer 2: keys of head 0 then head 1, then the values
    let row = (0 * layers + 2) * 2 * heads * hd
    #expect(Array(buffer[row..<row + heads * hd]) == (0..<heads * hd).map { Float(2000 + heads * hd + $0) })
    #expect(buffer[row + heads * hd] == -Float(2000 + heads * hd))
    let b = KVCache(layers: layers, kvHeads: heads, headDim: hd, capacity: 8, type: .f32)
    buffer.withUnsafeBytes { b.appendPositions(n - 1, from: $0.baseAddress!) }
    #expect(b.count == n - 1)
    for l in 0..<layers {
        for p in 1..<n {
            for h in 0..<heads {
                for i in 0..<hd {
                    #expect(b.key(l, p - 1, h).load(fromByteOffset: 4 * i, as: Float.self)
                        == a.key(l, p, h).load(fromByteOffset: 4 * i, as: Float.self))
                    #expect(b.value(l, p - 1, h).load(fromByteOffset: 4 * i, as: Float.self)
                        == a.value(l, p, h).load(fromByteOffset: 4 * i, as: Float.self))
                }
            }
        }
    }
}
