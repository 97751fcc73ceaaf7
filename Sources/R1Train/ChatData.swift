// SFT data: JSONL of chat conversations rendered through the model's chat template (R1Tokenizer's ChatTemplate), loss
// only on the assistant's tokens. Each assistant turn is the text its conversation prefix adds when rendered, so the
// pieces are tokenized separately: prompt pieces get mask 0, assistant pieces mask 1.
import Foundation
import R1Tokenizer

public enum ChatData {
    /// One line per conversation: {"messages": [{"role": ..., "content": ...}, ...]} or a bare array of messages.
    /// Sequences longer than `maxTokens` are cut to it.
    public static func load(path: String, tokenizer: Tokenizer, template: ChatTemplate, maxTokens: Int) throws -> [TrainSequence] {
        guard let data = FileManager.default.contents(atPath: path), let body = String(data: data, encoding: .utf8) else {
            throw TrainError("\(path): cannot read the file as UTF-8")
        }
        var out: [TrainSequence] = []
        for (n, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            let value: JinjaValue
            do { value = try JinjaValue(jsonString: text) } catch { throw TrainError("\(path):\(n + 1): not JSON: \(error)") }
            var messages: [JinjaValue]
            switch value {
            case .array(let a): messages = a
            case .object(let o):
                guard case .array(let a)? = o["messages"] else { throw TrainError("\(path):\(n + 1): no 'messages' array") }
                messages = a
            default: throw TrainError("\(path):\(n + 1): expected an object with 'messages' or an array of messages")
            }
            do {
                var seq = try render(messages: messages, tokenizer: tokenizer, template: template)
                if seq.ids.count > maxTokens {
                    seq.ids = Array(seq.ids.prefix(maxTokens))
                    seq.lossMask = seq.lossMask.map { Array($0.prefix(maxTokens)) }
                }
                if seq.ids.count >= 2 { out.append(seq) }
            } catch let e as TrainError {
                throw TrainError("\(path):\(n + 1): \(e.description)")
            } catch {
                throw TrainError("\(path):\(n + 1): \(error)")
            }
        }
        guard !out.isEmpty else { throw TrainError("\(path): no conversations") }
        return out
    }

    /// The ids of a conversation and a mask that is 1 on the assistant turns' tokens.
    public static func render(messages: [JinjaValue], tokenizer: Tokenizer, template: ChatTemplate) throws -> TrainSequence {
        func role(_ m: JinjaValue) -> String? {
            if case .object(let o) = m, case .string(let r)? = o["role"] { return r }
            return nil
        }
        for (i, m) in messages.enumerated() where role(m) == nil {
            throw TrainError("message \(i) has no string 'role'")
        }
        func text(_ upTo: Int, generationPrompt: Bool) throws -> String {
            try template.render(messages: Array(messages[0..<upTo]), addGenerationPrompt: generationPrompt,
                                bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken)
        }
        var ids: [Int] = [], mask: [Float] = []
        var done = ""  // the rendered text covered so far
        func append(_ piece: Substring, loss: Bool) {
            let t = tokenizer.encode(String(piece), addSpecialTokens: false)
            ids += t
            mask += [Float](repeating: loss ? 1 : 0, count: t.count)
        }
        for (i, m) in messages.enumerated() where role(m) == "assistant" {
            let full = try text(i + 1, generationPrompt: false)
            // The prompt ends where the generation prompt ends when the template keeps that prefix, else where the
            // conversation before this turn ends (R1's template opens <think> in the generation prompt only).
            var prompt = try text(i, generationPrompt: true)
            if !full.hasPrefix(prompt) { prompt = try text(i, generationPrompt: false) }
            guard full.hasPrefix(prompt), prompt.hasPrefix(done) else {
                throw TrainError("the chat template does not render message \(i)'s conversation prefix as a prefix of the conversation")
            }
            append(prompt.dropFirst(done.count), loss: false)
            append(full.dropFirst(prompt.count), loss: true)
            done = full
        }
        let all = try text(messages.count, generationPrompt: false)
        guard all.hasPrefix(done) else { throw TrainError("the chat template renders the conversation inconsistently") }
        append(all.dropFirst(done.count), loss: false)
        guard mask.contains(1) else { throw TrainError("no assistant message to learn from") }
        return TrainSequence(ids: ids, lossMask: mask)
    }
}
