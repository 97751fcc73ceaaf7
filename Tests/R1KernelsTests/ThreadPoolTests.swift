// The pool runs every index exactly once, right after construction (workers not yet started) and many times over.
import Synchronization
import Testing
@testable import R1Kernels

@Test func threadPoolRunsEveryIndexOnce() {
    for threads in [1, 2, 3, 4] {
        for _ in 0..<20 {
            let pool = ThreadPool(threads: threads, spinIterations: 100)
            let hits = Mutex([Int](repeating: 0, count: 97))
            pool.parallelFor(97) { i in hits.withLock { $0[i] += 1 } }
            #expect(hits.withLock { $0.allSatisfy { $0 == 1 } })
        }
    }
    let pool = ThreadPool(threads: 3, spinIterations: 10)
    let total = Atomic<Int>(0)
    for n in 0..<2000 { pool.parallelFor(n % 7) { _ in total.add(1, ordering: .relaxed) } }
    #expect(total.load(ordering: .relaxed) == (0..<2000).reduce(0) { $0 + $1 % 7 })
}

@Test func parallelRangesCoverExactly() {
    let pool = ThreadPool(threads: 2)
    for total in [0, 1, 5, 64, 1000] {
        let hits = Mutex([Int](repeating: 0, count: total))
        pool.parallelRanges(total, grain: 16) { r in hits.withLock { for i in r { $0[i] += 1 } } }
        #expect(hits.withLock { $0.allSatisfy { $0 == 1 } })
    }
}

/// More threads than cores, parking after a few spins: late workers must never run an item of a finished job, and
/// every item of every job runs exactly once.
@Test func threadPoolLateWorkersSkipFinishedJobs() {
    let pool = ThreadPool(threads: 5, spinIterations: 1)
    for n in 1..<3000 {
        let count = n % 11 + 1
        let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: count)
        for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
        pool.parallelFor(count) { i in hits[i].add(1, ordering: .relaxed) }
        for i in 0..<count { #expect(hits[i].load(ordering: .relaxed) == 1) }
        hits.deinitialize(count: count)
        hits.deallocate()
    }
}
