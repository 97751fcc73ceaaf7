// SFT data: JSONL of chat conversations rendered through the model's chat template (R1Tokenizer's ChatTemplate), loss
// only on the assistant's tokens. Each assistant turn is the text its conversation prefix adds when rendered, so the
// pieces are tokenized separately: prompt pieces get mask 0, assistant pieces mask 1.
// A prompt-completion line (TRL's format: {"prompt": messages, "completion": text or [assistant message]}) is the
// prompt rendered with the generation prompt followed by the completion text as is and the EOS token, loss on the
// completion: the way to train reasoning, which R1's template strips from assistant turns in a conversation.
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
            do {
                var seq: TrainSequence
                switch value {
                case .array(let messages): seq = try render(messages: messages, tokenizer: tokenizer, template: template)
                case .object(let o) where o["prompt"] != nil || o["completion"] != nil:
                    seq = try renderCompletion(prompt: o["prompt"], completion: o["completion"], tokenizer: tokenizer,
                                               template: template)
                case .object(let o):
                    guard case .array(let messages)? = o["messages"] else { throw TrainError("no 'messages' array") }
                    seq = try render(messages: messages, tokenizer: tokenizer, template: template)
                default: throw TrainError("expected an object with 'messages' or 'prompt' and 'completion', or an array of messages")
                }
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

    /// The ids of a prompt (messages, or a string taken as one user message) rendered with the generation prompt, then
    /// the completion's text and EOS; the mask is 1 on the completion and EOS.
    public static func renderCompletion(prompt: JinjaValue?, completion: JinjaValue?, tokenizer: Tokenizer,
                                        template: ChatTemplate) throws -> TrainSequence {
        let messages: [JinjaValue]
        switch prompt {
        case .array(let a)?: messages = a
        case .string(let s)?: messages = [["role": "user", "content": .string(s)]]
        default: throw TrainError("'prompt' must be a string or an array of messages")
        }
        let text: String
        switch completion {
        case .string(let s)?: text = s
        case .array(let a)? where a.count == 1:
            guard case .object(let m) = a[0], case .string(let s)? = m["content"] else {
                throw TrainError("'completion' must hold one message with a string 'content'")
            }
            text = s
        default: throw TrainError("'completion' must be a string or an array of one assistant message")
        }
        let rendered = try template.render(messages: messages, addGenerationPrompt: true,
                                           bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken)
        let head = tokenizer.encode(rendered, addSpecialTokens: false)
        var tail = tokenizer.encode(text, addSpecialTokens: false)
        guard let eos = tokenizer.eosIds.first else { throw TrainError("the tokenizer has no EOS token to end a completion") }
        tail.append(eos)
        return TrainSequence(ids: head + tail, lossMask: [Float](repeating: 0, count: head.count) + [Float](repeating: 1, count: tail.count))
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
