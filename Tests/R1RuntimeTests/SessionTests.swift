// Multi-turn prefix reuse through the engine's kept cache, and ChatSession's record of the conversation.
import Foundation
import Testing
@testable import R1Runtime
import R1Models

@Suite struct SessionTests {
    @Test func secondTurnReusesTheCommonPrefix() async throws {
        let script = Fixture.ids("r") + [Fixture.endThink] + Fixture.ids("\n\nfour") + [Fixture.eos]
        let model = ScriptedModel(script: script)
        let engine = scriptedEngine(model)
        let session = ChatSession(engine: engine)
        let first = try await collect(session.send("2+2?", parameters: greedy()))
        #expect(first.content == "four")
        #expect(first.stats.promptTokensReused == 0)
        let p1 = try engine.prepare(.chat(messages: [PromptFormatter.userMessage("2+2?")]), parameters: greedy())
        #expect(model.processed.load(ordering: .relaxed) == p1.ids.count + script.count - 1)

        let before = model.processed.load(ordering: .relaxed)
        let second = try await collect(session.send("and 3+3?", parameters: greedy()))
        let p2 = try engine.prepare(.chat(messages: session.messages.dropLast()), parameters: greedy())
        var common = 0
        while common < p1.ids.count && p1.ids[common] == p2.ids[common] { common += 1 }
        #expect(common > 10)
        #expect(second.stats.promptTokensReused == common)
        #expect(model.processed.load(ordering: .relaxed) - before == p2.ids.count - common + script.count - 1)
        #expect(session.turns.map(\.role) == ["user", "assistant", "user", "assistant"])
        #expect(session.turns[1].content == "four")
        #expect(session.turns[1].reasoning == "r")

        let saved = try JSONSerialization.jsonObject(with: session.jsonData()) as! [String: Any]
        let messages = saved["messages"] as! [[String: Any]]
        #expect(messages.count == 4)
        #expect(messages[1]["reasoning_content"] as? String == "r")

        session.reset()
        let third = try await collect(session.send("2+2?", parameters: greedy()))
        #expect(third.stats.promptTokensReused == 0)
    }

    @Test func samePromptTwiceRunsOnlyTheLastToken() async throws {
        let model = ScriptedModel(script: Fixture.ids("x") + [Fixture.eos])
        let engine = scriptedEngine(model)
        _ = try await collect(engine.generate(.promptIds(openPrompt), parameters: greedy()))
        let o = try await collect(engine.generate(.promptIds(openPrompt), parameters: greedy()))
        #expect(o.stats.promptTokensReused == openPrompt.count - 1)
        var off = greedy()
        off.reusePromptCache = false
        let p = try await collect(engine.generate(.promptIds(openPrompt), parameters: off))
        #expect(p.stats.promptTokensReused == 0)
    }

    @Test func realModelContinuationIsTheSameWithReuse() async throws {
        let engine = try Engine(model: ModelLoader.load(path: Fixture.model("qwen2-tiny")), threads: 1, kernels: .test)
        let a = try await collect(engine.generate(.promptIds(openPrompt), parameters: greedy(maxTokens: 8) { $0.reusePromptCache = false }))
        let b = try await collect(engine.generate(.promptIds(openPrompt + a.ids.prefix(3)), parameters: greedy(maxTokens: 5)))
        #expect(b.stats.promptTokensReused == openPrompt.count + 2)
        #expect(b.ids == Array(a.ids[3..<8]))
    }
}
