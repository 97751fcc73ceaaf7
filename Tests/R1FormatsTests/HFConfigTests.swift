// config.json / generation_config.json fixtures in transformers 4 and 5 layouts, and the JSON parser itself.
import Foundation
import Testing
@testable import R1Formats

private func folder(_ name: String) -> String { Fixtures.path("hf/\(name)") }

@Suite struct HFConfigTests {
    @Test(arguments: ["t4_llama3", "t4_yarn", "t4_linear", "t4_null", "t5_params", "t5_default"])
    func ropeParametersMatchExpected(name: String) throws {
        let config = try HFConfig(folder: folder(name))
        let r = try config.ropeParameters()
        let e = Fixtures.expected["hf"]!["rope"]![name]!
        #expect(r.ropeType.rawValue == e["rope_type"]!.string!)
        #expect(r.theta == e["theta"]!.double!)
        #expect(r.factor == e["factor"]!.double!)
        #expect(r.partialRotaryFactor == e["partial_rotary_factor"]!.double!)
        #expect(r.originalMaxPositionEmbeddings == e["original_max_position_embeddings"]?.int)
        #expect(r.lowFreqFactor == e["low_freq_factor"]?.double)
        #expect(r.highFreqFactor == e["high_freq_factor"]?.double)
        #expect(r.betaFast == e["beta_fast"]?.double)
        #expect(r.betaSlow == e["beta_slow"]?.double)
        #expect(r.mscale == e["mscale"]?.double)
        #expect(r.mscaleAllDim == e["mscale_all_dim"]?.double)
        #expect(r.attentionFactor == e["attention_factor"]?.double)
    }

    @Test func rawValuesAndTypedHelpers() throws {
        let raw = Fixtures.expected["hf"]!["configs"]!
        for (name, expected) in raw.object! {
            let config = try HFConfig(folder: folder(name))
            #expect(config.values == expected.object!, "\(name)")
            #expect(config.source.hasSuffix("hf/\(name)/config.json"))
        }
        let llama = try HFConfig(folder: folder("t4_llama3"))
        #expect(llama.modelType == "llama")
        #expect(llama.architectures == ["LlamaForCausalLM"])
        #expect(llama.int("hidden_size") == 4096)
        #expect(llama.double("rms_norm_eps") == 1e-5)
        #expect(llama.bool("tie_word_embeddings") == false)
        #expect(llama.intOrList("eos_token_id") == [128001])
        #expect(llama.torchDtype == "bfloat16")
        #expect(llama.string("hidden_size") == nil)
        #expect(llama["rope_scaling"]?["rope_type"]?.string == "llama3")
        let yarn = try HFConfig(folder: folder("t4_yarn"))
        #expect(yarn.intOrList("eos_token_id") == [151643, 151645])
        #expect(yarn.torchDtype == "float16")
        #expect(try HFConfig(folder: folder("t5_params")).torchDtype == "bfloat16")
        let qwen = try HFConfig(folder: folder("t4_null"))
        #expect(qwen["sliding_window"] == .null)
        #expect(qwen.int("sliding_window") == nil)
    }

