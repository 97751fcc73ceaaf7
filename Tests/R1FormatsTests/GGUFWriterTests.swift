// GGUFWriter against gguf-py's GGUFWriter (gguf 0.19.0): Tests/Fixtures/formats/gguf-writer/*.gguf, made by
// scripts/fixtures/make_gguf_writer_fixtures.py, rebuilt here byte for byte, then read back with GGUFFile.
import Foundation
import R1Kernels
import Testing
@testable import R1Formats

@Suite struct GGUFWriterTests {
    private static let dir = Fixtures.root.appendingPathComponent("gguf-writer")

    /// The content make_gguf_writer_fixtures.py writes; the Q8_0 bytes are taken from gguf-py's file.
    private func referenceWriter(alignment: UInt32?, q8Bytes: [UInt8]) throws -> GGUFWriter {
        var w = GGUFWriter()
        try w.add("general.architecture", .string("test"))
        if let alignment { try w.add("general.alignment", .uint32(alignment)) }
        try w.add("t.u8", .uint8(7))
        try w.add("t.i8", .int8(-7))
        try w.add("t.u16", .uint16(65535))
        try w.add("t.i16", .int16(-32768))
        try w.add("t.u32", .uint32(4_000_000_000))
        try w.add("t.i32", .int32(-123456))
        try w.add("t.f32", .float32(3.25))
        try w.add("t.u64", .uint64(1 << 63 + 5))
        try w.add("t.i64", .int64(-(1 << 40)))
        try w.add("t.f64", .float64(-1.5e300))
        try w.add("t.bool", .bool(true))
        try w.add("t.str", .string("héllo ✓ <think>"))
        try w.add("t.arr.u8", .array(elementType: .uint8, [.uint8(1), .uint8(2), .uint8(255)]))
        try w.add("t.arr.i32", .array(elementType: .int32, [.int32(1), .int32(-2), .int32(3)]))
        try w.add("t.arr.i64", .array(elementType: .int64, [.int64(-1), .int64(1 << 40)]))
        try w.add("t.arr.f32", .array(elementType: .float32, [.float32(0.5), .float32(-1.25)]))
        try w.add("t.arr.str", .array(elementType: .string, ["a", "Ġthe", "<think>", ""].map { .string($0) }))
        try w.add("t.arr.bool", .array(elementType: .bool, [.bool(true), .bool(false)]))
        try w.add("t.arr.nested", .array(elementType: .array, [
            .array(elementType: .int32, [.int32(1), .int32(2)]), .array(elementType: .int32, [.int32(3)]),
        ]))
        try w.addTensor(name: "a.f32", type: .f32, shape: [2, 3], bytes: floatBytes((0..<6).map(Float.init)))
        try w.addTensor(name: "b.f16", type: .f16, shape: [4], bytes: [Float16(1), -2, 0.5, 65504].flatMap {
            withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init)
        })
        try w.addTensor(name: "c.q8_0", type: .q8_0, shape: [2, 32], bytes: q8Bytes)
        try w.addTensor(name: "d.one", type: .f32, shape: [5], bytes: floatBytes([1.5, -2.5, 3.5, -4.5, 5.5]))
        return w
    }

    private func floatBytes(_ xs: [Float]) -> [UInt8] { xs.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    @Test(arguments: [("values.gguf", nil), ("values-align64.gguf", 64)] as [(String, UInt32?)])
    func matchesGGUFPyByteForByte(name: String, alignment: UInt32?) throws {
        let reference = Self.dir.appendingPathComponent(name).path
        let gguf = try GGUFFile(path: reference)
        let q8 = Array(gguf.data(for: try #require(gguf.tensor(named: "c.q8_0"))))
        let tmp = TempDir()
        let out = tmp.url.appendingPathComponent(name).path
        try referenceWriter(alignment: alignment, q8Bytes: q8).write(to: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: reference)))

        let back = try GGUFFile(path: out)
        #expect(back.alignment == Int(alignment ?? 32))
        #expect(back.metadataKeys == gguf.metadataKeys)
        for key in gguf.metadataKeys { #expect(back[key] == gguf[key], "\(key)") }
        #expect(back["t.u64"] == .uint64(1 << 63 + 5))
        #expect(back.tensors == gguf.tensors)
        let a = try #require(back.tensor(named: "a.f32"))
        #expect(a.shape == [2, 3] && a.ne == [3, 2])
        #expect(Array(back.data(for: a)) == floatBytes((0..<6).map(Float.init)))
    }

    @Test func emptyArraysAndNoTensorsRoundTrip() throws {
        var w = GGUFWriter()
        try w.add("e", .array(elementType: .string, []))
        let tmp = TempDir()
        let path = tmp.url.appendingPathComponent("e.gguf").path
        try w.write(to: path)
        let back = try GGUFFile(path: path)
        #expect(back["e"] == .array(elementType: .string, []) && back.tensors.isEmpty)
    }

    @Test func misuseIsAnErrorNamingTheValue() throws {
        var w = GGUFWriter()
        try w.add("k", .uint8(1))
        expectFormatError(containing: "duplicate metadata key 'k'") { try w.add("k", .uint8(2)) }
        expectFormatError(containing: "general.alignment 48") { try w.add("general.alignment", .uint32(48)) }
        expectFormatError(containing: "int8 element in an array of uint8") {
            try w.add("mixed", .array(elementType: .uint8, [.uint8(1), .int8(2)]))
        }
        try w.addTensor(name: "t", type: .f32, shape: [2], bytes: [1, 2, 3])
        expectFormatError(containing: "duplicate tensor name 't'") { try w.addTensor(name: "t", type: .f32, shape: [1], bytes: [0, 0, 0, 0]) }
        expectFormatError(containing: "row length 16 is not a multiple of Q8_0's block size 32") {
            try w.addTensor(name: "q", type: .q8_0, shape: [16], bytes: [])
        }
        let tmp = TempDir()
        expectFormatError(containing: "tensor 't' has 3 bytes; F32 [2] needs 8") {
            try w.write(to: tmp.url.appendingPathComponent("bad.gguf").path)
        }
    }

    private func expectFormatError(containing text: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error containing \(text)")
        } catch {
            #expect("\(error)".contains(text), "\(error)")
        }
    }
}
