// The `r1` binary on bad input: a non-zero exit and an error naming the bad value; never a crash trace or a hang.
import Foundation
import Testing

/// The r1 executable built beside this test bundle.
let r1Binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("r1")
let modelsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/models")

struct CLIResult { let status: Int32; let stdout: String; let stderr: String }

func runR1(_ args: [String], timeout: TimeInterval = 60) throws -> CLIResult {
    let p = Process()
    p.executableURL = r1Binary
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if p.isRunning { p.terminate(); p.waitUntilExit() }
    let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return CLIResult(status: p.terminationStatus, stdout: o, stderr: e)
}

struct BadInput: Sendable, CustomStringConvertible {
    let args: [String]
    let mentions: String
    var description: String { args.joined(separator: " ") }
}

let tiny = modelsRoot.appendingPathComponent("qwen2-tiny").path
let badInputs: [BadInput] = [
    BadInput(args: ["generate", tiny, "--prompt-ids", "5,99999"], mentions: "99999"),
    BadInput(args: ["generate", tiny, "--prompt-ids", "5,x"], mentions: "'x'"),
    BadInput(args: ["generate", tiny, "--prompt-ids", "1,2", "--temperature", "-1"], mentions: "-1"),
    BadInput(args: ["generate", tiny, "--prompt-ids", "1,2", "--top-p", "1.5"], mentions: "1.5"),
    BadInput(args: ["generate", tiny, "--prompt-ids", "1,2", "--max-tokens", "abc"], mentions: "abc"),
    BadInput(args: ["generate", tiny, "--prompt-ids", "1,2,3,4,5,6,7,8,9,10", "--context", "8"], mentions: "context"),
    BadInput(args: ["generate", "/no/such/model.gguf", "--prompt-ids", "1"], mentions: "/no/such/model.gguf"),
    BadInput(args: ["info", modelsRoot.appendingPathComponent("qwen2-tiny/model.safetensors").path], mentions: "model.safetensors"),
    BadInput(args: ["detokenize", tiny, "--ids", "1,100000"], mentions: "100000"),
    BadInput(args: ["generate", tiny, "--prompt-ids", "1,2", "--cache-type", "q4"], mentions: "q4"),
    // the tiny model's head dim is 16, not a multiple of q8_0's block of 32
    BadInput(args: ["generate", tiny, "--prompt-ids", "1,2", "--cache-type", "q8_0"], mentions: "16"),
    BadInput(args: ["bench", tiny, "--cache-type", "q8_0", "--gen-tokens", "1", "--prompt-tokens", "1"], mentions: "16"),
]

@Test(arguments: badInputs)
func badInputGivesOneLineError(_ input: BadInput) throws {
    let r = try runR1(input.args)
    #expect(r.status != 0, "\(input): exit status \(r.status)")
    let firstLine = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
    #expect(firstLine.contains(input.mentions), "\(input): stderr was \(r.stderr)")
    for crash in ["Fatal error", "Stack dump", "Backtrace", "Segmentation"] {
        #expect(!r.stderr.contains(crash), "\(input): \(r.stderr)")
    }
}

@Test func generateJSONHasTheDocumentedShape() throws {
    let r = try runR1(["generate", tiny, "--prompt-ids", "1,2,3", "--max-tokens", "4", "--temperature", "0", "--logprobs", "3", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    for key in ["prompt_ids", "ids", "text", "reasoning", "content", "finish_reason", "top_logprobs", "timings"] {
        #expect(obj[key] != nil, "missing \(key)")
    }
    #expect((obj["ids"] as? [Int])?.count == 4)
    let top = try #require(obj["top_logprobs"] as? [[[String: Any]]])
    #expect(top.count == 4 && top.allSatisfy { $0.count == 3 })
    #expect(obj["finish_reason"] as? String == "length")
}
