// `r1 generate --json` end to end on the tiny real model: reasoning and content agree with the raw text, the budget
// closes thinking, stop strings never reach the output, and the documented fields are all there.
import Foundation
import Testing

func generateJSON(_ extra: [String]) throws -> [String: Any] {
    let r = try runR1(["generate", Fixture.model("qwen2-tiny"), "--prompt", "What is 2+2?", "--temperature", "0", "--threads", "1", "--json"] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
}

/// The split rule applied to the whole text at once.
func split(_ text: String) -> (String, String) {
    let trim = { (s: Substring) in String(s.drop { $0.isWhitespace }) }
    guard let r = text.range(of: "</think>") else { return (trim(Substring(text)).trimmingTrailingWhitespace, "") }
    return (trim(text[..<r.lowerBound]).trimmingTrailingWhitespace, trim(text[r.upperBound...]))
}

extension String {
    var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

@Suite struct GenerateCommandTests {
    @Test func jsonSplitsReasoningAndContent() throws {
        let j = try generateJSON(["--max-tokens", "24"])
        for key in ["prompt_ids", "ids", "text", "reasoning", "content", "finish_reason", "top_logprobs", "timings"] {
            #expect(j[key] != nil, "missing \(key)")
        }
        let promptIds = j["prompt_ids"] as! [Int]
        #expect(Array(promptIds.suffix(2)) == [Fixture.think, 198])
        let text = j["text"] as! String
        let (r, c) = split(text)
        #expect(j["reasoning"] as! String == r)
        #expect(j["content"] as! String == c)
        #expect((j["ids"] as! [Int]).count == 24)
    }

    @Test func jsonWithBudgetHasBothParts() throws {
        let j = try generateJSON(["--max-tokens", "80", "--think-budget", "3"])
        let text = j["text"] as! String
        #expect(text.contains("</think>"))
        let (r, c) = split(text)
        #expect(j["reasoning"] as! String == r)
        #expect(j["content"] as! String == c)
        #expect((j["reasoning"] as! String).hasSuffix("time to write the answer."))
        #expect((j["thinking"] as! [String: Any])["budget_hit"] as! Bool)
    }

    @Test func jsonBudgetZeroIsAllContent() throws {
        let j = try generateJSON(["--max-tokens", "16", "--think-budget", "0"])
        #expect(j["reasoning"] as! String == "")
        #expect(j["content"] as! String == (j["text"] as! String).drop { $0.isWhitespace }.description)
        let p = j["prompt_ids"] as! [Int]
        #expect(Fixture.tokenizer.decode(p).hasSuffix("<think>\n\n</think>\n\n"))
    }

    @Test func stopStringIsNeverPrinted() throws {
        let base = try generateJSON(["--max-tokens", "24", "--think-budget", "0"])
        let text = base["text"] as! String
        let chars = Array(text)
        guard chars.count > 8 else { return }
        let stop = String(chars[5..<8])
        let j = try generateJSON(["--max-tokens", "24", "--think-budget", "0", "--stop", stop])
        let cut = String(text[..<text.range(of: stop)!.lowerBound])
        #expect(j["text"] as! String == cut)
        #expect(!(j["content"] as! String).contains(stop))
        #expect(j["finish_reason"] as! String == "stop")
    }

    @Test func seedMakesSamplingRepeatable() throws {
        let a = try generateJSON(["--max-tokens", "12", "--temperature", "0.8", "--seed", "42"])
        let b = try generateJSON(["--max-tokens", "12", "--temperature", "0.8", "--seed", "42"])
        #expect(a["ids"] as! [Int] == b["ids"] as! [Int])
    }
}
