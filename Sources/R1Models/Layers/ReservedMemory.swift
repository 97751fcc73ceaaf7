// A sequence's cache memory: the whole context reserved as address space, resident only where written, and given back
// as soon as a sequence shrinks or ends. Anonymous mmap maps a page on first touch, madvise(MADV_DONTNEED) drops pages
// past a truncation, munmap returns everything at deinit. malloc could not promise the last two: glibc serves blocks
// under its (self-raising, up to 32 MiB) mmap threshold from arenas that keep freed pages resident, so a server's RSS
// would drift above its KV budget as sequences come and go. The MMU's page table is the block table here (as in
// vAttention); the server's budget counts 16-position blocks on top of it (BatchScheduler).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class ReservedMemory {
    /// `parts` regions of `partBytes` each, every one starting on a page boundary.
    let base: UnsafeMutableRawPointer
    let parts: Int
    /// Bytes reserved: every part rounded up to whole pages, at least one page.
    private let byteCount: Int
    private let stride: Int
    private let mapped: Bool

    static let pageSize: Int = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    init(parts: Int, partBytes: Int) {
        precondition(parts >= 0 && partBytes >= 0, "ReservedMemory: \(parts) x \(partBytes)")
        let page = ReservedMemory.pageSize
        self.parts = parts
        stride = max(page, (partBytes + page - 1) / page * page)
        byteCount = max(page, stride * parts)
        let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if let p, p != MAP_FAILED {
            base = p
            mapped = true
        } else {  // no address space left for a reservation: plain memory, resident as it is written
            base = .allocate(byteCount: byteCount, alignment: page)
            mapped = false
        }
    }

    deinit {
        if mapped { munmap(base, byteCount) } else { base.deallocate() }
    }

    /// The start of part `i`.
    @inline(__always) func part(_ i: Int) -> UnsafeMutableRawPointer { base + i * stride }

    /// Gives back every whole page of each part from byte `offset` on (their contents read as zero afterwards).
    func release(from offset: Int) {
        guard mapped else { return }
        let page = ReservedMemory.pageSize
        let start = (max(0, offset) + page - 1) / page * page
        guard start < stride else { return }
        for i in 0..<parts { _ = madvise(part(i) + start, stride - start, MADV_DONTNEED) }
    }

    /// Bytes of all parts that are resident now (mincore), for tests and metrics.
    func residentBytes() -> Int {
        guard mapped else { return stride * parts }
        let page = ReservedMemory.pageSize
        let pages = byteCount / page
        var vec = [UInt8](repeating: 0, count: pages)
        #if canImport(Darwin)
        let rc = vec.withUnsafeMutableBufferPointer { mincore(base, byteCount, UnsafeMutablePointer<CChar>(OpaquePointer($0.baseAddress!))) }
        #else
        let rc = vec.withUnsafeMutableBufferPointer { mincore(base, byteCount, $0.baseAddress!) }
        #endif
        guard rc == 0 else { return -1 }
        return vec.reduce(0) { $0 + Int($1 & 1) } * page
    }
}
