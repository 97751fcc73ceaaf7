// The reasoning switch, logits masking and the request fields that ask for structured output.
import Testing
@testable import R1Constrain

private func smallVocabulary() -> Vocabulary {
    let pieces = ["{", "}", "<think>", "</think>", "hello", " ", "\"a\"", ":", "1", "<eos>"]
    return Vocabulary(tokens: pieces.map { Array($0.utf8) }, excluded: [2, 3], endOfSequence: [9])
}

@Test func reasoningIsFreeUntilThinkEnds() throws {
    let sequence = ConstrainedSequence(grammar: try Grammar(gbnf: #"root ::= "{" "}""#), vocabulary: smallVocabulary(),
                                       reasoningEndToken: 3)
    var mask = TokenMask(count: 10)
    for token in [2, 4, 5, 1, 0, 4] {  // anything goes while thinking, grammar or not
        #expect(!sequence.allowedTokens(into: &mask))
        try sequence.accept(token: token)
    }
    try sequence.accept(token: 3)
    #expect(sequence.allowedTokens(into: &mask))
    #expect(mask.allowed == [0])
    try sequence.accept(token: 0)
    try sequence.accept(token: 1)
    #expect(sequence.mustEnd)
    #expect(sequence.allowedTokens(into: &mask) && mask.allowed == [9])
    #expect(throws: ConstraintError.self) { try sequence.accept(token: 4) }
    let unthinking = ConstrainedSequence(grammar: try Grammar(gbnf: #"root ::= "{" "}""#), vocabulary: smallVocabulary(),
                                         reasoningEndToken: nil)
    #expect(unthinking.allowedTokens(into: &mask) && mask.allowed == [0])
}

@Test func maskSetsDisallowedLogitsToMinusInfinity() {
    var mask = TokenMask(count: 70)
    mask.insert(1)
    mask.insert(65)
    var logits = [Float](repeating: 0.5, count: 72)
    mask.apply(to: &logits)
    #expect(logits.indices.filter { logits[$0] > -.infinity } == [1, 65])
}

@Test func requestFieldsBecomeGrammarsOrNamedErrors() throws {
    func message(_ body: () throws -> Grammar?) -> String {
        do { _ = try body(); return "" } catch { return (error as? ConstraintError)?.message ?? "\(error)" }
    }
    #expect(try ResponseFormat.grammar(openAI: SchemaJSON.parse(#"{"type": "text"}"#)) == nil)
    let object = try ResponseFormat.grammar(openAI: SchemaJSON.parse(#"{"type": "json_object"}"#))
    #expect(object?.accepts(#"{"k": [1, {"x": null}]}"#) == true && object?.accepts("[1]") == false)
    let schema = try ResponseFormat.grammar(openAI: SchemaJSON.parse(#"""
        {"type": "json_schema", "json_schema": {"name": "n", "strict": true,
         "schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": false}}}
        """#))
    #expect(schema?.accepts(#"{"n": 3}"#) == true && schema?.accepts(#"{"m": 3}"#) == false)
    #expect(message { try ResponseFormat.grammar(openAI: .object([.init("type", .string("xml"))])) }
            == #"response_format.type "xml" is not one of "text", "json_object", "json_schema""#)
    #expect(message { try ResponseFormat.grammar(openAI: SchemaJSON.parse(#"{"type": "json_schema", "json_schema": {"schema": {"not": {}}}}"#)) }
            == "response_format.json_schema.schema: unsupported JSON Schema keyword 'not' at #")
    #expect(try ResponseFormat.grammar(ollama: .string("json"))?.accepts("{}") == true)
    #expect(message { try ResponseFormat.grammar(ollama: .string("yaml")) } == #"format must be "json" or a JSON Schema object, got "yaml""#)
    #expect(message { try ResponseFormat.grammar(toolParameters: SchemaJSON.parse(#"{"type": "object", "patternProperties": {}}"#), function: "f") }
            == #"tools["f"].parameters: unsupported JSON Schema keyword 'patternProperties' at #"#)
}
