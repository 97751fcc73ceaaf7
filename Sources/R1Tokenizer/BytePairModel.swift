// Byte-level BPE as `tokenizers`' models::bpe: merges applied lowest rank first (leftmost on ties) through a binary
// heap over a linked list of symbols, `ignore_merges` (whole word in vocab wins), results cached per word.
import Foundation

// MARK: - Byte-level alphabet

/// GPT-2's byte <-> printable character map: bytes that are printable Latin-1 map to themselves, the rest to U+0100+.
enum ByteLevel {
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `byteToScalar` over U+0000...U+0143; -1 outside the alphabet.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, s) in byteToScalar.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// Appends the raw bytes of a byte-level token string to `out`; false (and `out` partly written) when a
    /// character is outside the alphabet.
    @_optimize(speed)
    static func appendBytes(of token: String, to out: inout [UInt8]) -> Bool {
        scalarToByte.withUnsafeBufferPointer { table in
            for scalar in token.unicodeScalars {
                let v = Int(scalar.value)
                guard v < table.count, table[v] >= 0 else { return false }
                out.append(UInt8(truncatingIfNeeded: table[v]))
            }
            return true
        }
    }

    /// Raw bytes of a byte-level token string, or nil when a character is outside the alphabet.
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        return appendBytes(of: token, to: &out) ? out : nil
    }

    static func string(of bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(byteToScalar[Int(b)])!) }
        return String(s)
    }
}

// MARK: - Byte-keyed hash table

