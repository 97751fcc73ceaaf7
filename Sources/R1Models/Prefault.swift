// Reading a memory-mapped model into the page cache ahead of the first token, with progress, so a large model's
// load shows a progress bar instead of a long silent first answer.
import R1Kernels

extension LoadedModel {
    /// Bytes of the weight matrices the decoder reads.
    public var weightBytes: Int { matrices.reduce(0) { $0 + $1.rows * $1.rowBytes } }

    /// Touches one byte per page of every weight matrix, in forward order, calling `progress` with the fraction done
    /// (at most about 100 times). Returns a checksum so the reads are not optimised away.
    @discardableResult
    public func prefault(progress: (Double) -> Void) -> UInt8 {
        let total = max(1, weightBytes)
        var done = 0, lastReported = -1, sum: UInt8 = 0
        let page = 4096
        for m in matrices {
            let bytes = m.rows * m.rowBytes
            var offset = 0
            while offset < bytes {
                sum &+= m.data.load(fromByteOffset: offset, as: UInt8.self)
                offset += page
                if (done + offset) * 100 / total != lastReported {
                    lastReported = (done + offset) * 100 / total
                    progress(min(1, Double(done + offset) / Double(total)))
                }
            }
            done += bytes
        }
        progress(1)
        return sum
    }

    private var matrices: [WeightMatrix] {
        if let ds = model as? DeepSeekModel { return ds.matrices }
        guard let w = decoder?.weights else { return [] }
        var out = [w.embedding]
        for l in w.layers { out += [l.q, l.k, l.v, l.o, l.gate, l.up, l.down] }
        if w.output.data != w.embedding.data { out.append(w.output) }
        return out
    }
}
