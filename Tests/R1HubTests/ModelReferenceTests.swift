// Parsing MODEL arguments and picking GGUF files by quant tag.
import Foundation
import Testing
@testable import R1Hub

@Suite struct ModelReferenceTests {
    @Test func readings() throws {
        #expect(try ModelReference.readings("/tmp/x.gguf") == [.path("/tmp/x.gguf")])
        #expect(try ModelReference.readings("model.gguf") == [.path("model.gguf")])
        #expect(try ModelReference.readings("deepseek-r1:1.5b") == [.ollama(OllamaName("deepseek-r1:1.5b")!)])
        #expect(try ModelReference.readings("qwen") == [.ollama(OllamaName("qwen")!)])
        #expect(try ModelReference.readings("Org/Repo@v1.0") == [.huggingFace(repo: "Org/Repo", revision: "v1.0", quant: nil)])
        #expect(try ModelReference.readings("Org/Repo") == [.huggingFace(repo: "Org/Repo", revision: "main", quant: nil),
                                                              .ollama(OllamaName("Org/Repo")!)])
        #expect(try ModelReference.readings("Org/Repo-GGUF:q4_k_m")
                == [.huggingFace(repo: "Org/Repo-GGUF", revision: "main", quant: "q4_k_m"), .ollama(OllamaName("Org/Repo-GGUF:q4_k_m")!)])
        #expect(try ModelReference.readings("hf.co/Org/Repo-GGUF:Q8_0")
                == [.huggingFace(repo: "Org/Repo-GGUF", revision: "main", quant: "Q8_0"), .ollama(OllamaName("hf.co/Org/Repo-GGUF:Q8_0")!)])
        #expect(try ModelReference.readings("hf.co/Org/Repo-GGUF")
                == [.huggingFace(repo: "Org/Repo-GGUF", revision: "main", quant: nil), .ollama(OllamaName("hf.co/Org/Repo-GGUF:latest")!)])
        #expect(try ModelReference.readings("Org/Repo:latest").first == .huggingFace(repo: "Org/Repo", revision: "main", quant: nil))
    }

    @Test func badReferences() {
        for bad in ["", "a/b/c/d", "Org/Repo@", "Org/Repo:", "hf.co/justone", "bad name"] {
            #expect(throws: HubError.self, "\(bad)") { try ModelReference.readings(bad) }
        }
    }

    @Test func ollamaNames() throws {
        let n = try #require(OllamaName("deepseek-r1:1.5b"))
        #expect(n.host == "registry.ollama.ai" && n.namespace == "library" && n.name == "deepseek-r1" && n.tag == "1.5b")
        #expect(n.description == "deepseek-r1:1.5b")
        let m = try #require(OllamaName("hf.co/bartowski/Model-GGUF:Q4_K_M"))
        #expect(m.host == "hf.co" && m.namespace == "bartowski" && m.name == "Model-GGUF" && m.tag == "Q4_K_M")
        #expect(OllamaName("ns/x")?.description == "ns/x:latest")
        #expect(OllamaName("a b") == nil)
    }

    @Test func quantTags() {
        #expect(GGUFSelection.carries("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf", tag: "q4_k_m"))
        #expect(GGUFSelection.carries("model.Q8_0.gguf", tag: "Q8_0"))
        #expect(GGUFSelection.carries("Q4_K_M/Model-Q4_K_M-00001-of-00002.gguf", tag: "Q4_K_M"))
        #expect(GGUFSelection.carries("Model-UD-Q4_K_XL.gguf", tag: "ud-q4_k_xl"))
        #expect(!GGUFSelection.carries("Model-Q4_K_M.gguf", tag: "Q4_K"))
        #expect(!GGUFSelection.carries("Model-IQ4_XS.gguf", tag: "Q4_XS"))
        #expect(!GGUFSelection.carries("Model-Q4_K_M_L.gguf", tag: "Q4_K_M"))
        #expect(GGUFSelection.quantTag("a/Model-IQ2_XXS.gguf") == "IQ2_XXS")
        #expect(GGUFSelection.quantTag("Model-bf16.gguf") == "BF16")
    }

    @Test func pickingGGUFs() throws {
        let files = ["README.md", "M-Q2_K.gguf", "M-Q4_K_M.gguf", "M-Q8_0.gguf",
                     "Q6_K/M-Q6_K-00002-of-00002.gguf", "Q6_K/M-Q6_K-00001-of-00002.gguf",
                     "BF16/M-BF16-00001-of-00003.gguf", "BF16/M-BF16-00002-of-00003.gguf"]  // BF16 incomplete: left out
        #expect(try GGUFSelection.pick(files, quant: nil, repo: "o/r").parts == ["M-Q4_K_M.gguf"])
        #expect(try GGUFSelection.pick(files, quant: "q8_0", repo: "o/r").parts == ["M-Q8_0.gguf"])
        #expect(try GGUFSelection.pick(files, quant: "Q6_K", repo: "o/r").parts
                == ["Q6_K/M-Q6_K-00001-of-00002.gguf", "Q6_K/M-Q6_K-00002-of-00002.gguf"])
        do {
            _ = try GGUFSelection.pick(files, quant: "Q5_K_M", repo: "o/r")
            Issue.record("no error")
        } catch let e as HubError {
            #expect(e == .noQuantMatch(repo: "o/r", quant: "Q5_K_M",
                                       ggufs: ["M-Q2_K.gguf", "M-Q4_K_M.gguf", "M-Q8_0.gguf", "Q6_K/M-Q6_K-00001-of-00002.gguf"]))
            #expect(e.description.contains("M-Q8_0.gguf"))
        }
        // No Q4_K_M and several files: the error lists the references that exist.
        #expect(throws: HubError.ambiguous("o/r", readings: ["o/r:Q2_K", "o/r:Q8_0"])) {
            try GGUFSelection.pick(["M-Q2_K.gguf", "M-Q8_0.gguf"], quant: nil, repo: "o/r")
        }
        #expect(try GGUFSelection.pick(["only.gguf"], quant: nil, repo: "o/r").parts == ["only.gguf"])
    }

    @Test func filesToPull() throws {
        let safetensors = ["config.json", "model.safetensors", "tokenizer.json", "pytorch_model.bin", "M-Q4_K_M.gguf", "original/consolidated.pth"]
        #expect(try ModelResolver.selectFiles(safetensors, quant: nil, repo: "o/r") == ["config.json", "model.safetensors", "tokenizer.json"])
        #expect(try ModelResolver.selectFiles(safetensors, quant: "Q4_K_M", repo: "o/r") == ["M-Q4_K_M.gguf"])
        #expect(throws: HubError.noModelFiles(repo: "o/r", files: ["README.md"])) {
            try ModelResolver.selectFiles(["README.md"], quant: nil, repo: "o/r")
        }
    }
}
