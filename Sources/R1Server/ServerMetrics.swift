// Counters and histograms for GET /metrics in Prometheus' text format (version 0.0.4): requests by route and
// status, tokens in and out, queue depth, time to first token, decode tokens/s, and where the backend has them the KV
// budget and the shared prompt cache.
import Foundation
import Synchronization

public final class ServerMetrics: Sendable {
    static let ttftBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    static let rateBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500]

    struct Histogram {
        var buckets: [Int]
        var sum = 0.0
        var count = 0
        init(_ n: Int) { buckets = Array(repeating: 0, count: n) }
        mutating func observe(_ v: Double, bounds: [Double]) {
            for (i, b) in bounds.enumerated() where v <= b { buckets[i] += 1 }
            sum += v
            count += 1
        }
    }

    struct State {
        var requests: [String: Int] = [:]  // "route|status"
        var promptTokens = 0
        var completionTokens = 0
        var reasoningTokens = 0
        var rejected = 0
        var cancelled = 0
        var ttft = Histogram(ServerMetrics.ttftBuckets.count)
        var decodeRate = Histogram(ServerMetrics.rateBuckets.count)
    }
    private let state = Mutex(State())

    public init() {}

    func request(route: String, status: Int) {
        state.withLock { $0.requests["\(route)|\(status)", default: 0] += 1 }
    }

    func generation(promptTokens: Int, completionTokens: Int, reasoningTokens: Int, timeToFirstToken: Double?,
                    decodeTokensPerSecond: Double?, cancelled: Bool) {
        state.withLock { s in
            s.promptTokens += promptTokens
            s.completionTokens += completionTokens
            s.reasoningTokens += reasoningTokens
            if cancelled { s.cancelled += 1 }
            if let t = timeToFirstToken { s.ttft.observe(t, bounds: Self.ttftBuckets) }
            if let r = decodeTokensPerSecond, r > 0 { s.decodeRate.observe(r, bounds: Self.rateBuckets) }
        }
    }

    func rejectedOverloaded() { state.withLock { $0.rejected += 1 } }

    public func render(load: BackendLoad) -> String {
        let s = state.withLock { $0 }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        metric("r1_requests_total", "counter", "HTTP requests by route and status.")
        for key in s.requests.keys.sorted() {
            let parts = key.split(separator: "|", maxSplits: 1)
            out += "r1_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(s.requests[key]!)\n"
        }
        let scalars: [(name: String, type: String, help: String, value: Int)] = [
            ("r1_prompt_tokens_total", "counter", "Prompt tokens processed.", s.promptTokens),
            ("r1_completion_tokens_total", "counter", "Tokens generated (reasoning included).", s.completionTokens),
            ("r1_reasoning_tokens_total", "counter", "Generated tokens that were reasoning.", s.reasoningTokens),
            ("r1_rejected_overloaded_total", "counter", "Requests answered 429 because the queue was full.", s.rejected),
            ("r1_cancelled_total", "counter", "Generations stopped by a client disconnect or a timeout.", s.cancelled),
            ("r1_running", "gauge", "Generations running now.", load.running),
            ("r1_queue_depth", "gauge", "Requests waiting for a slot.", load.waiting),
            ("r1_slots", "gauge", "Generations that can run at once.", load.slots),
            ("r1_queue_capacity", "gauge", "Requests that may wait before 429.", load.queueCapacity),
        ]
        var figures = scalars
        if let c = load.caches {
            if let budget = c.kvBudgetBytes {
                figures.append(("r1_kv_budget_bytes", "gauge", "KV cache memory budget (--kv-memory).", budget))
            }
            figures += [("r1_kv_used_bytes", "gauge", "KV cache bytes the running sequences hold (16-position blocks).", c.kvUsedBytes),
                        ("r1_kv_preemptions_total", "counter", "Sequences preempted under the KV budget (recomputed later).", c.preemptions)]
            if let p = c.promptCache {
                figures += [("r1_prompt_cache_bytes", "gauge", "Bytes the shared prompt cache holds.", p.bytes),
                            ("r1_prompt_cache_lookups_total", "counter", "Prompts looked up in the prompt cache.", p.lookups),
                            ("r1_prompt_cache_hits_total", "counter", "Lookups that reused cached positions.", p.hits),
                            ("r1_prompt_cache_hit_tokens_total", "counter", "Prompt positions taken from the cache.", p.hitTokens),
                            ("r1_prompt_cache_evicted_blocks_total", "counter", "Cache blocks evicted least-recently-used.", p.evictedBlocks)]
            }
        }
        for m in figures {
            metric(m.name, m.type, m.help)
            out += "\(m.name) \(m.value)\n"
        }
        func histogram(_ name: String, _ help: String, _ h: Histogram, _ bounds: [Double]) {
            metric(name, "histogram", help)
            for (i, b) in bounds.enumerated() { out += "\(name)_bucket{le=\"\(b)\"} \(h.buckets[i])\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(h.sum)\n\(name)_count \(h.count)\n"
        }
        histogram("r1_time_to_first_token_seconds", "Seconds from request to first generated token (queue included).", s.ttft, Self.ttftBuckets)
        histogram("r1_decode_tokens_per_second", "Decode speed of each generation.", s.decodeRate, Self.rateBuckets)
        return out
    }
}
