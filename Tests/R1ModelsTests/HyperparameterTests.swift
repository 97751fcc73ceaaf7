// The hyperparameter tables: one table reads config.json and GGUF metadata alike, and a hostile value is an error
// naming the key and the value.
import Foundation
import Testing
import R1Formats
import R1Models

@Suite struct HyperparameterTests {
    @Test func configAndGGUFOfOneModelReadAlike() throws {
        let hf = try ModelLoader.load(path: fixturesRoot.appendingPathComponent("qwen2-tiny").path).decoder!.config
        let gguf = try ModelLoader.load(path: fixturesRoot.appendingPathComponent("qwen2-tiny-gguf/qwen2-tiny-f32.gguf").path)
            .decoder!.config
        #expect(hf.hiddenSize == gguf.hiddenSize && hf.intermediateSize == gguf.intermediateSize)
        #expect(hf.layerCount == gguf.layerCount && hf.headCount == gguf.headCount && hf.kvHeadCount == gguf.kvHeadCount)
        #expect(hf.headDim == gguf.headDim && hf.rmsNormEps == gguf.rmsNormEps)
    }

    @Test func defaultsAndDerivedFields() throws {
        let table: [Hyperparameter] = .denseDecoder(headDim: .quotient("hidden_size", "num_attention_heads"),
                                                    maxPositionEmbeddings: 2048)
        let given: [String: Double] = ["hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                                       "num_attention_heads": 4]
        let hp = try Hyperparameters.read(table, where: "test", key: { $0.hf }) { f in given[f.hf].map { .number($0) } }
        #expect(hp.int("num_key_value_heads") == 4)   // same as num_attention_heads
        #expect(hp.int("head_dim") == 16)             // hidden_size / num_attention_heads
        #expect(hp.int("max_position_embeddings") == 2048)
        #expect(hp["rms_norm_eps"] == 1e-6 && !hp.bool("tie_word_embeddings"))
    }

    @Test(arguments: [
        ("\"hidden_size\": 64,", "\"hidden_size\": 6.5,", "hidden_size is 6.5"),
        ("\"hidden_size\": 64,", "\"hidden_size\": \"x\",", "hidden_size is \"x\""),
        ("\"hidden_size\": 64,", "\"hidden_sizX\": 64,", "hidden_size missing"),
        ("\"rms_norm_eps\": 1e-06,", "\"rms_norm_eps\": true, ", "rms_norm_eps is true"),
        ("\"tie_word_embeddings\": false,", "\"tie_word_embeddings\": 7,    ", "tie_word_embeddings is 7"),
    ])
    func hostileConfigValueIsNamed(_ old: String, _ new: String, _ message: String) throws {
        let dir = try damagedCopy(of: "qwen2-tiny") { url in
            let config = url.appendingPathComponent("config.json")
            let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: old, with: new)
            try text.write(to: config, atomically: true, encoding: .utf8)
        }
        let e = try #require(loadError(dir))
        #expect(e.contains(message) && e.contains("config.json"), "\(e)")
    }
}
