// The state a caller keeps beside a model (R1Models.LanguageModel): a workspace and one sequence's cache, typed by
// the model, so the engine can hold `any LanguageModel` and still hand the model its own cache type without a cast.
import R1Kernels
import R1Models

/// One sequence of some model: its cache and the workspace its forward calls use.
protocol SequenceSlot: AnyObject {
    var cache: any SequenceCache { get }
    /// Runs `tokens` at positions cache.count..., appending to the cache; returns the last token's logits (vocab).
    func forward(_ tokens: [Int], pool: ThreadPool) -> [Float]
}

final class ModelSlot<M: LanguageModel>: SequenceSlot {
    let model: M
    let typedCache: M.Cache
    let workspace: M.Workspace

    init(_ model: M, cacheType: KVCacheType) {
        self.model = model
        typedCache = model.makeCache(capacity: nil, type: cacheType)
        workspace = model.makeWorkspace()
    }

    var cache: any SequenceCache { typedCache }

    func forward(_ tokens: [Int], pool: ThreadPool) -> [Float] {
        model.forward(tokens, cache: typedCache, workspace: workspace, pool: pool)
    }
}

/// Opens the existential once: a slot for `model`'s own cache type.
func makeSlot<M: LanguageModel>(_ model: M, cacheType: KVCacheType) -> any SequenceSlot {
    ModelSlot(model, cacheType: cacheType)
}
