// The proof: 1,000+ outputs sampled at random from the masks over the real R1-Distill vocabulary, 24 schemas and
// llama.cpp's example grammars. Every output must be complete, parse as JSON and be accepted by the recognizer; the
// samples and each schema's GBNF are committed (Tests/Fixtures/constrain/*-samples.jsonl, schema-grammars/) and
// scripts/fixtures/check_constrain_samples.py validates them with Python's jsonschema and llama.cpp's grammar
// recognizer. Regenerate with R1_WRITE_FIXTURES=1.
import Foundation
import Testing
@testable import R1Constrain

private func line(_ fields: [(String, String)]) -> String {
    "{" + fields.map { SchemaJSON.quote($0.0) + ": " + SchemaJSON.quote($0.1) }.joined(separator: ", ") + "}\n"
}

private func checkOrWrite(_ text: String, _ name: String) throws {
    let url = ConstrainFixtures.url(name)
    if ProcessInfo.processInfo.environment["R1_WRITE_FIXTURES"] == "1" {
        try text.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let committed = try String(contentsOf: url, encoding: .utf8)
    #expect(committed == text, "regenerated \(name) differs from the committed file")
}

@Test func schemaSamplesParseAndMatchTheCommittedFile() throws {
    let vocabulary = try ConstrainFixtures.r1Vocabulary()
    let sampler = MaskSampler(vocabulary: vocabulary)
    let schemas = try ConstrainFixtures.files("schemas", ext: "json")
    #expect(schemas.count >= 20)
    var out = ""
    var total = 0
    for (index, (name, text)) in schemas.enumerated() {
        let grammar = try Grammar(jsonSchema: text)
        try checkOrWrite(grammar.gbnf, "schema-grammars/" + name.replacingOccurrences(of: ".json", with: ".gbnf"))
        var rng = TestRNG(state: UInt64(index + 1) * 7919)
        let clock = ContinuousClock.now
        var tokens = 0
        for _ in 0..<45 {
            let (bytes, complete, n) = try sampler.sample(grammar, rng: &rng)
            tokens += n
            let output = String(decoding: bytes, as: UTF8.self)
            #expect(complete, "\(name): incomplete after \(n) tokens: \(output)")
            #expect(grammar.accepts(output), "\(name): recognizer rejects \(output)")
            #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil,
                    "\(name): not JSON: \(output)")
            out += line([("schema", name), ("output", output)])
            total += 1
        }
        print("constrain: \(name): 45 samples, \(tokens) tokens, \(ContinuousClock.now - clock), \(grammar.automatonStates) automaton states")
    }
    #expect(total >= 1000)
    try checkOrWrite(out, "schema-samples.jsonl")
}

@Test func llamaCppGrammarSamplesAreAccepted() throws {
    let vocabulary = try ConstrainFixtures.r1Vocabulary()
    var sampler = MaskSampler(vocabulary: vocabulary)
    sampler.softCap = 40
    var out = ""
    for (index, (name, text)) in try ConstrainFixtures.files("grammars", ext: "gbnf").enumerated() {
        let grammar = try Grammar(gbnf: text)
        var rng = TestRNG(state: UInt64(index + 101) * 104729)
        for _ in 0..<10 {
            let (bytes, complete, n) = try sampler.sample(grammar, rng: &rng)
            let output = String(decoding: bytes, as: UTF8.self)
            #expect(complete, "\(name): incomplete after \(n) tokens")
            #expect(grammar.accepts(output), "\(name): recognizer rejects \(output.debugDescription)")
            out += line([("grammar", name), ("output", output)])
        }
    }
    try checkOrWrite(out, "gbnf-samples.jsonl")
}
