// GRPO's rollouts: G sampled completions per prompt from the inference engine (R1Models' LanguageModel forward over
// segments, as BatchScheduler runs it: every step decodes one token of each unfinished sequence in one forward),
// each sequence with its own seeded Sampler. Records each sampled token's log-prob under the distribution it was
// drawn from before top-p, log_softmax(logits / T), which the training forward must reproduce (TRL divides its
// logits by the temperature too).
import Foundation
import R1Kernels
import R1Models
import R1Sampling

/// One sampled completion.
public struct Rollout: Sendable {
    public var prompt: [Int]
    /// The sampled ids, EOS included when the model stopped.
    public var completion: [Int]
    /// log_softmax(logits / T) of each sampled id, from the inference engine.
    public var samplingLogprobs: [Float]
    /// Stopped by the token budget, not by EOS.
    public var truncated: Bool
}

public struct RolloutSettings: Sendable {
    public var maxNewTokens: Int
    public var temperature: Float
    public var topP: Float
    public var eosIds: Set<Int>
    /// Most prompt tokens in one prefill forward.
    public var prefillTokens: Int = 2048

    public init(maxNewTokens: Int, temperature: Float, topP: Float, eosIds: Set<Int>) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topP = topP
        self.eosIds = eosIds
    }
}

public enum RolloutSampler {
    /// One completion per (prompt, seed): `prompts[i]` is sampled with `seeds[i]`. Caches are fp32 (the training
    /// forward's precision).
    public static func generate<M: LanguageModel>(model: M, prompts: [[Int]], seeds: [UInt64], settings: RolloutSettings,
                                                  pool: ThreadPool) throws -> [Rollout] {
        precondition(prompts.count == seeds.count, "one seed per prompt")
        for (i, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw TrainError("prompt \(i) is empty") }
            guard p.count + settings.maxNewTokens <= model.contextLength else {
                throw TrainError("prompt \(i) has \(p.count) tokens; with max_new_tokens \(settings.maxNewTokens) that passes the context of \(model.contextLength)")
            }
            if let bad = p.first(where: { $0 < 0 || $0 >= model.vocabSize }) {
                throw TrainError("prompt \(i): id \(bad) is outside the vocabulary (0..<\(model.vocabSize))")
            }
        }
        let samplers = try seeds.map { seed in
            do {
                return try Sampler(parameters: SamplingParameters(temperature: settings.temperature, topP: settings.topP, seed: seed))
            } catch { throw TrainError("\(error)") }
        }
        let caches = prompts.map { model.makeCache(capacity: $0.count + settings.maxNewTokens, type: .f32) }
        let workspace = model.makeWorkspace()
        var out = prompts.map { Rollout(prompt: $0, completion: [], samplingLogprobs: [], truncated: false) }
        var logits = [[Float]](repeating: [], count: prompts.count)

        // prefill, in chunks of whole prompts
        var start = 0
        while start < prompts.count {
            var end = start, tokens = 0
            while end < prompts.count, end == start || tokens + prompts[end].count <= settings.prefillTokens {
                tokens += prompts[end].count
                end += 1
            }
            let rows = model.forward((start..<end).map { Segment(tokens: prompts[$0], cache: caches[$0], logits: .last) },
                                     workspace: workspace, pool: pool)
            for (k, i) in (start..<end).enumerated() { logits[i] = rows[k] }
            start = end
        }
        // decode: sample every running sequence, then one forward over their new tokens
        var running = Array(prompts.indices)
        while !running.isEmpty {
            var next: [Int] = []
            for i in running {
                let row = logits[i]
                let token = samplers[i].sample(logits: row, history: out[i].completion).token
                out[i].completion.append(token)
                out[i].samplingLogprobs.append(logSoftmax(row, at: token, temperature: settings.temperature))
                if settings.eosIds.contains(token) { continue }
                if out[i].completion.count >= settings.maxNewTokens {
                    out[i].truncated = true
                    continue
                }
                next.append(i)
            }
            running = next
            guard !running.isEmpty else { break }
            let rows = model.forward(running.map { Segment(tokens: [out[$0].completion.last!], cache: caches[$0], logits: .last) },
                                     workspace: workspace, pool: pool)
            for (k, i) in running.enumerated() { logits[i] = rows[k] }
        }
        return out
    }

    /// log_softmax(z / T)[token], summed in Double.
    static func logSoftmax(_ z: [Float], at token: Int, temperature: Float) -> Float {
        let t = Double(temperature)
        var mx = -Double.infinity
        for v in z { mx = max(mx, Double(v) / t) }
        var sum = 0.0
        for v in z { sum += exp(Double(v) / t - mx) }
        return Float(Double(z[token]) / t - mx - log(sum))
    }
}
