// The per-token post-processing of one sequence, shared by Engine and BatchScheduler: detokenize, stop ids and
// strings, the reasoning/answer split, the thinking budget and loop guard (which force `</think>`), statistics, and
// the answer's grammar (AnswerConstraint: sampling is masked once the reasoning ends).
import Foundation
import R1Constrain
import R1Sampling
import R1Tokenizer

/// A prompt ready to run: ids, and whether generation starts inside `<think>`.
public struct PreparedPrompt: Sendable {
    public var ids: [Int]
    public var opensThinking: Bool
    public init(ids: [Int], opensThinking: Bool) {
        self.ids = ids
        self.opensThinking = opensThinking
    }
}

/// What the caller does after a token: feed these ids to the model (the sampled token, plus forced ones), or stop.
enum StepAction: Equatable {
    case feed([Int])
    case finish
}

struct SequenceProcessor {
    let parameters: GenerationParameters
    let tokenizer: Tokenizer?
    let thinkId: Int?
    let endThinkId: Int?
    let stopIds: Set<Int>
    /// Tokens the cache can still take.
    private var contextLeft: Int
    private(set) var history: [Int]
    private(set) var stats = GenerationStats()
    private var textDecoder: StreamingDecoder?
    private var stopper: StopMatcher
    private var splitter: ThinkSplitter
    private var loops: LoopDetector?
    private var constraint: AnswerConstraint?
    private var forcedClose = false
    private var lastTick: UInt64 = 0
    private var startTick: UInt64 = 0
    private(set) var finished = false

    /// `vocabulary`: the engine's, needed when `parameters.grammar` is set.
    init(parameters: GenerationParameters, tokenizer: Tokenizer?, prompt: PreparedPrompt, eosIds: Set<Int>,
         contextLeft: Int, vocabulary: Vocabulary? = nil) {
        self.parameters = parameters
        self.tokenizer = tokenizer
        thinkId = tokenizer?.id(for: ThinkSplitter.open)
        endThinkId = tokenizer?.id(for: ThinkSplitter.close)
        stopIds = parameters.stopTokenIds ?? eosIds
        self.contextLeft = contextLeft
        history = prompt.ids
        stats.promptTokens = prompt.ids.count
        textDecoder = tokenizer?.makeStreamingDecoder(skipSpecialTokens: true)
        stopper = StopMatcher(parameters.stop)
        splitter = ThinkSplitter(parsesTags: thinkId != nil, opensThinking: prompt.opensThinking)
        loops = parameters.loopGuard.map(LoopDetector.init)
        if let grammar = parameters.grammar, let vocabulary {
            constraint = AnswerConstraint(grammar: grammar, vocabulary: vocabulary,
                                          reasoningEndToken: prompt.opensThinking ? endThinkId : nil)
        }
    }

    /// The next token from `logits` (overwritten when a grammar masks them); nil when a grammar is complete and
    /// nothing may follow, so the generation ends.
    mutating func sample(logits: inout [Float], sampler: Sampler) -> SampleResult? {
        guard constraint != nil else { return logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: history) } }
        if constraint!.mustEnd { return nil }
        let budget = max(1, min(parameters.maxTokens - stats.generatedTokens, contextLeft))
        return constraint!.sample(logits: &logits, sampler: sampler, history: history, budget: budget)
    }

    /// Marks the end of the prompt and the start of decoding.
    mutating func startDecoding(promptSeconds: Double, reused: Int) {
        stats.promptSeconds = promptSeconds
        stats.promptTokensReused = reused
        startTick = DispatchTime.now().uptimeNanoseconds
        lastTick = startTick
    }

    /// Handles a sampled token: emits its events and says what to feed next.
    mutating func accept(_ r: SampleResult, emit: (GenerationEvent) -> Void) -> StepAction {
        if consume(r.token, logprob: r.logprob, top: r.top, forced: false, emit: emit) { return .finish }
        if stopIds.contains(r.token) { finish(.stop, emit: emit); return .finish }
        var feed = [r.token]
        if !forcedClose, splitter.mode == .reasoning, let reason = closeReason() {
            forcedClose = true
            if reason == .budget { stats.budgetHit = true } else { stats.loopDetected = true }
            // a constrained answer starts right after </think>: no blank line the grammar would have to allow
            let after = constraint == nil ? "\n\n" : ""
            let ids = tokenizer?.encode(parameters.thinkingClosing + ThinkSplitter.close + after) ?? []
            for id in ids {
                if consume(id, logprob: 0, top: [], forced: true, emit: emit) { return .finish }
            }
            feed += ids
        }
        if stats.generatedTokens >= parameters.maxTokens || feed.count > contextLeft {
            finish(.length, emit: emit)
            return .finish
        }
        contextLeft -= feed.count
        return .feed(feed)
    }

    private enum CloseReason { case budget, loop }
    private var loopSeen = false

    private func closeReason() -> CloseReason? {
        if let b = parameters.thinkingBudget, stats.reasoningTokens >= b { return .budget }
        return loopSeen ? .loop : nil
    }

    /// One token through the text pipeline; true when a stop string ended the generation.
    private mutating func consume(_ id: Int, logprob: Float, top: [TokenLogprob], forced: Bool,
                                  emit: (GenerationEvent) -> Void) -> Bool {
        stats.generatedTokens += 1
        history.append(id)
        constraint?.accept(id)
        var piece: String
        if id == thinkId || id == endThinkId {  // tags by id, whatever the tokenizer calls special
            piece = (textDecoder?.flush() ?? "") + (id == thinkId ? ThinkSplitter.open : ThinkSplitter.close)
        } else {
            piece = textDecoder?.feed(id) ?? ""
        }
        emit(.token(GeneratedToken(id: id, logprob: logprob, top: top, text: piece, forced: forced)))
        let wasReasoning = splitter.mode == .reasoning
        let (text, stopped) = stopper.feed(piece)
        route(splitter.feed(text), emit: emit)
        let isReasoning = wasReasoning || splitter.mode == .reasoning
        let now = DispatchTime.now().uptimeNanoseconds
        let dt = Double(now - lastTick) / 1e9
        lastTick = now
        if forced {
            stats.forcedTokens += 1
            if isReasoning { stats.reasoningSeconds += dt } else { stats.contentSeconds += dt }
        } else if isReasoning {
            stats.reasoningTokens += 1
            stats.reasoningSeconds += dt
            if splitter.mode == .reasoning, loops?.add(id) == true { loopSeen = true }
        } else {
            stats.contentTokens += 1
            stats.contentSeconds += dt
        }
        if let s = stopped {
            stats.stopString = s
            finish(.stop, emit: emit)
            return true
        }
        return false
    }

    private func route(_ pieces: [ThinkSplitter.Piece], emit: (GenerationEvent) -> Void) {
        for p in pieces {
            switch p {
            case .reasoning(let s): emit(.reasoning(s))
            case .content(let s): emit(.content(s))
            }
        }
    }

    /// Flushes held-back text and fills in the final statistics (the caller emits `.done(stats)`).
    mutating func finish(_ reason: FinishReason, emit: (GenerationEvent) -> Void) {
        guard !finished else { return }
        finished = true
        // An unfinished UTF-8 character at the very end is dropped, as it is from the tokens' text.
        if stats.stopString == nil { route(splitter.feed(stopper.flush()), emit: emit) }
        route(splitter.flush(), emit: emit)
        stats.finishReason = reason
        stats.answerMissing = splitter.opened && !splitter.closed
        stats.generateSeconds = startTick == 0 ? 0 : Double(DispatchTime.now().uptimeNanoseconds - startTick) / 1e9
    }
}
