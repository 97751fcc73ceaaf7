// What `r1 bench` times, as main.swift does, against the API before the one-forward-pass model layer (issue 10;
// commits up to cca5c92): Decoder held its own scratch and forward took no workspace. run.sh uses it with MAIN_OLD=.
import Foundation
import R1Kernels
import R1Models
let a = CommandLine.arguments
let path = a[1], p = Int(a[2])!, g = Int(a[3])!, depth = Int(a[4])!, reps = Int(a[5])!
let loaded = try ModelLoader.load(path: path, contextLength: depth + max(p, g) + 1)
let decoder = loaded.decoder
let pool = ThreadPool(threads: ThreadPool.defaultThreadCount)
let vocab = decoder.config.vocabSize
func ids(_ n: Int) -> [Int] { var rng = SystemRandomNumberGenerator(); return (0..<n).map { _ in Int.random(in: 0..<vocab, using: &rng) } }
func since(_ t0: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
let cache = decoder.makeCache(capacity: depth + max(p, g) + 1, type: .f16)
_ = decoder.forward(ids(1), cache: cache, pool: pool)
cache.truncate(to: 0)
var i = 0
let d = ids(depth)
while i < depth { let n = min(512, depth - i); _ = decoder.forward(Array(d[i..<(i + n)]), cache: cache, pool: pool); i += n }
var pp: [Double] = [], tg: [Double] = []
for _ in 0..<reps {
    if p > 0 {
        cache.truncate(to: depth)
        let x = ids(p), t0 = DispatchTime.now().uptimeNanoseconds
        _ = decoder.forward(x, cache: cache, pool: pool)
        pp.append(Double(p) / since(t0))
    }
    cache.truncate(to: depth)
    let x = ids(g), t0 = DispatchTime.now().uptimeNanoseconds
    for id in x { _ = decoder.forward([id], cache: cache, pool: pool) }
    tg.append(Double(g) / since(t0))
}
func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
print("{\"prompt_tokens_per_second\": \(median(pp)), \"generate_tokens_per_second\": \(median(tg))}")
