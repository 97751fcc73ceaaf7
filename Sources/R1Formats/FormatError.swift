// The one error type of R1Formats: a single line naming the file and the key, tensor or value at fault.

/// A file that could not be opened, or whose contents are malformed or unsupported.
///
/// `description` reads `path: message`, e.g.
/// `model.gguf: tensor 'blk.3.attn_q.weight' data [offset 1234, 5678 bytes] extends past end of file (4000 bytes)`.
public struct FormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or folder) the problem is in, as the caller spelled it.
    public let path: String
    /// What is wrong, naming the key, tensor or value.
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
