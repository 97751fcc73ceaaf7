// A persistent worker pool for the ~200 short parallel calls a decoded token makes: workers spin briefly on a
// generation counter, then park on a condition variable. (DispatchQueue.concurrentPerform ran most sub-millisecond
// calls on one thread when measured here.)
import Foundation
import Synchronization

public final class ThreadPool: @unchecked Sendable {
    /// Threads taking part in a `parallelFor`, the caller included.
    public let threadCount: Int
    private let state: PoolState

    /// The default size: the machine's active cores.
    public static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    public init(threads: Int = ThreadPool.defaultThreadCount, spinIterations: Int = 100_000) {
        threadCount = max(1, threads)
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
private final class PoolState: @unchecked Sendable {
    let workers: Int
    let spinIterations: Int
    let generation = Atomic<Int>(0)
    let nextIndex = Atomic<Int>(0)
    let checkedIn = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    var jobCount = 0
    var job: ((Int) -> Void)? = nil
    let parkLock = NSCondition()
    var parked = 0

    init(workers: Int, spinIterations: Int) {
        self.workers = workers
        self.spinIterations = spinIterations
    }

    func run(_ count: Int, _ body: @escaping (Int) -> Void) {
        job = body
        jobCount = count
        nextIndex.store(0, ordering: .sequentiallyConsistent)
        checkedIn.store(0, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        parkLock.lock()
        if parked > 0 { parkLock.broadcast() }
        parkLock.unlock()
        runItems(body, count)
        // Every worker checks in for every job, so none still holds this closure after we return.
        while checkedIn.load(ordering: .sequentiallyConsistent) < workers {}
        job = nil
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        parkLock.lock(); parkLock.broadcast(); parkLock.unlock()
    }

    @inline(__always) func runItems(_ body: (Int) -> Void, _ count: Int) {
        while true {
            let i = nextIndex.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
            if i >= count { break }
            body(i)
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
            if let body = job { runItems(body, jobCount) }
            checkedIn.add(1, ordering: .sequentiallyConsistent)
        }
    }
}
