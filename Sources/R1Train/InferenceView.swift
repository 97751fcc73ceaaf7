// The trainer's parameters as an R1Models inference model without a disk round-trip: a TensorStore whose f32 views
// point into the live flat buffer, opened by ModelLoader.load(config:store:) like a checkpoint folder. GRPO samples
// its rollouts from it.
import Foundation
import R1Formats
import R1Models

/// The flat buffer's tensors under their checkpoint names. Views read the buffer in place: the model built from it
/// sees later parameter updates in its matrices but not in its norms (copied at load), so build a new one after
/// each update.
final class ParameterStore: TensorStore, @unchecked Sendable {
    let layout: ParameterLayout
    let parameters: FlatBuffer

    init(layout: ParameterLayout, parameters: FlatBuffer) {
        precondition(parameters.count == layout.count, "ParameterStore: \(parameters.count) values for \(layout.count)")
        self.layout = layout
        self.parameters = parameters
    }

    var tensorNames: [String] { layout.tensors.map(\.name) }

    func tensor(_ name: String) -> TensorView? {
        guard let t = layout.tensor(name) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: parameters.pointer + t.offset, count: 4 * t.count)
        return TensorView(name: name, type: .f32, shape: t.shape, data: bytes)
    }

    func requireTensor(_ name: String) throws -> TensorView {
        guard let t = tensor(name) else { throw TrainError("no tensor '\(name)' in the training parameters") }
        return t
    }
}

extension ParameterLayout {
    /// An inference model over `parameters` (valid until they next change); `contextLength` sizes its caches.
    public func inferenceModel(_ parameters: FlatBuffer, contextLength: Int? = nil) throws -> LoadedModel {
        let json = try JSONSerialization.data(withJSONObject: shape.configJSON())
        let config = try HFConfig(json: json, source: "training parameters")
        do {
            return try ModelLoader.load(config: config, store: ParameterStore(layout: self, parameters: parameters),
                                        path: "training parameters", contextLength: contextLength)
        } catch let e as ModelError {
            throw TrainError(e.description)
        }
    }
}
