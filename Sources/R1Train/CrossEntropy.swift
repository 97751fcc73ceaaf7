// Cross-entropy of the counted rows' logits against their targets, fused with its backward (llm.c's
// crossentropy_softmax_backward): term = w · (logsumexp(z) - z[target]); dz = scale · w · (softmax(z) - onehot).
import Foundation
import R1Kernels

enum CrossEntropy {
    /// For logits(R, V) of the R counted rows: writes each row's weighted term and log p(target) to `terms`/`logprobs`
    /// (R), and when `gradScale` is non-nil overwrites the logits with their gradient dz(R, V).
    static func forwardBackward(pool: ThreadPool, logits: FloatPointer, targets: [Int32], weights: [Float], vocab: Int,
                                gradScale: Float?, terms: FloatPointer, logprobs: FloatPointer) {
        targets.withUnsafeBufferPointer { tb in
            weights.withUnsafeBufferPointer { wb in
                pool.parallelRanges(tb.count, grain: 1) { range in
                    for r in range {
                        let z = logits + r * vocab
                        var mx = -Float.infinity
                        for i in 0..<vocab { mx = max(mx, z[i]) }
                        var sum: Double = 0
                        for i in 0..<vocab { sum += Double(expf(z[i] - mx)) }
                        let lse = mx + Float(log(sum))
                        let target = Int(tb[r])
                        logprobs[r] = z[target] - lse
                        terms[r] = -wb[r] * logprobs[r]
                        guard let scale = gradScale else { continue }
                        let g = scale * wb[r]
                        for i in 0..<vocab { z[i] = g * expf(z[i] - lse) }
                        z[target] -= g
                    }
                }
            }
        }
    }
}
