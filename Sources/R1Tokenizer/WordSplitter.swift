// The normaliser and pre-tokenizer of a named byte-level BPE family (GGUF `tokenizer.ggml.pre` names), public for
// tools that need a tokenizer's words without its vocabulary: the BPE trainer counts them.
import Foundation

public struct WordSplitter: Sendable {
    private let preTokenizer: PreTokenizer
    private let normalizers: [Normalization]
    /// The GGUF pre-tokenizer name this splitter was made from (`qwen2`, `llama3`, `deepseek-v3`, `gpt2`).
    public let name: String

    public init(preTokenizer name: String) throws {
        let meaning = try ggufPreTokenizer(named: name)
        guard meaning.raw == nil else {
            throw TokenizerError.unsupported("pre-tokenizer '\(name)' for byte-level BPE (it names a raw UTF-8 BPE family)")
        }
        (preTokenizer, normalizers) = (meaning.preTokenizer, meaning.normalizers)
        self.name = name
    }

    /// The Split regexes in order, as tokenizer.json spells them.
    public var splitPatterns: [String] { preTokenizer.splitPatterns }
    /// True when the family normalises with NFC first (Qwen2 / R1-Distill-Qwen).
    public var usesNFC: Bool { normalizers.contains(.nfc) }
    /// True when ByteLevel runs GPT-2's own regex (no Split step).
    public var byteLevelUsesRegex: Bool {
        preTokenizer.steps.contains { if case .byteLevel(_, true) = $0 { true } else { false } }
    }

    /// The raw UTF-8 bytes of each word of `text` after normalisation and pre-tokenization.
    public func words(in text: String) -> [ArraySlice<UInt8>] {
        var bytes = Array(text.utf8)
        for normalizer in normalizers { bytes = normalizer.apply(bytes) }
        var scalars = ScalarText(utf8: bytes)
        let pieces = preTokenizer.pieces(of: &scalars)
        let utf8 = scalars.utf8
        return pieces.map { utf8[scalars.byteRange($0)] }
    }

    /// The byte-level token string of raw bytes (`" the"` -> `"Ġthe"`), as tokenizer.json stores vocabulary keys.
    public static func byteLevelString(_ bytes: some Sequence<UInt8>) -> String { ByteLevel.string(of: bytes) }
}
