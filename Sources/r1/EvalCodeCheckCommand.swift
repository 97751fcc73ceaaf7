// `r1 eval code-check FILE.jsonl --completions canonical|empty`: runs HumanEval problems through the sandbox with
// the file's canonical solutions (all must pass) or empty bodies (all must fail), to check the sandbox and the set.
import ArgumentParser
import Foundation
import R1Eval
import R1Formats

struct EvalCodeCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "code-check", abstract: "Run a HumanEval file's canonical solutions or empty bodies in the sandbox.")

    enum Completions: String, ExpressibleByArgument, CaseIterable { case canonical, empty }

    @Argument(help: "A HumanEval-layout JSONL file (task_id, prompt, canonical_solution, test, entry_point).")
    var file: String
    @Option(help: "canonical: the file's canonical_solution; empty: no body.")
    var completions: Completions = .canonical
    @Option(help: "Programs run at once.")
    var concurrency = 4
    @Option(help: "Python to run (default: /usr/bin/python3).")
    var python: String?
    @Option(help: "Wall-clock seconds per program.")
    var timeout: Double = 10
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1, got \(concurrency)") }
        if !(timeout > 0) { throw ValidationError("--timeout must be positive, got \(timeout)") }
    }

    func run() async throws {
        let data = try EvalDataset.load(path: file)
        guard data.layout == .humanEval else { throw CLIError("\(file): not a HumanEval file (layout \(data.layout.rawValue))") }
        let sandbox = try PythonSandbox(python: python, limits: SandboxLimits(wallSeconds: timeout))
        var programs: [(String, String)] = []
        for p in data.problems {
            guard case .code(let prompt, let test, let entry) = p.check else { continue }
            var completion = ""
            if completions == .canonical {
                guard let s = data.canonicalSolutions[p.id] else { throw CLIError("\(file): problem '\(p.id)' has no canonical_solution") }
                completion = s
            }
            programs.append((p.id, EvalPrompt.humanEvalProgram(prompt: prompt, completion: completion, test: test, entryPoint: entry)))
        }
        var outcomes: [String: SandboxResult] = [:]
        try await withThrowingTaskGroup(of: (String, SandboxResult).self) { group in
            var next = programs.makeIterator()
            func launch() {
                guard let (id, program) = next.next() else { return }
                group.addTask { (id, try await sandbox.run(program: program)) }
            }
            for _ in 0..<concurrency { launch() }
            while let (id, r) = try await group.next() {
                outcomes[id] = r
                launch()
            }
        }
        let passed = programs.filter { outcomes[$0.0]?.passed == true }.map(\.0)
        let failed = programs.map(\.0).filter { outcomes[$0]?.passed != true }
        if json {
            Output.line(JSONOut.object([
                ("file", .string(file)), ("completions", .string(completions.rawValue)), ("total", .int(programs.count)),
                ("passed", .int(passed.count)), ("failed", .array(failed.map { .string($0) })), ("sandbox", .string(sandbox.summary)),
            ]).text)
        } else {
            Output.line("\(passed.count)/\(programs.count) passed with \(completions.rawValue) completions; sandbox: \(sandbox.summary)")
            for id in failed.prefix(20) {
                let r = outcomes[id]!
                Output.line("  \(completions == .canonical ? "FAILED" : "failed") \(id): \(r.status) \(r.stderr.split(separator: "\n").last ?? "")")
            }
        }
    }
}
