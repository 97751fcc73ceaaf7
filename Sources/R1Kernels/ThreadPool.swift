// A persistent worker pool for the ~200 short parallel calls a decoded token makes: workers spin briefly on a
// generation counter, then park on a condition variable. (DispatchQueue.concurrentPerform ran most sub-millisecond
// calls on one thread when measured here.) The pool also carries the KernelPolicy its work runs with.
import Foundation
import Synchronization

public final class ThreadPool: @unchecked Sendable {
    /// Threads taking part in a `parallelFor`, the caller included.
    public let threadCount: Int
    /// The kernels work run on this pool uses (MatMul, attention, sgemm): chosen by whoever makes the pool.
    public let kernels: KernelPolicy
    private let state: PoolState

    /// The default size: the machine's active cores.
    public static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    public init(threads: Int = ThreadPool.defaultThreadCount, kernels: KernelPolicy = .best, spinIterations: Int = 100_000) {
        threadCount = max(1, threads)
        self.kernels = kernels
        state = PoolState(workers: threadCount - 1, spinIterations: spinIterations)
        for w in 1..<threadCount {
            let s = state
            let t = Thread { s.workerLoop() }
            t.name = "r1-worker-\(w)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit { state.stop() }

    /// Runs `body(i)` for every i in 0..<count across the pool and returns when all are done.
    /// Indices are handed out dynamically, so uneven items balance themselves. Not reentrant.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { state.run(count, $0) }
    }

    /// Splits 0..<total into chunks of at least `grain` (up to four per thread) and runs `body(range)` on each.
    public func parallelRanges(_ total: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        let chunks = min(max(1, total / max(1, grain)), threadCount * 4)
        let size = (total + chunks - 1) / chunks
        let n = (total + size - 1) / size
        parallelFor(n) { c in
            let lo = c * size
            body(lo..<min(total, lo + size))
        }
    }
}

/// The state workers share; they hold it strongly, so the pool object can go away while they park.
/// Items are claimed with one compare-and-swap on `claim` = (job tag, count, next index), so a worker that wakes late
/// finds the job exhausted (or tagged differently) and never touches it: the caller waits only for items to finish,
/// not for every worker to check in, which matters when the machine is busy and a worker is descheduled.
private final class PoolState: @unchecked Sendable {
    let workers: Int
    let spinIterations: Int
    let generation = Atomic<Int>(0)
    let claim = Atomic<UInt64>(0)        // tag (16 bits) << 48 | count (24 bits) << 24 | next index (24 bits)
    let done = Atomic<Int>(0)            // items of the current job finished
    let stopping = Atomic<Bool>(false)
    var tag: UInt64 = 0
    var job: ((Int) -> Void)? = nil      // set before `claim` is published, stable until every item is done
    let parkLock = NSCondition()
    var parked = 0
    static let mask: UInt64 = (1 << 24) - 1

    init(workers: Int, spinIterations: Int) {
        self.workers = workers
        self.spinIterations = spinIterations
    }

    func run(_ count: Int, _ body: @escaping (Int) -> Void) {
        precondition(count <= Int(Self.mask), "ThreadPool: at most 2^24 - 1 items per call")
        tag = (tag &+ 1) & 0xFFFF
        job = body
        done.store(0, ordering: .sequentiallyConsistent)
        claim.store(tag << 48 | UInt64(count) << 24, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        parkLock.lock()
        if parked > 0 { parkLock.broadcast() }
        parkLock.unlock()
        runItems()
        while done.load(ordering: .sequentiallyConsistent) < count {}
        job = nil
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        parkLock.lock(); parkLock.broadcast(); parkLock.unlock()
    }

    /// Claims and runs items of the current job until none is left.
    @inline(__always) func runItems() {
        var c = claim.load(ordering: .sequentiallyConsistent)
        while true {
            let index = c & Self.mask, count = (c >> 24) & Self.mask
            if index >= count { return }
            let (exchanged, original) = claim.compareExchange(expected: c, desired: c + 1, ordering: .sequentiallyConsistent)
            if exchanged {
                job!(Int(index))  // the job cannot change while this claimed item is unfinished
                done.add(1, ordering: .sequentiallyConsistent)
                c = claim.load(ordering: .sequentiallyConsistent)
            } else {
                c = original
            }
        }
    }

    func workerLoop() {
        // Generation 0 is the state at construction: a job posted before this thread first runs is still seen.
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .sequentiallyConsistent)
            while current == seen && spins < spinIterations {
                spins += 1
                current = generation.load(ordering: .sequentiallyConsistent)
            }
            if current == seen {
                parkLock.lock()
                parked += 1
                while generation.load(ordering: .sequentiallyConsistent) == seen { parkLock.wait() }
                parked -= 1
                parkLock.unlock()
                current = generation.load(ordering: .sequentiallyConsistent)
            }
            seen = current
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            runItems()
        }
    }
}
