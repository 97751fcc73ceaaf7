// `r1 bench MODEL`: prompt and generation speed like llama-bench (-p, -n, -d, -t, -r): random token ids, medians
// over repetitions, peak RSS and the KV cache size. Speed claims live in BENCHMARKS.md (scripts/bench/compare_llamacpp.py).
import ArgumentParser
import Foundation
import R1DefaultModel
import R1Formats
import R1Kernels
import R1Models
import R1Sampling

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure prompt and generation speed.")

    @Argument(help: modelArgumentHelp)
    var model: String = DefaultModel.name
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length of the prefill test (0 skips it).")
    var promptTokens: Int = 512
    @Option(name: .customLong("gen-tokens"), help: "Tokens of the generation test (0 skips it).")
    var genTokens: Int = 128
    @Option(help: "Context already in the cache before each test (llama-bench -d).")
    var depth: Int = 0
    @Option(help: "Threads for compute (default: all cores).")
    var threads: Int?
    @OptionGroup var kernelOptions: KernelOptions
    @Option(help: "Sequences decoding together in the generation test (continuous batching, as `r1 serve --parallel`): each has its own cache, every step is one batched forward; tokens/s counts all sequences' tokens.")
    var batch: Int = 1
    @Option(help: "Repetitions; medians are reported.")
    var repetitions: Int = 5
    @Option(name: .customLong("cache-type"), help: "KV cache type: f16, f32 or q8_0.")
    var cacheType: String = "f16"
    @Flag(help: "Also measure read bandwidth (a parallel STREAM-like sum over 1 GiB) for the roofline share.")
    var bandwidth = false
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if promptTokens < 0 || genTokens < 0 || depth < 0 { throw ValidationError("token counts must be >= 0") }
        if batch <= 0 { throw ValidationError("--batch must be positive, got \(batch)") }
        if repetitions <= 0 { throw ValidationError("--repetitions must be positive, got \(repetitions)") }
        if KVCacheType(rawValue: cacheType) == nil { throw ValidationError("--cache-type must be f16, f32 or q8_0, got \(cacheType)") }
    }

    func run() throws {
        let context = depth + max(promptTokens, genTokens) + 1
        let loaded = try ModelLoader.load(path: try resolveModelPath(model), contextLength: context)
        let pool = ThreadPool(threads: threads ?? ThreadPool.defaultThreadCount, kernels: try kernelOptions.policy())
        if let decoder = loaded.decoder {
            try measure(decoder, context: context, pool: pool, weightBytes: Self.weightBytesPerToken(decoder.weights),
                        cacheBytes: { $0.byteCount })
        } else if let mla = loaded.model as? DeepSeekModel {
            // the latent cache in f32 or f16 as --cache-type says (q8_0: validate names it)
            try measure(mla, context: context, pool: pool, weightBytes: mla.weightBytesPerToken, cacheBytes: { $0.byteCount })
        } else {
            throw ValidationError("r1 bench cannot run \(loaded.architecture.name) yet")
        }
    }

    /// The prefill and generation tests on any model; `weightBytes`: what one decoded token reads.
    private func measure<M: LanguageModel>(_ decoder: M, context: Int, pool: ThreadPool, weightBytes: Int,
                                           cacheBytes: (M.Cache) -> Int) throws {
        let type = KVCacheType(rawValue: cacheType)!
        try decoder.validate(cacheType: type)
        var rng = SystemRandomNumberGenerator()
        let vocab = decoder.vocabSize
        func randomIds(_ n: Int) -> [Int] { (0..<n).map { _ in Int.random(in: 0..<vocab, using: &rng) } }

        let cache = decoder.makeCache(capacity: context, type: type)
        let ws = decoder.makeWorkspace()
        // warm-up, untimed, as llama-bench's: one prompt test (or one token), so the mapped weights are touched and
        // the pool is running; a MoE model's routed experts are paged in by the tokens routed to them, which one
        // token would leave to the timed prompt
        _ = decoder.forward(randomIds(max(1, promptTokens)), cache: cache, workspace: ws, pool: pool)
        var depthIds: [Int] = []
        if depth > 0 {
            cache.truncate(to: 0)
            depthIds = randomIds(depth)
            var i = 0
            while i < depth { let n = min(512, depth - i); _ = decoder.forward(Array(depthIds[i..<(i + n)]), cache: cache, workspace: ws, pool: pool); i += n }
        }
        var pp: [Double] = [], tg: [Double] = []
        for _ in 0..<repetitions {
            if promptTokens > 0 {
                cache.truncate(to: depth)
                let ids = randomIds(promptTokens)
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = decoder.forward(ids, cache: cache, workspace: ws, pool: pool)
                pp.append(Double(promptTokens) / seconds(since: t0))
            }
            if genTokens > 0 && batch > 1 {
                tg.append(batchedGeneration(decoder, first: cache, type: type, pool: pool, ids: randomIds))
            } else if genTokens > 0 {
                cache.truncate(to: depth)
                let ids = randomIds(genTokens)
                let t0 = DispatchTime.now().uptimeNanoseconds
                for id in ids { _ = decoder.forward([id], cache: cache, workspace: ws, pool: pool) }
                tg.append(Double(genTokens) / seconds(since: t0))
            }
        }
        let bw = bandwidth ? Self.readBandwidth(pool: pool) : nil
        let sampleMs = try Self.samplerMilliseconds(vocab: vocab)
        let fields: [(String, JSONOut)] = [
            ("prompt_tokens_per_second", .double(median(pp))),
            ("generate_tokens_per_second", .double(median(tg))),
            ("peak_rss_bytes", .int(Self.peakRSS())),
            ("kv_cache_bytes", .int(cacheBytes(cache))),
            ("batch", .int(batch)),
            ("weight_bytes_per_token", .int(weightBytes)),
            ("kernels", .string(pool.kernels.description)),
            ("sample_milliseconds", .double(sampleMs)),
        ] + (bw.map { [("read_bandwidth_bytes_per_second", .double($0))] } ?? [])
        if json {
            Output.line(JSONOut.object(fields).text)
        } else {
            Output.line(String(format: "prompt %d @ depth %d: %.2f tok/s; generate %d%@: %.2f tok/s (%d threads, %@ kernels, median of %d)",
                               promptTokens, depth, median(pp), genTokens, batch > 1 ? " × \(batch) sequences" : "",
                               median(tg), pool.threadCount, pool.kernels.description, repetitions))
            Output.line(String(format: "peak RSS %.1f MiB, KV cache (%@, %d positions) %.1f MiB, weights read per token %.1f MiB",
                               Double(Self.peakRSS()) / 1048576, M.self == DeepSeekModel.self ? "\(cacheType) latent" : cacheType, context,
                               Double(cacheBytes(cache)) / 1048576, Double(weightBytes) / 1048576))
            Output.line(String(format: "sampling %.3f ms per token (temperature 0.6, top-p 0.95, %d logits, one thread)", sampleMs, vocab))
            if let bw { Output.line(String(format: "read bandwidth %.1f GB/s: roofline %.1f tok/s", bw / 1e9, bw / Double(weightBytes))) }
        }
    }

    /// `batch` sequences at `depth` (the first one's cache copied by re-running its ids is too slow for deep
    /// contexts, so every sequence gets its own random context of the same depth), then genTokens batched steps.
    /// Returns aggregate tokens/s.
    private func batchedGeneration<M: LanguageModel>(_ decoder: M, first: M.Cache, type: KVCacheType, pool: ThreadPool,
                                                     ids: (Int) -> [Int]) -> Double {
        let ws = decoder.makeWorkspace()
        let caches = [first] + (1..<batch).map { _ in decoder.makeCache(capacity: first.capacity, type: type) }
        first.truncate(to: depth)
        if depth > 0 {
            for c in caches.dropFirst() {
                c.truncate(to: 0)
                var i = 0
                while i < depth { let n = min(512, depth - i); _ = decoder.forward(ids(n), cache: c, workspace: ws, pool: pool); i += n }
            }
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<genTokens {
            _ = decoder.forward(zip(ids(batch), caches).map { Segment(tokens: [$0], cache: $1) }, workspace: ws, pool: pool)
        }
        return Double(genTokens * batch) / seconds(since: t0)
    }

    private func seconds(since t0: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }

    private func median(_ v: [Double]) -> Double {
        if v.isEmpty { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Bytes of weight matrices one decoded token reads: every layer's matrices and the output head (not the
    /// embedding table, of which one row is read).
    static func weightBytesPerToken(_ w: DecoderWeights) -> Int {
        func b(_ m: WeightMatrix) -> Int { m.rows * m.rowBytes }
        return w.layers.reduce(b(w.output)) { $0 + b($1.q) + b($1.k) + b($1.v) + b($1.o) + b($1.gate) + b($1.up) + b($1.down) }
    }

    /// Peak resident set (VmHWM) in bytes.
    static func peakRSS() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else {
            var u = rusage()
            #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &u)
            return u.ru_maxrss * 1024
            #else
            getrusage(RUSAGE_SELF, &u)
            return u.ru_maxrss
            #endif
        }
        return (Int(line.split(separator: " ")[1]) ?? 0) * 1024
    }

    /// Wall time of one sample (R1's temperature 0.6 and top-p 0.95, a 256-token penalty history) on `vocab` random
    /// logits spread like a model's (standard deviation 4): the median of 5 runs of 40 samples after a warm-up.
    static func samplerMilliseconds(vocab: Int) throws -> Double {
        var rng = SystemRandomNumberGenerator()
        let rows = (0..<4).map { _ in (0..<vocab).map { _ in Float.random(in: -6.9...6.9, using: &rng) } }
        let sampler = try Sampler(parameters: SamplingParameters(temperature: 0.6, topP: 0.95, seed: 1))
        let history = Array(0..<min(256, vocab))
        for row in rows { _ = sampler.sample(logits: row, history: history) }
        var runs: [Double] = []
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for i in 0..<40 { _ = sampler.sample(logits: rows[i % rows.count], history: history) }
            runs.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / 40)
        }
        return runs.sorted()[2]
    }

    /// Read bandwidth with every pool thread summing its slice of a 1 GiB buffer (best of 5), like STREAM's sum.
    static func readBandwidth(pool: ThreadPool) -> Double {
        let bytes = 1 << 30, count = bytes / 32
        let buf = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: count)
        defer { buf.deallocate() }
        buf.initialize(repeating: SIMD8(repeating: 1), count: count)
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: 64)
        defer { sink.deallocate() }
        var best = 0.0
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            pool.parallelRanges(count, grain: count / (pool.threadCount * 4)) { r in
                var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
                var i = r.lowerBound
                while i + 4 <= r.upperBound { a0 += buf[i]; a1 += buf[i + 1]; a2 += buf[i + 2]; a3 += buf[i + 3]; i += 4 }
                sink[r.lowerBound % 64] = ((a0 + a1) + (a2 + a3)).sum()
            }
            best = max(best, Double(bytes) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
        }
        return best
    }
}
