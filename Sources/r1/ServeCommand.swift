// `r1 serve MODEL`: the OpenAI-, DeepSeek- and Ollama-compatible HTTP server (R1Server) over one loaded model.
import ArgumentParser
import Foundation
import R1Formats
import R1Hub
import R1Runtime
import R1Sampling
import R1Server

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve a model over OpenAI's, DeepSeek's and Ollama's HTTP APIs.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on.")
    var port = 8080
    @Option(help: "Generations batched together at every step (continuous batching): more raise the total tokens/s (8 decode about 3x faster than 1 on 2 cores) and each one's time per token.")
    var parallel = 8
    @Option(help: "Requests that may wait for a slot; beyond them the server answers 429 with Retry-After.")
    var queue = 16
    @Option(name: .customLong("reasoning-field"), help: "Name of the reasoning field: reasoning_content (DeepSeek) or reasoning (vLLM, Ollama's /v1).")
    var reasoningField = "reasoning_content"
    @Option(help: "Seconds one request may take, queue included; 0 = no limit.")
    var timeout: Double = 600
    @Option(name: .customLong("prompt-cache"), help: "Keys and values kept across requests for their common prefixes (vLLM's prefix caching): a size (2GiB, 512MiB, 32768tokens), 'auto' (an eighth of the memory, at most 4GiB) or 'off'.")
    var promptCache = "auto"
    @Option(name: .customLong("kv-memory"), help: "KV cache all running requests may hold together, in blocks of 16 positions: a size (4GiB, 512MiB, 32768tokens), 'auto' (half the memory available at start) or 'off'. Requests wait for memory as for a slot; one that outgrows it is recomputed later.")
    var kvMemory = "auto"
    @OptionGroup(title: "Sampling defaults (a request's own values win)") var samplingOptions: SamplingOptions
    @Option(name: .customLong("model-name"), help: "Model id to serve under (default: the file or folder name).")
    var modelName: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535, got \(port)") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1, got \(parallel)") }
        guard queue >= 0 else { throw ValidationError("--queue must be >= 0, got \(queue)") }
        guard ["reasoning_content", "reasoning"].contains(reasoningField) else {
            throw ValidationError("--reasoning-field must be reasoning_content or reasoning, got '\(reasoningField)'")
        }
        guard timeout >= 0 else { throw ValidationError("--timeout must be >= 0, got \(timeout)") }
        do { _ = try promptCacheSize() } catch { throw ValidationError("--prompt-cache: \(error)") }
        do { _ = try kvMemorySize() } catch { throw ValidationError("--kv-memory: \(error)") }
    }

    func run() async throws {
        let (engine, ollama) = try modelOptions.loadWithParams()
        guard engine.formatter != nil else { throw CLIError("\(modelOptions.model): the model has no tokenizer, so it cannot be served") }
        let name = modelName ?? Self.defaultName(modelOptions.model)
        // Requests get the flags, then an Ollama model's params layer, then generation_config, then R1's defaults.
        var defaults = GenerationParameters(maxTokens: 1, sampling: try samplingOptions.parameters(for: engine))
        if let o = ollama { defaults.applyDefaults(o, flags: samplingOptions) }
        let path = engine.loaded?.path ?? modelOptions.model
        let served = ServedModel.describing(engine, name: name, parameters: Self.parametersText(defaults.sampling, stop: ollama?.stop ?? []),
                                            digest: { FileDigest.model(at: path) })
        let cacheSize = try promptCacheSize(), kvSize = try kvMemorySize()
        let backend = EngineBackend(engine: engine, modelName: name, parallel: parallel, queueCapacity: queue,
                                    defaultSampling: defaults.sampling, served: served,
                                    promptCache: cacheSize.map { PrefixCache(capacity: $0) }, kvMemory: kvSize)
        let config = ServerConfiguration(host: host, port: port, reasoningField: reasoningField,
                                         requestTimeout: timeout > 0 ? timeout : nil)
        Output.error("serving \(name) (context \(engine.contextLength), prompt cache \(cacheSize?.description ?? "off"), KV memory \(kvSize?.description ?? "unbounded")) on http://\(host):\(port)\n")
        let app = buildApplication(backend: backend, configuration: config)
        try await app.runService()
    }

    /// The shared prompt cache's size; nil when off.
    func promptCacheSize() throws -> CacheSize? {
        switch promptCache.lowercased() {
        case "off", "0", "none": return nil
        case "auto": return .bytes(Int(min(ProcessInfo.processInfo.physicalMemory / 8, 4 << 30)))
        default: return try CacheSize(parsing: promptCache)
        }
    }

    /// The KV budget of the running requests; nil when off.
    func kvMemorySize() throws -> CacheSize? {
        switch kvMemory.lowercased() {
        case "off", "none": return nil
        case "auto": return .bytes(Self.availableMemory() / 2)
        default: return try CacheSize(parsing: kvMemory)
        }
    }

    /// MemAvailable from /proc/meminfo (the physical memory where there is none).
    static func availableMemory() -> Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kb * 1024
        }
        return Int(ProcessInfo.processInfo.physicalMemory)
    }

    /// Ollama's `parameters` text for /api/show: the sampling defaults requests get, one "name value" per line.
    static func parametersText(_ s: SamplingParameters, stop: [String]) -> String {
        var lines = [String(format: "temperature %g", Double(s.temperature)), String(format: "top_p %g", Double(s.topP))]
        if s.topK > 0 { lines.append("top_k \(s.topK)") }
        if s.minP > 0 { lines.append(String(format: "min_p %g", Double(s.minP))) }
        if s.repetitionPenalty != 1 { lines.append(String(format: "repeat_penalty %g", Double(s.repetitionPenalty))) }
        for text in stop { lines.append("stop " + JSONOut.string(text).text) }
        return lines.joined(separator: "\n")
    }

    /// "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf" -> "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M"; folders by their name.
    static func defaultName(_ path: String) -> String {
        let last = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        return last.hasSuffix(".gguf") ? String(last.dropLast(5)) : last
    }
}
