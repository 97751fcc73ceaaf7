// Mask cost at the R1-Distill vocabulary: loads tokenizer.json (byte-level BPE strings mapped back to bytes, added
// tokens excluded), compiles every schema under Tests/Fixtures/constrain/schemas and samples from the masks as the
// proof test does, timing each allowedTokens call. Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a
// machine shared with other work does not inflate them. Usage: constrain-bench REPO_ROOT [samples per schema]
import Foundation
import R1Constrain

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ".")
let samplesPerSchema = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2])! : 20

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

/// The calling thread's CPU time in seconds.
func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

// GPT-2 byte-level alphabet: printable bytes stand for themselves, the rest are shifted to U+0100...
var byteOf: [Character: UInt8] = [:]
var shifted = 0
for b in 0..<256 {
    let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
    let scalar = printable ? UInt32(b) : UInt32(256 + shifted)
    if !printable { shifted += 1 }
    byteOf[Character(Unicode.Scalar(scalar)!)] = UInt8(b)
}

var clock = ContinuousClock.now
let data = try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/tokenizers/r1-distill-qwen-1.5b/tokenizer.json"))
let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
let vocab = (json["model"] as! [String: Any])["vocab"] as! [String: Int]
let added = json["added_tokens"] as! [[String: Any]]
let size = max(vocab.values.max()!, added.map { $0["id"] as! Int }.max()!) + 1
var tokens = [[UInt8]](repeating: [], count: size)
for (text, id) in vocab { tokens[id] = text.map { byteOf[$0]! } }
var excluded = Set<Int>()
var eos: [Int] = []
for token in added {
    let id = token["id"] as! Int
    tokens[id] = Array((token["content"] as! String).utf8)
    excluded.insert(id)
    if token["content"] as! String == "<｜end▁of▁sentence｜>" { eos.append(id) }
}
print("vocabulary: \(size) tokens loaded in \(seconds(ContinuousClock.now - clock)) s")
clock = ContinuousClock.now
let vocabulary = Vocabulary(tokens: tokens, excluded: excluded.subtracting(eos), endOfSequence: eos)
print("trie built in \(String(format: "%.3f", seconds(ContinuousClock.now - clock))) s")

struct RNG { var s: UInt64; mutating func next() -> UInt64 { s &+= 0x9E3779B97F4A7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; return z ^ (z >> 31) } }
let singles = (0..<size).filter { tokens[$0].count == 1 && !excluded.contains($0) }

let dir = root.appendingPathComponent("Tests/Fixtures/constrain/schemas")
var allTimes: [Double] = []
print("schema                       compile ms  masks  mean us  p50 us  p99 us  max ms  states")
for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where name.hasSuffix(".json") {
    let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    let c0 = cpuNow()
    let grammar = try Grammar(jsonSchema: text)
    let compile = cpuNow() - c0
    var rng = RNG(s: 42)
    var times: [Double] = []
    var mask = TokenMask(count: size)
    for _ in 0..<samplesPerSchema {
        let m = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
        for step in 0..<600 {
            if m.isComplete && (m.mustEnd || rng.next() % 10 < 7) { break }
            let t0 = cpuNow()
            m.allowedTokens(into: &mask)
            times.append(cpuNow() - t0)
            var token: Int
            if step >= 24 && rng.next() % 100 < 85 {
                let choices = singles.filter { mask.contains($0) }
                token = choices.min { (m.distanceToComplete(after: $0) ?? .max) < (m.distanceToComplete(after: $1) ?? .max) }!
            } else {
                let allowed = mask.allowed.filter { !eos.contains($0) }
                token = allowed[Int(rng.next() % UInt64(allowed.count))]
            }
            try m.accept(token: token)
        }
    }
    allTimes += times
    let sorted = times.sorted()
    let mean = times.reduce(0, +) / Double(times.count)
    print(name.padding(toLength: 28, withPad: " ", startingAt: 0),
          String(format: "%9.2f %6d %8.1f %7.1f %7.1f %7.2f %7d", compile * 1e3, times.count, mean * 1e6,
                 sorted[sorted.count / 2] * 1e6, sorted[sorted.count * 99 / 100] * 1e6, sorted.last! * 1e3, grammar.automatonStates))
}
let sorted = allTimes.sorted()
print(String(format: "all: %d masks, mean %.1f us, p50 %.1f us, p99 %.1f us, max %.2f ms", sorted.count,
             allTimes.reduce(0, +) / Double(sorted.count) * 1e6, sorted[sorted.count / 2] * 1e6,
             sorted[sorted.count * 99 / 100] * 1e6, sorted.last! * 1e3))

// applying a mask to a padded logits row (151,936 as the model's embedding)
do {
    let grammar = try Grammar(jsonSchema: #"{"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]}"#)
    let m = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
    for token in [90, 82, 788] where m.allowedTokens().contains(token) { try m.accept(token: token) }  // {"s":" or less
    var mask = TokenMask(count: size)
    m.allowedTokens(into: &mask)
    var logits = [Float](repeating: 0, count: 151_936)
    let t0 = cpuNow()
    for _ in 0..<1000 { mask.apply(to: &logits) }
    print(String(format: "apply to 151,936 logits (%d allowed): %.1f us", mask.allowedCount, (cpuNow() - t0) / 1000 * 1e6))
}
