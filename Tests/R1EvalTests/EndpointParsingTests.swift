// The three ways endpoints return reasoning, and the token counts taken from usage.
import Foundation
import R1Formats
@testable import R1Eval
import Testing

@Suite struct EndpointParsingTests {
    func completion(_ message: String, usage: String = #"{"completion_tokens": 12, "completion_tokens_details": {"reasoning_tokens": 8}}"#) throws -> GeneratedSample {
        let text = #"{"choices": [{"index": 0, "finish_reason": "stop", "message": "# + message + #"}], "usage": "# + usage + "}"
        return try EndpointSource.parseCompletion(try JSONValue.parse(Data(text.utf8)), url: "u")
    }

    @Test func reasoningContent() throws {
        let s = try completion(#"{"role": "assistant", "reasoning_content": "hmm", "content": "\\boxed{4}"}"#)
        #expect(s == GeneratedSample(reasoning: "hmm", content: "\\boxed{4}", reasoningTokens: 8, answerTokens: 4, finishReason: "stop"))
    }

    @Test func reasoningField() throws {
        let s = try completion(#"{"role": "assistant", "reasoning": "hmm", "content": "4"}"#)
        #expect(s.reasoning == "hmm" && s.content == "4")
    }

    @Test func thinkTagsInContent() throws {
        let s = try completion(#"{"content": "<think>\nhmm\n</think>\n\nThe answer is 4."}"#, usage: #"{"completion_tokens": 10}"#)
        #expect(s.reasoning == "\nhmm\n" && s.content == "The answer is 4.")
        #expect(s.reasoningTokens + s.answerTokens == 10)
        // the template opened <think>: only the closing tag arrives
        #expect(EndpointSource.splitThink("hmm</think>4") == ("hmm", "4"))
        // never closed: everything is reasoning; no tags at all: everything is the answer
        #expect(EndpointSource.splitThink("<think>still going") == ("still going", ""))
        #expect(EndpointSource.splitThink("just 4") == ("", "just 4"))
    }

    @Test func malformed() {
        #expect(throws: EvalError.self) { try EndpointSource.parseCompletion(.object([:]), url: "u") }
    }
}
