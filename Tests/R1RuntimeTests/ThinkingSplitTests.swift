// The reasoning/answer split, budget, loop guard, stop strings and cancellation, on a scripted model with the tiny
// fixture tokenizer: every case of issue 5's contract, deterministically.
import Foundation
import Testing
@testable import R1Runtime

/// "Question:<think>\n": a prompt that opens thinking.
let openPrompt = Fixture.ids("Question:") + [Fixture.think, 198]
let closedPrompt = Fixture.ids("Question:")
let endThinkSplit = [27, 14] + Fixture.ids("think") + [29]  // "<", "/", "think", ">"

@Suite struct ThinkingSplitTests {
    @Test func promptOpensThinking() async throws {
        let script = Fixture.ids("Let me see.\nIt is 4.\n") + [Fixture.endThink] + Fixture.ids("\n\nThe answer is 4.") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy()))
        #expect(o.reasoning == "Let me see.\nIt is 4.")
        #expect(o.content == "The answer is 4.")
        #expect(o.ids == script)
        #expect(o.stats.finishReason == .stop)
        #expect(!o.stats.answerMissing)
        #expect(o.stats.reasoningTokens == script.firstIndex(of: Fixture.endThink)! + 1)
        #expect(o.stats.contentTokens == script.count - o.stats.reasoningTokens)
    }

    @Test func modelOpensThinking() async throws {
        let script = [Fixture.think] + Fixture.ids("\nhmm, yes") + [Fixture.endThink] + Fixture.ids("\n\nyes") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(closedPrompt), parameters: greedy()))
        #expect(o.reasoning == "hmm, yes")
        #expect(o.content == "yes")
        #expect(!o.stats.answerMissing)
    }

    @Test func closingTagSpreadOverTokens() async throws {
        let script = Fixture.ids("abc <b> d\n") + endThinkSplit + Fixture.ids("\n\n x </ y") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy()))
        #expect(o.reasoning == "abc <b> d")
        #expect(o.content == "x </ y")
        for piece in o.reasoningPieces + o.contentPieces { #expect(!piece.contains("<think>") && !piece.contains("</think>")) }
        #expect(o.text == "abc <b> d\n</think>\n\n x </ y")
    }

    @Test func modelOpensWithSpreadTag() async throws {
        let script = [27] + Fixture.ids("think") + [29] + Fixture.ids("\nr") + endThinkSplit + Fixture.ids("c") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(closedPrompt), parameters: greedy()))
        #expect(o.reasoning == "r")
        #expect(o.content == "c")
    }

    @Test func neverClosed() async throws {
        let script = Fixture.ids("\nthinking forever\n") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy()))
        #expect(o.reasoning == "thinking forever")
        #expect(o.content == "")
        #expect(o.stats.answerMissing)
        #expect(o.stats.finishReason == .stop)
    }

    @Test func modelThatDoesNotThink() async throws {
        let f = Fixture.plainFormatter
        #expect(f.thinkId == nil)
        let script = f.tokenizer.encode("<think>x</think>\n\n y") + [Fixture.eos]
        let engine = scriptedEngine(ScriptedModel(script: script), formatter: f)
        let o = try await collect(engine.generate(.promptIds(f.tokenizer.encode("Q:")), parameters: greedy()))
        #expect(o.reasoning == "")
        #expect(o.content == "<think>x</think>\n\n y")
        #expect(!o.stats.answerMissing)
    }

    @Test func chatPromptOpensThinking() async throws {
        let script = Fixture.ids("r") + [Fixture.endThink] + Fixture.ids("\n\nc") + [Fixture.eos]
        let engine = scriptedEngine(ScriptedModel(script: script))
        let prompt = try engine.prepare(.chat(messages: [PromptFormatter.userMessage("hi")]), parameters: greedy())
        #expect(prompt.opensThinking)
        let o = try await collect(engine.generate(.chat(messages: [PromptFormatter.userMessage("hi")]), parameters: greedy()))
        #expect(o.reasoning == "r" && o.content == "c")
    }

    @Test func emptyAnswerAndHeldBackTextAtTheEnd() async throws {
        // Ends on text that could have been the start of </think>: flushed as reasoning at the end.
        let script = Fixture.ids("a </") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy()))
        #expect(o.reasoning == "a </")
        #expect(o.stats.answerMissing)
    }

    // MARK: - budget and loop guard

    /// Reasons "a b c " forever until </think> is in the history, then answers "ok".
    static func reasoner(answer: String = "ok") -> ScriptedModel {
        let loop = Fixture.ids("a b c ")
        let answer = Fixture.ids(answer) + [Fixture.eos]
        return ScriptedModel { history in
            if let close = history.lastIndex(of: Fixture.endThink), close >= openPrompt.count {
                return ScriptedModel.continuation(of: answer, after: Array(history[(close + 1)...]).filter { $0 != 198 })
            }
            return ScriptedModel.continuation(of: loop + loop, after: history)
        }
    }

    @Test func thinkingBudget() async throws {
        let o = try await collect(scriptedEngine(Self.reasoner()).generate(.promptIds(openPrompt), parameters: greedy(maxTokens: 200) {
            $0.thinkingBudget = 5
            $0.loopGuard = nil
        }))
        #expect(o.stats.budgetHit)
        #expect(!o.stats.loopDetected)
        #expect(o.tokens.prefix { !$0.forced }.count == 5)
        let forced = o.tokens.filter(\.forced).map(\.id)
        #expect(forced == Fixture.ids(GenerationParameters().thinkingClosing + "</think>\n\n"))
        #expect(o.reasoning == "a b c \n\nI have thought about this enough; time to write the answer.")
        #expect(o.content == "ok")
        #expect(!o.stats.answerMissing)
        #expect(o.stats.finishReason == .stop)
    }

    @Test func budgetZeroSkipsThinking() async throws {
        let engine = scriptedEngine(ScriptedModel(script: Fixture.ids("fine") + [Fixture.eos]))
        let request = GenerationRequest.chat(messages: [PromptFormatter.userMessage("hi")])
        let p = try engine.prepare(request, parameters: greedy { $0.thinkingBudget = 0 })
        #expect(Fixture.tokenizer.decode(p.ids).hasSuffix("<｜Assistant｜><think>\n\n</think>\n\n"))
        #expect(!p.opensThinking)
        let o = try await collect(engine.generate(request, parameters: greedy { $0.thinkingBudget = 0 }))
        #expect(o.reasoning == "")
        #expect(o.content == "fine")
        #expect(o.stats.reasoningTokens == 0)
        #expect(!o.stats.budgetHit)
        // Prompt ids that open thinking get the same closing.
        let q = try engine.prepare(.promptIds(openPrompt), parameters: greedy { $0.thinkingBudget = 0 })
        #expect(Fixture.tokenizer.decode(q.ids) == "Question:<think>\n\n</think>\n\n")
    }

    @Test func budgetZeroWhenTheModelOpensThinking() async throws {
        let engine = scriptedEngine(Self.reasoner())
        let o = try await collect(engine.generate(.promptIds(closedPrompt), parameters: greedy(maxTokens: 200) {
            $0.thinkingBudget = 0
        }))
        // The model's first token is "a" (content): budget 0 does nothing when nothing opens thinking.
        #expect(o.reasoning == "")
        #expect(!o.stats.budgetHit)
    }

    @Test func loopGuardEndsRepeatingThought() async throws {
        let o = try await collect(scriptedEngine(Self.reasoner()).generate(.promptIds(openPrompt), parameters: greedy(maxTokens: 400) {
            $0.loopGuard = LoopGuard(ngram: 6, window: 64, repeats: 3)
        }))
        #expect(o.stats.loopDetected)
        #expect(!o.stats.budgetHit)
        #expect(o.content == "ok")
        #expect(o.stats.finishReason == .stop)
        let sampledReasoning = o.tokens.prefix { !$0.forced }.count
        #expect(sampledReasoning < 40)
    }

    @Test func loopGuardLeavesVariedThoughtAlone() async throws {
        let script = Fixture.ids("one two three four five six seven eight nine ten") + [Fixture.endThink] + Fixture.ids("x") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy {
            $0.loopGuard = LoopGuard(ngram: 4, window: 64, repeats: 2)
        }))
        #expect(!o.stats.loopDetected)
        #expect(o.content == "x")
    }

    // MARK: - stops, limits, cancellation

    @Test func stopStringSplitAcrossTokens() async throws {
        let script = Fixture.ids("r") + [Fixture.endThink] + Fixture.ids("hello ST") + Fixture.ids("Ox STOP world") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy {
            $0.stop = ["STOP", "zzz"]
        }))
        #expect(o.content == "hello STOx ")
        #expect(o.stats.finishReason == .stop)
        #expect(o.stats.stopString == "STOP")
        for piece in o.contentPieces { #expect(!piece.contains("S") || piece.contains("STOx")) }
        #expect(o.ids.last == Fixture.ids("P").last)
    }

    @Test func stopStringInReasoning() async throws {
        let script = Fixture.ids("think ##END## more") + [Fixture.eos]
        let o = try await collect(scriptedEngine(ScriptedModel(script: script)).generate(.promptIds(openPrompt), parameters: greedy {
            $0.stop = ["##END##"]
        }))
        #expect(o.reasoning == "think")
        #expect(o.stats.stopString == "##END##")
    }

    @Test func maxTokensAndEosFromParameters() async throws {
        let engine = scriptedEngine(Self.reasoner())
        let o = try await collect(engine.generate(.promptIds(openPrompt), parameters: greedy(maxTokens: 7) { $0.loopGuard = nil }))
        #expect(o.tokens.count == 7)
        #expect(o.stats.finishReason == .length)
        #expect(o.stats.answerMissing)
        let b = Fixture.ids(" b").first!
        let p = try await collect(engine.generate(.promptIds(openPrompt), parameters: greedy { $0.stopTokenIds = [b] }))
        #expect(p.ids.last == b)
        #expect(p.stats.finishReason == .stop)
    }

    @Test func cancellingStopsWithinOneToken() async throws {
        let model = ScriptedModel(contextLength: 1 << 40, delay: 0.01) { _ in Fixture.ids("a").first! }
        let engine = scriptedEngine(model)
        let stream = engine.generate(.promptIds(openPrompt), parameters: greedy(maxTokens: Int.max) { $0.loopGuard = nil })
        let task = Task { for try await _ in stream {} }
        #expect(try await waitUntil { model.calls.load(ordering: .relaxed) >= 5 })
        task.cancel()
        let atCancel = model.calls.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(200))
        #expect(model.calls.load(ordering: .relaxed) <= atCancel + 1)
        _ = await task.result
    }

    @Test func cancelledStatsWhenConsumerStops() async throws {
        // The synchronous loop reports .cancelled when the flag is set.
        let engine = scriptedEngine(Self.reasoner())
        let flag = CancelFlag()
        var n = 0
        let stats = try engine.run(.promptIds(openPrompt), parameters: greedy(maxTokens: 100) { $0.loopGuard = nil }, cancelled: flag) { e in
            if case .token = e { n += 1; if n == 3 { flag.set() } }
        }
        #expect(stats.finishReason == .cancelled)
        #expect(stats.generatedTokens == 3)
    }
}
