// Encode throughput on the benchmark corpus; runs only with R1_BENCH=1 (scripts/bench/tokenizer_bench.py).
import Foundation
import Testing
@testable import R1Tokenizer

@Suite struct TokenizerBench {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["R1_BENCH"] == "1"))
    func encodeThroughput() throws {
        let path = ProcessInfo.processInfo.environment["R1_BENCH_CORPUS"] ?? ".build/tokenizer_bench_corpus.txt"
        let corpus = try String(contentsOfFile: path, encoding: .utf8)
        let megabytes = Double(corpus.utf8.count) / 1e6
        for name in TokenizerFixtures.roundTripping {
            let loadStart = DispatchTime.now().uptimeNanoseconds
            let tokenizer = try Tokenizer(directory: TokenizerFixtures.directory(name))
            let load = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
            var times: [Double] = []
            var count = 0
            for _ in 0..<6 {  // the first run fills the word cache; the median of the next five is reported
                let start = DispatchTime.now().uptimeNanoseconds
                count = tokenizer.encode(corpus).count
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let median = times.dropFirst().sorted()[2]
            print("BENCH \(name) seconds=\(median) tokens=\(count) cold=\(times[0]) load=\(load) MB/s=\(megabytes / median)")
        }
    }
}
