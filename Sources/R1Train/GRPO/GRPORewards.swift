// The rule-checked rewards of a completion: accuracy from R1Eval's `checkAnswer` (what `r1 eval` scores), a small
// format reward for `<think>…</think>` followed by an answer, DAPO's soft overlong punishment (Eq. 13 of
// arXiv:2503.14476, as trl.rewards.get_soft_overlong_punishment) and, optionally, zero for a truncated completion.
import Foundation
import R1Eval

public struct GRPORewardConfig: Sendable {
    /// Added when the completion is well formed (`format(_:)`); 0 turns it off.
    public var formatReward: Double = 0
    /// L_cache of DAPO's soft punishment; 0 turns it off.
    public var overlongBuffer: Int = 0
    /// The punishment's weight (1 gives DAPO's -1 at the budget).
    public var overlongPenalty: Double = 1
    /// A completion cut at max_new_tokens gets reward 0, whatever it says (DAPO's overlong filtering in reward form).
    public var truncatedRewardZero: Bool = false
    public var maxNewTokens: Int = 256

    public init() {}
}

/// One completion's reward and its parts.
public struct GRPOReward: Sendable, Equatable {
    public var total: Double
    public var correct: Bool
    public var wellFormed: Bool
    public var overlong: Double
}

public enum GRPORewards {
    /// `text` is the whole response (with the `<think>\n` the prompt opened, if it did); `length` its token count;
    /// `truncated` when generation hit the token budget before EOS.
    public static func score(_ problem: EvalProblem, text: String, length: Int, truncated: Bool,
                             config: GRPORewardConfig) -> GRPOReward {
        let correct = checkAnswer(problem, response: text)
        let wellFormed = format(text)
        let over = config.overlongBuffer > 0
            ? config.overlongPenalty * overlongPunishment(length: length, maxNewTokens: config.maxNewTokens, buffer: config.overlongBuffer)
            : 0
        var total = (correct ? 1 : 0) + (wellFormed ? config.formatReward : 0) + over
        if truncated && config.truncatedRewardZero { total = 0 }
        return GRPOReward(total: total, correct: correct, wellFormed: wellFormed, overlong: over)
    }

    /// R_length(y) = 0 for |y| ≤ L_max - L_cache, ((L_max - L_cache) - |y|) / L_cache up to L_max, -1 beyond.
    public static func overlongPunishment(length: Int, maxNewTokens: Int, buffer: Int) -> Double {
        let expected = maxNewTokens - buffer
        if length <= expected { return 0 }
        if length <= maxNewTokens { return Double(expected - length) / Double(buffer) }
        return -1
    }

    /// `<think>` (optional whitespace) some reasoning `</think>`, then a non-empty answer; no second think block.
    public static func format(_ text: String) -> Bool {
        var rest = Substring(text).drop { $0.isWhitespace }
        guard rest.hasPrefix("<think>") else { return false }
        rest = rest.dropFirst("<think>".count)
        guard let close = rest.range(of: "</think>") else { return false }
        let thinking = rest[..<close.lowerBound], answer = rest[close.upperBound...]
        guard !thinking.contains("<think>"), !answer.contains("<think>"), !answer.contains("</think>") else { return false }
        return !thinking.allSatisfy(\.isWhitespace) && !answer.allSatisfy(\.isWhitespace)
    }
}