/// Open-addressing map from byte strings to a UInt64, keys kept in one arena (no per-key allocation).
struct ByteKeyTable {
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var keyStarts: [Int32] = []
    private var keyLengths: [Int32] = []
    private(set) var values: [UInt64] = []
    private var arena: [UInt8] = []
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { values.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    @_optimize(speed)
    func find(_ key: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let h = Self.hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return nil }
            if hashes[e] == h && Int(keyLengths[e]) == key.count && keyEquals(e, key) { return values[e] }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func keyEquals(_ e: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        key.count == 0 || arena.withUnsafeBufferPointer {
            memcmp($0.baseAddress! + Int(keyStarts[e]), key.baseAddress!, key.count) == 0
        }
    }

    @_optimize(speed)
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ value: UInt64) {
        if (values.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            let e = Int(slots[i])
            if hashes[e] == h && Int(keyLengths[e]) == key.count && keyEquals(e, key) {
                values[e] = value
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = Int32(values.count)
        hashes.append(h)
        keyStarts.append(Int32(arena.count))
        keyLengths.append(Int32(key.count))
        arena.append(contentsOf: key)
        values.append(value)
    }

    mutating func removeAll() {
        self = ByteKeyTable(capacity: slots.count / 2)
    }

    @_optimize(speed)
    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (e, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
    }
}

// MARK: - Model

final class BytePairModel: @unchecked Sendable {
    /// Raw-byte token -> id.
    let vocab: ByteKeyTable
    /// (left id << 32 | right id) -> (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    /// Id of the single-byte token for each byte, -1 when the vocabulary lacks it.
    let byteIds: [Int32]
    let ignoreMerges: Bool
    /// Set for raw UTF-8 vocabularies; nil for byte-level ones.
    let raw: RawSymbols?

    private let lock = NSLock()
    private var cache = ByteKeyTable(capacity: 1 << 14)
    private var cacheIds: [Int32] = []
    private static let cacheLimit = 1 << 18

    init(vocab: ByteKeyTable, merges: [UInt64: UInt64], ignoreMerges: Bool, raw: RawSymbols? = nil) {
        self.vocab = vocab
        self.merges = merges
        self.ignoreMerges = ignoreMerges
        self.raw = raw
        var byteIds = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            var byte = UInt8(b)
            if let id = withUnsafeBytes(of: &byte, { vocab.find($0.bindMemory(to: UInt8.self)) }) {
                byteIds[b] = Int32(id)
            }
        }
        self.byteIds = byteIds
    }

    /// Appends the ids of each word (byte ranges of `bytes`) to `out`, consulting and filling the cache.
    func encode(words: [Range<Int>], of bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        lock.lock()
        defer { lock.unlock() }
        if cache.count > Self.cacheLimit {
            cache.removeAll()
            cacheIds.removeAll(keepingCapacity: true)
        }
        var scratch = MergeScratch()
        for range in words {
            let word = UnsafeBufferPointer(rebasing: bytes[range])
            if let packed = cache.find(word) {
                let start = Int(packed >> 32), count = Int(packed & 0xFFFF_FFFF)
                for k in start..<(start + count) { out.append(Int(cacheIds[k])) }
                continue
            }
            let start = cacheIds.count
            if ignoreMerges, let id = vocab.find(word) {
                cacheIds.append(Int32(id))
            } else if let raw {
                if raw.wholeNewlineRuns, word.allSatisfy({ $0 == 0x0A }), let id = vocab.find(word) {
                    cacheIds.append(Int32(id))
                } else {
                    mergeCharacters(word, raw, scratch: &scratch, into: &cacheIds)
                }
            } else {
                merge(word, scratch: &scratch, into: &cacheIds)
            }
            let count = cacheIds.count - start
            cache.insert(word, UInt64(start) << 32 | UInt64(count))
            for k in start..<(start + count) { out.append(Int(cacheIds[k])) }
        }
    }

    /// BPE of one word, without the cache.
    func merge(_ word: UnsafeBufferPointer<UInt8>, scratch: inout MergeScratch, into out: inout [Int32]) {
        let n = word.count
        if n == 1 {
            let id = byteIds[Int(word[0])]
            if id >= 0 { out.append(id) }
            return
        }
        scratch.reset(n)
        for (i, b) in word.enumerated() {
            scratch.ids[i] = byteIds[Int(b)]
            scratch.prev[i] = Int32(i - 1)
            scratch.next[i] = i + 1 < n ? Int32(i + 1) : -1
        }
        applyMerges(n, &scratch)
        var i = 0
        while i >= 0 && i < n {
            if scratch.ids[i] >= 0 { out.append(scratch.ids[i]) }  // bytes missing from the vocabulary are dropped
            i = Int(scratch.next[i])
        }
    }

    /// BPE of one word of a raw UTF-8 vocabulary, as llama.cpp runs it: symbols start as characters, merges apply by
    /// rank whether or not their result is a token, and each final symbol outside the vocabulary becomes its bytes'
    /// `<0xNN>` tokens (a byte without one is dropped, as llama.cpp drops it).
    func mergeCharacters(_ word: UnsafeBufferPointer<UInt8>, _ raw: RawSymbols, scratch: inout MergeScratch,
                         into out: inout [Int32]) {
        let n = word.count
        guard n > 0 else { return }
        scratch.reset(n)
        var count = 0
        var i = 0
        while i < n {
            let length = min(n - i, utf8Length(word[i]))
            let id = raw.table.find(UnsafeBufferPointer(rebasing: word[i..<(i + length)]))
            scratch.ids[count] = id.map { Int32(truncatingIfNeeded: $0) } ?? -1
            scratch.starts[count] = Int32(i)
            scratch.prev[count] = Int32(count - 1)
            scratch.next[count] = Int32(count + 1)
            count += 1
            i += length
        }
        scratch.next[count - 1] = -1
        applyMerges(count, &scratch)
        var k = 0
        while k >= 0 {
            let id = Int(scratch.ids[k])
            let next = Int(scratch.next[k])
            if id >= 0 && id < raw.firstMergeOnlyId {
                out.append(Int32(id))
            } else {
                let end = next >= 0 ? Int(scratch.starts[next]) : n
                for b in word[Int(scratch.starts[k])..<end] where raw.byteTokens[Int(b)] >= 0 {
                    out.append(raw.byteTokens[Int(b)])
                }
            }
            k = next
        }
    }

    /// Merges the `count` linked symbols set up in `scratch` (ids, prev, next) by rank until no pair merges; heap
    /// entries are rank << 32 | position, so ties go to the leftmost pair.
    private func applyMerges(_ count: Int, _ scratch: inout MergeScratch) {
        for i in 0..<(count - 1) {
            if let m = pairMerge(scratch.ids[i], scratch.ids[i + 1]) { scratch.push(m & 0xFFFF_FFFF_0000_0000 | UInt64(i)) }
        }
        while let top = scratch.pop() {
            let pos = Int(top & 0xFFFF_FFFF), rank = top >> 32
            guard scratch.alive[pos], scratch.next[pos] >= 0 else { continue }
            let right = Int(scratch.next[pos])
            guard let m = pairMerge(scratch.ids[pos], scratch.ids[right]), m >> 32 == rank else { continue }
            scratch.ids[pos] = Int32(truncatingIfNeeded: m & 0xFFFF_FFFF)
            scratch.alive[right] = false
            let after = scratch.next[right]
            scratch.next[pos] = after
            if after >= 0 { scratch.prev[Int(after)] = Int32(pos) }
            let before = scratch.prev[pos]
            if before >= 0, let m = pairMerge(scratch.ids[Int(before)], scratch.ids[pos]) {
                scratch.push(m & 0xFFFF_FFFF_0000_0000 | UInt64(before))
            }
            if after >= 0, let m = pairMerge(scratch.ids[pos], scratch.ids[Int(after)]) {
                scratch.push(m & 0xFFFF_FFFF_0000_0000 | UInt64(pos))
            }
        }
    }

    @inline(__always)
    private func utf8Length(_ lead: UInt8) -> Int {
        lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4  // llama.cpp's unicode_len_utf8
    }

    @inline(__always)
    private func pairMerge(_ a: Int32, _ b: Int32) -> UInt64? {
        guard a >= 0, b >= 0 else { return nil }
        return merges[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))]
    }
}

/// What a raw UTF-8 (SentencePiece-style) vocabulary adds to the byte-keyed tables: see `mergeCharacters`.
struct RawSymbols: Sendable {
    /// The vocabulary plus the strings merges name that it lacks, which get ids from `firstMergeOnlyId` on.
    var table: ByteKeyTable
    var firstMergeOnlyId: Int
    /// Id of `<0xNN>` for each byte, -1 when the vocabulary lacks it.
    var byteTokens: [Int32]
    /// Gemma 4 (llama.cpp PR 21343): a word of newlines only is one token when the vocabulary holds it whole.
    var wholeNewlineRuns: Bool
}

/// Reusable buffers for one word's merge loop.
struct MergeScratch {
    var ids: [Int32] = []
    var starts: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var alive: [Bool] = []
    var heap: [UInt64] = []

    mutating func reset(_ n: Int) {
        if ids.count < n {
            ids = [Int32](repeating: 0, count: n)
            starts = ids
            prev = ids
            next = ids
            alive = [Bool](repeating: true, count: n)
        } else {
            for i in 0..<n { alive[i] = true }
        }
        heap.removeAll(keepingCapacity: true)
    }

    mutating func push(_ value: UInt64) {
        heap.append(value)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent] <= heap[i] { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < n && heap[l] < heap[smallest] { smallest = l }
                if r < n && heap[r] < heap[smallest] { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
