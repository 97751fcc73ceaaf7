// `r1 list`: the built-in default model and the models in the Hugging Face cache and Ollama's store, as a table or JSON.
import ArgumentParser
import Foundation
import R1Formats
import R1Hub

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the models on this machine (built-in default, Hugging Face cache, Ollama store).")

    @Flag(help: "Print one JSON array.")
    var json = false

    func run() throws {
        let resolver = ModelResolver()
        var builtin: String?
        do { builtin = try resolver.defaultModelPath() } catch { Output.error("r1: \(error)\n") }
        let entries = ModelCatalog.entries(cache: resolver.cache, ollama: resolver.ollama, builtinDefault: builtin)
        if json {
            Output.line(JSONOut.array(entries.map { e in
                .object([("reference", .string(e.reference)), ("source", .string(e.source)), ("path", .string(e.path)),
                         ("size", .int(e.size)), ("format", .string(e.format)),
                         ("architecture", e.architecture.map { .string($0) } ?? .null), ("quant", e.quant.map { .string($0) } ?? .null)])
            }).text)
            return
        }
        let rows = [["REFERENCE", "SIZE", "FORMAT", "ARCHITECTURE", "QUANT", "SOURCE"]] + entries.map {
            [$0.reference, formatBytes($0.size), $0.format, $0.architecture ?? "-", $0.quant ?? "-", $0.source]
        }
        let widths = (0..<6).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for r in rows {
            Output.line(r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        if entries.allSatisfy({ $0.source == "builtin" }) {
            let besides = entries.isEmpty ? "" : " besides the built-in default"
            Output.error("no models in \(resolver.cache.root) or \(resolver.ollama.root)\(besides); get one with `r1 pull ORG/REPO:QUANT`\n")
        }
    }
}
