// SafetensorsWriter read back by SafetensorsFile: names, dtypes, shapes, values (F32 exact, F16/BF16 rounded),
// 8-byte-aligned data region, metadata; bad input named. (The Python `safetensors` package reads the gradient files
// this writer makes in scripts/fixtures/make_train_fixtures.py's companion check.)
import Foundation
import Testing
import R1Formats

@Suite struct SafetensorsWriterTests {
    @Test func roundTripsEveryDType() throws {
        var w = SafetensorsWriter()
        w.metadata = ["format": "pt"]
        let values: [Float] = [0, 1, -2.5, 3.140625, 1e-3, -65504, 0.333333]
        try w.add("a.weight", shape: [7], values: values)
        try w.add("b.half", shape: [1, 7], values: values, as: .f16)
        try w.add("c.bf16", shape: [7, 1], values: values, as: .bf16)
        try w.add("d.scalar", shape: [], values: [42])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("r1-writer-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try w.write(to: path)
        let f = try SafetensorsFile(path: path)
        #expect(f.dataOffset % 8 == 0)
        #expect(f.tensorNames == ["a.weight", "b.half", "c.bf16", "d.scalar"])
        #expect(f.metadata == ["format": "pt"])
        func read(_ name: String) throws -> [Float] {
            let t = try f.requireTensor(name)
            return (0..<t.elementCount).map { i in
                switch t.type {
                case .f32: return t.data.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
                case .f16: return Float(Float16(bitPattern: t.data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                default: return Float(bitPattern: UInt32(t.data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            }
        }
        #expect(try read("a.weight") == values)
        #expect(try f.requireTensor("b.half").shape == [1, 7])
        #expect(try read("b.half") == values.map { Float(Float16($0)) })
        // bf16 keeps 8 mantissa bits: relative error at most 2^-9
        for (got, want) in zip(try read("c.bf16"), values) { #expect(abs(got - want) <= abs(want) / 256) }
        #expect(try read("c.bf16")[2] == -2.5)
        #expect(try read("d.scalar") == [42])
    }

    @Test func rejectsBadInput() throws {
        var w = SafetensorsWriter()
        #expect(throws: FormatError.self) { try w.add("x", shape: [2, 2], values: [1, 2, 3]) }
        try w.add("x", shape: [1], values: [1])
        #expect(throws: FormatError.self) { try w.add("x", shape: [1], values: [1]) }
        #expect(throws: FormatError.self) { try w.add("__metadata__", shape: [1], values: [1]) }
    }
}
