// Byte sets and the split of a code-point range into UTF-8 byte-range sequences, the construction of Rust
// regex-syntax's `Utf8Sequences` (surrogates excluded), so grammars over code points run over bytes.

/// A set of bytes, 256 bits.
struct ByteSet: Hashable, Sendable {
    var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}
    init(_ range: ClosedRange<UInt8>) { for b in range { insert(b) } }

    @inline(__always) func contains(_ b: UInt8) -> Bool {
        let mask = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return bits.0 & mask != 0
        case 1: return bits.1 & mask != 0
        case 2: return bits.2 & mask != 0
        default: return bits.3 & mask != 0
        }
    }

    mutating func insert(_ b: UInt8) {
        let mask = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: bits.0 |= mask
        case 1: bits.1 |= mask
        case 2: bits.2 |= mask
        default: bits.3 |= mask
        }
    }

    mutating func formUnion(_ o: ByteSet) {
        bits = (bits.0 | o.bits.0, bits.1 | o.bits.1, bits.2 | o.bits.2, bits.3 | o.bits.3)
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.bits.0 == b.bits.0 && a.bits.1 == b.bits.1 && a.bits.2 == b.bits.2 && a.bits.3 == b.bits.3
    }
    func hash(into h: inout Hasher) { h.combine(bits.0); h.combine(bits.1); h.combine(bits.2); h.combine(bits.3) }
}

enum UTF8Ranges {
    static let maxScalar: UInt32 = 0x10FFFF

    /// Sorted, merged ranges; surrogates removed.
    static func normalize(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let r = r.lowerBound...min(r.upperBound, maxScalar)
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        var noSurrogates: [ClosedRange<UInt32>] = []
        for r in out {
            if r.upperBound < 0xD800 || r.lowerBound > 0xDFFF { noSurrogates.append(r); continue }
            if r.lowerBound < 0xD800 { noSurrogates.append(r.lowerBound...0xD7FF) }
            if r.upperBound > 0xDFFF { noSurrogates.append(0xE000...r.upperBound) }
        }
        return noSurrogates
    }

    /// The complement within all scalars (surrogates excluded).
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in normalize(ranges) {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound + 1
        }
        if next <= maxScalar { out.append(next...maxScalar) }
        return normalize(out)
    }

    /// Byte-range sequences matching exactly the UTF-8 encodings of the scalars in `ranges`.
    static func sequences(_ ranges: [ClosedRange<UInt32>]) -> [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        var work = normalize(ranges).reversed().map { $0 }
        while let r = work.popLast() {
            // split at encoding-length boundaries
            var split = false
            for boundary: UInt32 in [0x7F, 0x7FF, 0xFFFF] where r.lowerBound <= boundary && r.upperBound > boundary {
                work.append((boundary + 1)...r.upperBound)
                work.append(r.lowerBound...boundary)
                split = true
                break
            }
            if split { continue }
            if r.upperBound <= 0x7F {
                out.append([UInt8(r.lowerBound)...UInt8(r.upperBound)])
                continue
            }
            // split so every continuation byte spans its full range or a single prefix
            for i in 1..<4 {
                let m: UInt32 = (1 << (6 * UInt32(i))) - 1
                if r.lowerBound & ~m != r.upperBound & ~m {
                    if r.lowerBound & m != 0 {
                        work.append(((r.lowerBound | m) + 1)...r.upperBound)
                        work.append(r.lowerBound...(r.lowerBound | m))
                        split = true
                        break
                    }
                    if r.upperBound & m != m {
                        work.append((r.upperBound & ~m)...r.upperBound)
                        work.append(r.lowerBound...((r.upperBound & ~m) - 1))
                        split = true
                        break
                    }
                }
            }
            if split { continue }
            let lo = encode(r.lowerBound), hi = encode(r.upperBound)
            out.append(zip(lo, hi).map { $0...$1 })
        }
        return out
    }

    static func encode(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0..<0x80: return [UInt8(scalar)]
        case 0x80..<0x800: return [UInt8(0xC0 | (scalar >> 6)), UInt8(0x80 | (scalar & 0x3F))]
        case 0x800..<0x10000:
            return [UInt8(0xE0 | (scalar >> 12)), UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F))]
        default:
            return [UInt8(0xF0 | (scalar >> 18)), UInt8(0x80 | ((scalar >> 12) & 0x3F)),
                    UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F))]
        }
    }
}
