// FP8 e4m3 block-scaled weights as the DeepSeek-V3 / R1 release ships them (dsv3-tiny-fp8, make_deepseek_fp8.py;
// greedyParity runs its reference, torch's dequantization through transformers): the bytes stay FP8 in the map,
// e4m3 decodes as torch's float8_e4m3fn, and a config that does not fit the tensors is a one-line error.
import Foundation
import Testing
import R1Formats
import R1Kernels
import R1Models

@Test func e4m3DecodesAsFloat8E4M3FN() {
    // torch.tensor([...], dtype=torch.uint8).view(torch.float8_e4m3fn).float()
    let cases: [(UInt8, Float)] = [(0x00, 0), (0x80, -0), (0x38, 1), (0xB8, -1), (0x7E, 448), (0xFE, -448),
                                   (0x08, 0x1p-6), (0x01, 0x1p-9), (0x07, 7 * 0x1p-9), (0x3C, 1.5), (0x40, 2), (0x77, 240)]
    for (b, v) in cases { #expect(BlockFP8Matrix.decode(b) == v, "0x\(String(b, radix: 16)): \(BlockFP8Matrix.decode(b)) vs \(v)") }
    #expect(BlockFP8Matrix.decode(0x7F).isNaN && BlockFP8Matrix.decode(0xFF).isNaN)
}

@Test func fp8WeightsStayOneBytePerWeightInTheMap() throws {
    let folder = fixturesRoot.appendingPathComponent("dsv3-tiny-fp8").path
    let loaded = try ModelLoader.load(path: folder)
    let m = try #require(loaded.model as? DeepSeekModel)
    let ck = try SafetensorsCheckpoint(folder: folder)
    let name = "model.layers.1.self_attn.q_b_proj.weight"
    let info = try #require(ck.file(for: name)?.info(name))
    #expect(info.dtype == "F8_E4M3")
    guard case .fp8(let q) = m.weights.layers[1].attention.q else { Issue.record("q_b_proj is not FP8"); return }
    // the file's own bytes (this second map of it holds the same), one per weight
    let bytes0 = ck.file(for: name)!.data(for: info)
    #expect(q.rows == 96 && q.cols == 32 && bytes0.count == 96 * 32 && memcmp(q.data, bytes0.baseAddress!, bytes0.count) == 0)
    #expect(m.weights.layers[1].attention.q.byteCount == 96 * 32 + 4 * q.scales.count)
    // every linear layer of attention and MLP is FP8; embeddings and norms stay bf16
    guard case .experts(let moe) = m.weights.layers[1].mlp, case .fp8 = moe.experts[5].down, case .fp8 = m.weights.layers[0].attention.o else {
        Issue.record("experts or o_proj not FP8"); return
    }
    #expect(m.weights.embedding.type == .bf16)
    // a row converts with its tiles' scales: compare with the bytes decoded by hand
    var row = [Float](repeating: 0, count: q.cols)
    row.withUnsafeMutableBufferPointer { q.dequantizeRow(17, into: $0.baseAddress!) }
    let bytes = q.data.assumingMemoryBound(to: UInt8.self) + 17 * q.cols
    let sc = (q.cols + q.blockCols - 1) / q.blockCols
    for j in 0..<q.cols { #expect(row[j] == BlockFP8Matrix.decode(bytes[j]) * q.scales[17 / q.blockRows * sc + j / q.blockCols]) }
}

private func fp8Error(_ edit: (inout JSONObject) -> Void) -> String {
    do {
        let folder = fixturesRoot.appendingPathComponent("dsv3-tiny-fp8").path
        var values = try HFConfig(folder: folder).values
        edit(&values)
        _ = try ModelLoader.load(config: HFConfig(values: values), store: try SafetensorsCheckpoint(folder: folder), path: folder)
        return "loaded"
    } catch {
        return "\(error)"
    }
}

@Test func fp8ConfigThatDoesNotFitIsAOneLineError() {
    #expect(fp8Error { _ in } == "loaded")
    let none = fp8Error { $0["quantization_config"] = nil }
    #expect(none.contains("is F8_E4M3 but config.json has no quantization_config"), "\(none)")
    let block = fp8Error {
        if case .object(var q)? = $0["quantization_config"] { q["weight_block_size"] = .array([.int(4), .int(4)]); $0["quantization_config"] = .object(q) }
    }
    #expect(block.contains("weight_scale_inv") && block.contains("in 4 × 4 blocks"), "\(block)")
    let method = fp8Error {
        if case .object(var q)? = $0["quantization_config"] { q["quant_method"] = .string("bitsandbytes"); $0["quantization_config"] = .object(q) }
    }
    #expect(method.contains("quant_method \"bitsandbytes\" is not supported"), "\(method)")
    for e in [none, block, method] { #expect(!e.contains("\n"), "\(e)") }
}
