// Micro-benchmark, not a test: GB/s of weight bytes through Quant.vecDot over an 8960 x 1536 matrix (Qwen2-1.5B's
// ffn_up), one thread. Runs only with R1_BENCH=1: `R1_BENCH=1 swift test -c release --filter QuantBench`.
import Foundation
import Testing
@testable import R1Kernels

@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["R1_BENCH"] == "1"))
struct QuantBench {
    static let rows = 8960, cols = 1536

    @Test(arguments: [GGMLType.q4_K, .q8_0, .q4_0, .f16, .q6_K, .q5_K, .q4_1, .q5_0, .q5_1, .bf16, .f32])
    func vecDotThroughput(type: GGMLType) {
        var rng = SeededRNG(seed: 7)
        let rowBytes = type.byteCount(elements: Self.cols)!
        var w = [UInt8]()
        w.reserveCapacity(rowBytes * Self.rows)
        let oneRow = QuantTestData.weights(type, count: Self.cols * 64, rng: &rng)  // 64 distinct rows, tiled
        for r in 0..<Self.rows { w += oneRow[(r % 64) * rowBytes..<(r % 64 + 1) * rowBytes] }
        let x = QuantTestData.quantize(QuantTestData.activations(count: Self.cols, rng: &rng), Quant.vecDotType(type))
        var best = Double.infinity, sink: Float = 0
        w.withUnsafeBytes { wp in
            for _ in 0..<7 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for r in 0..<Self.rows { sink += Quant.vecDot(wp.baseAddress! + r * rowBytes, x, count: Self.cols, type: type) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
        }
        let gbps = Double(w.count) / best / 1e9
        print("QuantBench \(type): \(String(format: "%.2f", gbps)) GB/s weights, \(String(format: "%.2f", best * 1e3)) ms "
              + "for \(Self.rows)x\(Self.cols) (\(w.count / 1_000_000) MB) [sink \(sink.isFinite)]")
        #expect(sink.isFinite)
    }

    @Test(arguments: [GGMLType.q4_K, .q8_0, .q4_0, .f16, .q6_K])
    func dequantizeThroughput(type: GGMLType) {
        var rng = SeededRNG(seed: 8)
        let n = Self.cols * 256, w = QuantTestData.weights(type, count: n, rng: &rng)
        var y = [Float](repeating: 0, count: n), best = Double.infinity
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Quant.dequantizeRow(w, &y, count: n, type: type)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        print("QuantBench dequantize \(type): \(String(format: "%.2f", Double(w.count) / best / 1e9)) GB/s weights, "
              + "\(String(format: "%.2f", Double(n) / best / 1e9)) G floats/s")
        let finite = y.allSatisfy { $0.isFinite }
        #expect(finite)
    }

    @Test(arguments: [GGMLType.q8_0, .q8_1, .q8_K, .f16])
    func quantizeActivations(type: GGMLType) {
        var rng = SeededRNG(seed: 9)
        let x = QuantTestData.activations(count: Self.rows, rng: &rng)
        var out = [UInt8](repeating: 0, count: type.byteCount(elements: x.count)!), best = Double.infinity
        for _ in 0..<20 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Quant.quantizeRow(x, &out, count: x.count, type: type)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        print("QuantBench quantizeRow \(type): \(String(format: "%.1f", best * 1e6)) us for \(x.count) floats")
        #expect(out.count > 0)
    }
}
