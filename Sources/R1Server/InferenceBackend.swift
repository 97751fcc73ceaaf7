// What the HTTP layer needs from a model: prompt preparation, a generation stream, and admission (slots and a
// bounded queue). EngineBackend serves one Engine; a batching scheduler plugs in behind the same protocol.
import R1Runtime
import R1Sampling
import R1Tokenizer

/// The prompt of one request, before templating and tokenizing.
public enum PromptInput: Sendable {
    /// Chat messages (role/content objects, `reasoning_content` already dropped) rendered by the chat template, with
    /// the template's `tools` when the request offers some.
    case chat(messages: [JinjaValue], tools: [JinjaValue] = [])
    /// Text used as is (`/v1/completions`): BOS added as the tokenizer config says.
    case text(String)
}

/// One generation as the server asks for it.
public struct ServerGenerationRequest: Sendable {
    public var prompt: PromptInput
    public var parameters: GenerationParameters
    /// Most reasoning tokens before the runtime closes `</think>`; nil = unbounded.
    public var thinkingBudget: Int?
    /// Seconds after which the generation is stopped; nil = none.
    public var timeout: Double?
    /// Chat template variables beside messages and tools (`chat_template_kwargs`).
    public var templateKwargs: [String: JinjaValue] = [:]

    public init(prompt: PromptInput, parameters: GenerationParameters, thinkingBudget: Int? = nil, timeout: Double? = nil) {
        self.prompt = prompt
        self.parameters = parameters
        self.thinkingBudget = thinkingBudget
        self.timeout = timeout
    }
}

/// A generation admitted by the backend: the tokenized prompt's size, whether thinking is open at its end, and
/// the events (`.token`, `.reasoning`, `.content`, then `.done`). Cancelling the consuming task ends it.
public struct GenerationHandle: Sendable {
    public var promptTokens: Int
    public var opensThinking: Bool
    public var events: AsyncThrowingStream<GenerationEvent, any Error>

    public init(promptTokens: Int, opensThinking: Bool, events: AsyncThrowingStream<GenerationEvent, any Error>) {
        self.promptTokens = promptTokens
        self.opensThinking = opensThinking
        self.events = events
    }
}

/// How busy a backend is.
public struct BackendLoad: Sendable, Equatable {
    public var running: Int
    public var waiting: Int
    public var slots: Int
    public var queueCapacity: Int
    /// The KV memory budget and the prompt cache, where the backend has them (/metrics reports them).
    public var caches: CacheFigures?
    public init(running: Int, waiting: Int, slots: Int, queueCapacity: Int, caches: CacheFigures? = nil) {
        self.running = running
        self.waiting = waiting
        self.slots = slots
        self.queueCapacity = queueCapacity
        self.caches = caches
    }
}

/// What a backend's KV memory and shared prompt cache hold, for /metrics.
public struct CacheFigures: Sendable, Equatable {
    /// The KV budget (`--kv-memory`) in bytes; nil: none.
    public var kvBudgetBytes: Int?
    /// KV bytes the running sequences hold (whole 16-position blocks), and sequences preempted so far.
    public var kvUsedBytes = 0
    public var preemptions = 0
    /// The prompt cache (nil: off): bytes held, lookups, lookups that reused positions, positions reused, evictions.
    public var promptCache: PromptCacheFigures?

    public struct PromptCacheFigures: Sendable, Equatable {
        public var bytes = 0, lookups = 0, hits = 0, hitTokens = 0, evictedBlocks = 0
        public init() {}
    }

    public init(kvBudgetBytes: Int? = nil) { self.kvBudgetBytes = kvBudgetBytes }
}

/// Why a backend refused a request before generating; the server maps each case to a status and OpenAI error.
public enum BackendError: Error, Sendable, Equatable {
    /// Tokens in the prompt, plus what the request asks for, exceed the context.
    case promptTooLong(promptTokens: Int, contextLength: Int)
    /// Every slot is busy and the queue is full; retry after this many seconds.
    case overloaded(retryAfter: Int)
    /// The prompt or the parameters are unusable (empty prompt, bad sampling values, template error).
    case invalid(String, param: String?)
    /// The model cannot do this at all (no tokenizer, no chat template).
    case unsupported(String)
}

public protocol InferenceBackend: Sendable {
    /// The id `/v1/models` lists and requests may name.
    var modelName: String { get }
    var contextLength: Int { get }
    var load: BackendLoad { get }
    /// Sampling used where a request leaves a value out (the model's generation_config, else R1's 0.6 / 0.95).
    var defaultSampling: SamplingParameters { get }
    /// Text of one token id for logprobs (`top_logprobs[].token`).
    func tokenText(_ id: Int) -> String
    /// How the model writes tool calls (from its chat template).
    var toolCallFormat: ToolCallFormat { get }
    /// Prepares and admits a generation, or throws a `BackendError` at once (never after the stream started).
    func generate(_ request: ServerGenerationRequest) throws -> GenerationHandle
    /// What Ollama's /api/show, /api/ps and /api/tags say about the model.
    var served: ServedModel { get }
}

extension InferenceBackend {
    public var served: ServedModel { .named(modelName, contextLength: contextLength) }
}

extension InferenceBackend {
    public var toolCallFormat: ToolCallFormat { .fallback }
}
