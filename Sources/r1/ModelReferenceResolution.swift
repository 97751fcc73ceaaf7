// The one place a MODEL argument becomes files: R1Hub's resolver (`default`, path, Hugging Face cache or pull,
// Ollama store), called from synchronous command code.
import Dispatch
import Foundation
import R1Hub

/// Resolves a reference, pulling a missing Hugging Face model with a progress bar on stderr.
func resolveModel(_ reference: String) throws -> ResolvedModel {
    let resolver = ModelResolver()
    if let m = try resolver.resolveLocal(reference) { return m }
    return try runBlocking { try await resolver.resolve(reference) }
}

/// The file or folder ModelLoader opens for a reference; for a split GGUF its first shard (ModelLoader finds the others
/// beside it).
func resolveModelPath(_ reference: String) throws -> String {
    try resolveModel(reference).paths[0]
}

/// Runs async work from synchronous code (ModelOptions.load is synchronous); the calling thread waits.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
