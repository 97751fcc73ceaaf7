// Cross-entropy of the counted rows' logits against their targets, fused with its backward (llm.c's
// crossentropy_softmax_backward): term = w · (logsumexp(z) - z[target]); dz = scale · w · (softmax(z) - onehot).
// A sampling temperature T divides the logits first (TRL's GRPO forward does `logits /= temperature`), so the
// log-probs are those the sampler drew from and dz picks up the factor 1/T.
import Foundation
import R1Kernels

enum CrossEntropy {
    /// For logits(R, V) of the R counted rows: divides them by `temperature` in place, writes each row's weighted term,
    /// log p(target) and entropy to `terms`/`logprobs`/`entropies` (R), and when `gradScale` is non-nil overwrites the
    /// logits with their gradient dz(R, V).
    static func forwardBackward(pool: ThreadPool, logits: FloatPointer, targets: [Int32], weights: [Float], vocab: Int,
                                temperature: Float = 1, gradScale: Float?, terms: FloatPointer, logprobs: FloatPointer,
                                entropies: FloatPointer) {
        targets.withUnsafeBufferPointer { tb in
            weights.withUnsafeBufferPointer { wb in
                pool.parallelRanges(tb.count, grain: 1) { range in
                    for r in range {
                        let z = logits + r * vocab
                        if temperature != 1 { for i in 0..<vocab { z[i] /= temperature } }
                        var mx = -Float.infinity
                        for i in 0..<vocab { mx = max(mx, z[i]) }
                        let (sum, weighted) = Elementwise.expSums(z, vocab, shift: mx)
                        let lse = mx + Float(log(sum))
                        entropies[r] = lse - Float(weighted / sum)  // H = lse - Σ p·z
                        let target = Int(tb[r])
                        logprobs[r] = z[target] - lse
                        terms[r] = -wb[r] * logprobs[r]
                        guard let scale = gradScale else { continue }
                        let g = scale * wb[r] / temperature
                        Elementwise.expShifted(z, vocab, shift: lse, scale: g)
                        z[target] -= g
                    }
                }
            }
        }
    }

    /// The backward of log p(target) alone, for a loss given as ∂L/∂logp per row (the RL objective): over logits the
    /// forward left divided by T, with the log p(target) it wrote, dz = ∂L/∂logp · (onehot - softmax(z)) / T,
    /// overwriting them. The forward's logsumexp is z[target] - log p(target), so the logits are read once more only.
    static func logprobBackward(pool: ThreadPool, logits: FloatPointer, targets: [Int32], logprobs: UnsafePointer<Float>,
                                dlogp: [Float], vocab: Int, temperature: Float) {
        targets.withUnsafeBufferPointer { tb in
            dlogp.withUnsafeBufferPointer { db in
                pool.parallelRanges(tb.count, grain: 1) { range in
                    for r in range {
                        let z = logits + r * vocab, target = Int(tb[r])
                        let lse = z[target] - logprobs[r]
                        let g = -db[r] / temperature
                        Elementwise.expShifted(z, vocab, shift: lse, scale: g)
                        z[target] -= g
                    }
                }
            }
        }
    }
}
