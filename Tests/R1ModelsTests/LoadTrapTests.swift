// What used to trap in the middle of a forward pass is refused at load, naming the tensor, type or value: norm
// vectors of a type without a dequantizer (Q2_K, Q3_K), and fused projections needing three activation types.
import Foundation
import Testing
import R1Formats
import R1Kernels
@testable import R1Models

/// One tensor of `type` with zeroed data, as a store the loader reads from.
final class OneTensorStore: TensorStore, @unchecked Sendable {
    let view: TensorView
    let bytes: UnsafeMutableRawBufferPointer

    init(name: String, type: GGMLType, shape: [Int]) {
        let count = type.byteCount(elements: shape.reduce(1, *))!
        bytes = .allocate(byteCount: count, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        view = TensorView(name: name, type: type, shape: shape, data: UnsafeRawBufferPointer(bytes))
    }
    deinit { bytes.deallocate() }

    var tensorNames: [String] { [view.name] }
    func tensor(_ name: String) -> TensorView? { name == view.name ? view : nil }
    func requireTensor(_ name: String) throws -> TensorView {
        guard let t = tensor(name) else { throw ModelError("no tensor \(name)") }
        return t
    }
}

@Test(arguments: [GGMLType.q2_K, .q3_K])
func normVectorOfUnsupportedTypeIsALoadError(_ type: GGMLType) throws {
    let store = OneTensorStore(name: "output_norm.weight", type: type, shape: [256])
    let builder = WeightBuilder(store: store, path: "hostile.gguf", names: .llamaFamily, gguf: true)
    #expect {
        _ = try builder.vector(.outputNorm, nil, 256)
    } throws: { error in
        "\(error)".contains("output_norm.weight") && "\(error)".contains("\(type)")
    }
}

@Test func fusedProjectionWithThreeActivationTypesIsALoadError() throws {
    let data = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 64)
    defer { data.deallocate() }
    func m(_ type: GGMLType) -> WeightMatrix { WeightMatrix(type: type, rows: 1, cols: 256, data: data) }
    let dense = DecoderLayerWeights(attnNorm: [], q: m(.q4_0), k: m(.q4_0), v: m(.q4_0), o: m(.q4_0),
                                    qBias: nil, kBias: nil, vBias: nil, qNorm: nil, kNorm: nil, ffnNorm: [],
                                    gate: m(.q4_K), up: m(.q6_K), down: m(.q6_K))
    try ModelLoader.checkActivationTypes([dense], path: "ok.gguf")   // q8_K twice: one type
    var mixed = dense
    mixed.k = m(.q4_1)   // q8_1 activations
    mixed.v = m(.q4_K)   // q8_K activations, beside q's q8_0
    #expect {
        try ModelLoader.checkActivationTypes([dense, mixed], path: "mixed.gguf")
    } throws: { error in
        let e = "\(error)"
        return e.contains("mixed.gguf") && e.contains("layer 1") && e.contains("\(GGMLType.q4_1)") && e.contains("\(GGMLType.q4_K)")
    }
}
