// `r1 pull REF [--include GLOB]... [--revision R]`: downloads a Hugging Face model into the Hugging Face cache, laid
// out as huggingface_hub lays it out, resuming interrupted files.
import ArgumentParser
import Foundation
import R1Hub

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Download a model from the Hugging Face Hub into the Hugging Face cache.",
        discussion: "REF is ORG/REPO (safetensors, or its one GGUF: Q4_K_M where there are several) or [hf.co/]ORG/REPO:QUANT. Uses HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME.")

    @Argument(help: "ORG/REPO[@REVISION], ORG/REPO:QUANT or hf.co/ORG/REPO:QUANT.")
    var reference: String
    @Option(help: "Download only files matching this glob (repeatable), as `hf download --include`.")
    var include: [String] = []
    @Option(help: "Branch, tag or commit (default: main, or what @REVISION says).")
    var revision: String?
    @Option(help: "Parallel connections per large file.")
    var connections = 8
    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if connections <= 0 { throw ValidationError("--connections must be positive, got \(connections)") }
    }

    func run() async throws {
        let hf = try ModelReference.readings(reference).compactMap { r -> (String, String, String?)? in
            if case .huggingFace(let repo, let rev, let q) = r { (repo, rev, q) } else { nil }
        }.first
        guard let (repo, refRevision, quant) = hf else {
            throw CLIError("'\(reference)' is not a Hugging Face reference (ORG/REPO[@REVISION] or [hf.co/]ORG/REPO:QUANT)")
        }
        let env = ProcessInfo.processInfo.environment
        let resolver = ModelResolver(environment: env)
        if resolver.offline { throw HubError.offline(reference) }
        let progress = DownloadProgress(quiet: quiet)
        let client = HubClient(environment: env)
        var pull = HubPull(client: client, cache: resolver.cache, progress: progress)
        pull.connections = connections
        let started = Date()
        do {
            let snap = try await pull.pull(repo, revision: revision ?? refRevision, include: include, select: {
                try ModelResolver.selectFiles($0.map(\.path), quant: quant, repo: repo)
            })
            await client.shutdown()
            let bytes = snap.files.reduce(0) { sum, f in
                sum + ((try? FileManager.default.attributesOfItem(atPath: snap.folder + "/" + f)[.size] as? NSNumber)?.intValue ?? 0)
            }
            progress.message(String(format: "pulled %d files, %@, in %.1f s", snap.files.count, formatBytes(bytes), Date().timeIntervalSince(started)))
            Output.line(snap.folder)
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