    @Test func inlineJSONAndLayoutPrecedence() throws {
        let c = try HFConfig(json: #"{"rope_theta": 5.0, "rope_parameters": {"rope_type": "linear", "rope_theta": 7, "factor": 3}}"#)
        let r = try c.ropeParameters()
        #expect(r.ropeType == .linear && r.theta == 7 && r.factor == 3)
        let hybrid = try HFConfig(json: #"{"rope_parameters": {"full_attention": {"rope_type": "dynamic", "rope_theta": 1e6, "factor": 2}, "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}}"#)
        #expect(try hybrid.ropeParameters().ropeType == .dynamic)
        #expect(try hybrid.ropeParameters().theta == 1e6)
        #expect(try HFConfig(json: "{}").ropeParameters() == RopeParameters())
        let legacy = try HFConfig(json: #"{"rope_scaling": {"type": "su", "short_factor": [1, 2], "long_factor": [3.5]}}"#)
        #expect(try legacy.ropeParameters().ropeType == .longrope)
        #expect(try legacy.ropeParameters().shortFactor == [1, 2])
        #expect(try legacy.ropeParameters().longFactor == [3.5])
    }

    @Test func errorsNameTheFileAndReason() throws {
        expectFormatError(["hf/unsupported_rope/config.json", "rope type 'fancy' is not supported"]) {
            _ = try HFConfig(folder: folder("unsupported_rope")).ropeParameters()
        }
        expectFormatError(["hf/malformed/config.json", "malformed JSON", "at byte"]) {
            _ = try HFConfig(folder: folder("malformed"))
        }
        expectFormatError(["hf/absent/config.json", "file not found"]) { _ = try HFConfig(folder: folder("absent")) }
        expectFormatError(["inline.json", "top level is not a JSON object"]) {
            _ = try HFConfig(json: "[1]", source: "inline.json")
        }
        expectFormatError(["config.json", "malformed JSON"]) { _ = try HFConfig(json: "") }
    }

    @Test func generationConfig() throws {
        let yarn = try #require(try GenerationConfig(folder: folder("t4_yarn")))
        let e = Fixtures.expected["hf"]!["generation"]!["t4_yarn"]!
        #expect(yarn.temperature == e["temperature"]!.double)
        #expect(yarn.topP == e["top_p"]!.double)
        #expect(yarn.topK == e["top_k"]!.int)
        #expect(yarn.minP == e["min_p"]!.double)
        #expect(yarn.repetitionPenalty == e["repetition_penalty"]!.double)
        #expect(yarn.doSample == true)
        #expect(yarn.bosTokenId == 151646)
        #expect(yarn.eosTokenId == e["eos_token_ids"]!.intOrList!)
        #expect(yarn.padTokenId == 151643)
        #expect(yarn.maxNewTokens == 32768)
        #expect(yarn.maxLength == nil)
        let llama = try #require(try GenerationConfig(folder: folder("t4_llama3")))
        #expect(llama.eosTokenId == [128001])
        #expect(llama.maxLength == 4096)
        #expect(llama.doSample == false)
        #expect(llama.temperature == nil)
        #expect(try GenerationConfig(folder: folder("t4_null")) == nil)
        expectFormatError(["gen.json", "malformed JSON"]) {
            _ = try GenerationConfig(json: Data("{\"top_k\": }".utf8), source: "gen.json")
        }
    }
}

@Suite struct JSONValueTests {
    private func parse(_ s: String) throws -> JSONValue { try JSONValue.parse(Data(s.utf8)) }

    @Test func scalarsAndNumbers() throws {
        #expect(try parse(" null ") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("-12") == .int(-12))
        #expect(try parse("0") == .int(0))
        #expect(try parse("1.5e3") == .double(1500))
        #expect(try parse("2.0").int == 2)
        #expect(try parse("2.5").int == nil)
        #expect(try parse("1e-5").double == 1e-5)
        #expect(try parse("9223372036854775813") == .double(9223372036854775808))
        #expect(try parse("[1, 2]").intOrList == [1, 2])
        #expect(try parse("7").intOrList == [7])
        #expect(try parse("[1, \"a\"]").intOrList == nil)
    }

    @Test func stringsAndEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\r\b\f""#) == .string("a\"b\\c/d\n\t\r\u{8}\u{c}"))
        #expect(try parse(#""\u00e9\u4e2d\ud83e\udd99""#) == .string("\u{e9}\u{4e2d}\u{1F999}"))
        #expect(try parse(#""\ud83e x""#) == .string("\u{FFFD} x"))
        #expect(try parse("\"h\u{e9}llo \u{1F999}\"") == .string("h\u{e9}llo \u{1F999}"))
        #expect(try parse(#"{"a": {"b": [1, {"c": null}]}, "d": []}"#)["a"]?["b"]?.array?[1]["c"] == .null)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "-", "\"abc", "\"\\x\"", "\"\\u12\"",
                      "[1] 2", "{\"a\":1,}", "\"a\u{1}b\"", "nul", "[\"\\ud800\\u0041\"]"])
    func malformedInputThrows(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test func objectsKeepMemberOrderAndCompareAsJSON() throws {
        let o = try parse(#"{"z": 1, "a": {"y": 2, "b": 3}, "m": 4, "z": 5}"#)
        #expect(o.object?.keys.elements == ["z", "a", "m"])
        #expect(o["a"]?.object?.keys.elements == ["y", "b"])
        #expect(o["z"] == .int(5))  // a repeated key: first place, last value (Python's json.loads)
        #expect(try parse(#"{"a": 1, "b": [2, {"c": 3, "d": 4}]}"#) == parse(#"{"b": [2, {"d": 4, "c": 3}], "a": 1}"#))
        #expect(try parse(#"{"a": 1}"#) != parse(#"{"a": 1, "b": 2}"#))
        #expect(try parse(#"[1, 2]"#) != parse(#"[2, 1]"#))
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(deep.utf8)) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONValue.parse(Data(ok.utf8)) }
    }
}
