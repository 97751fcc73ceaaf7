// What both checkpoint formats offer a model loader: named, typed, shaped views into mapped bytes.
import R1Kernels

/// A tensor's bytes in place (inside a memory map owned by the store that returned it).
public struct TensorView: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    /// Row-major, outermost first, like numpy and PyTorch (a GGUF `ne` reversed).
    public let shape: [Int]
    /// Valid while the store that produced the view is alive.
    public let data: UnsafeRawBufferPointer

    public init(name: String, type: GGMLType, shape: [Int], data: UnsafeRawBufferPointer) {
        self.name = name
        self.type = type
        self.shape = shape
        self.data = data
    }

    /// Product of `shape` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A set of named tensors: a GGUF file or a safetensors checkpoint.
public protocol TensorStore: Sendable {
    /// Names in file order.
    var tensorNames: [String] { get }
    /// The tensor, or nil when absent or (safetensors) of a dtype the engine cannot use.
    func tensor(_ name: String) -> TensorView?
    /// The tensor, or a `FormatError` saying why not (missing, or its unsupported dtype).
    func requireTensor(_ name: String) throws -> TensorView
}
