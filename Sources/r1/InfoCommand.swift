// `r1 info MODEL`: architecture, size, tensor types, context, special tokens, chat template presence.
import ArgumentParser
import Foundation
import R1DefaultModel
import R1Kernels
import R1Models
import R1Runtime

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a model.")

    @Argument(help: modelArgumentHelp)
    var model: String = DefaultModel.name
    @OptionGroup var kernelOptions: KernelOptions

    func run() async throws {
        let m = try ModelLoader.load(path: try resolveModelPath(model))
        print("model:          \(m.path) (\(m.format.rawValue))")
        print("architecture:   \(m.architecture.name)")
        if let c = m.decoder?.config {
            print("parameters:     \(formatCount(m.parameterCount))")
            print("layers:         \(c.layerCount), hidden \(c.hiddenSize), intermediate \(c.intermediateSize)")
            print("attention:      \(c.headCount) heads, \(c.kvHeadCount) key/value heads, head dim \(c.headDim)")
            print("vocabulary:     \(c.vocabSize)")
        } else if let ds = m.model as? DeepSeekModel {
            let experts = ds.parameterCounts, cache = ds.cacheBytesPerToken
            let active = m.parameterCount - (experts.total - experts.active)
            print("parameters:     \(formatCount(m.parameterCount)) total, \(formatCount(active)) active per token")
            for (label, value) in ds.summary { print("\((label + ":").padding(toLength: 16, withPad: " ", startingAt: 0))\(value)") }
            print("cache/token:    \(formatBytes(cache.latent)) (latent + rope key, f32), vs \(formatBytes(cache.perHead)) for per-head K/V in f32")
        }
        print("context length: \(m.trainedContextLength)")
        var byType: [GGMLType: (count: Int, bytes: Int)] = [:]
        for t in m.tensorSummary { byType[t.type, default: (0, 0)].count += 1; byType[t.type, default: (0, 0)].bytes += t.bytes }
        let types = byType.sorted { $0.value.bytes > $1.value.bytes }
            .map { "\($0.key) \($0.value.count) tensors \(formatBytes($0.value.bytes))" }
        print("tensor types:   \(types.joined(separator: "; "))")
        if let g = m.gguf {
            let bos = g.int("tokenizer.ggml.bos_token_id").map(String.init) ?? "none"
            let eos = g.int("tokenizer.ggml.eos_token_id").map(String.init) ?? "none"
            print("special tokens: bos \(bos), eos \(eos)")
        } else {
            let eos = m.generationConfig?.eosTokenId ?? m.hfConfig?.intOrList("eos_token_id") ?? []
            let bos = m.generationConfig?.bosTokenId ?? m.hfConfig?.int("bos_token_id")
            print("special tokens: bos \(bos.map(String.init) ?? "none"), eos \(eos.map(String.init).joined(separator: ","))")
        }
        let kernels = try kernelOptions.policy()
        print("kernels:        \(kernels.details) (this \(KernelPolicy.cpuVendor) CPU runs \(KernelPolicy.best) at best)")
        let engine = try Engine(model: m, threads: 1, kernels: kernels)
        if let f = engine.formatter {
            print("tokenizer:      \(f.tokenizer.vocabularySize) tokens, bos \(f.tokenizer.bosToken ?? "none"), eos \(f.tokenizer.eosToken ?? "none"), adds bos: \(f.tokenizer.addBosToken)")
            print("chat template:  \(f.templateOrigin == "model" ? "present (from the model)" : "absent; using the \(f.templateOrigin) template")")
        } else {
            print("tokenizer:      none (prompts must be given as ids)")
        }
    }
}

func formatCount(_ n: Int) -> String {
    if n >= 1_000_000_000 { return String(format: "%.2fB", Double(n) / 1e9) }
    if n >= 1_000_000 { return String(format: "%.2fM", Double(n) / 1e6) }
    if n >= 1_000 { return String(format: "%.1fK", Double(n) / 1e3) }
    return "\(n)"
}

func formatBytes(_ n: Int) -> String {
    if n >= 1 << 30 { return String(format: "%.2f GiB", Double(n) / Double(1 << 30)) }
    if n >= 1 << 20 { return String(format: "%.2f MiB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / 1024) }
    return "\(n) B"
}
