// Slots and a bounded FIFO queue in front of a backend: admission is decided at once (full -> 429), the wait for
// a slot is asynchronous and cancellable (a client that leaves the queue frees its place).
import Synchronization

public final class AdmissionGate: Sendable {
    public let slots: Int
    public let queueCapacity: Int

    private struct State {
        var running = 0
        var admittedWaiting = 0
        var nextId = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let state = Mutex(State())

    public init(slots: Int, queueCapacity: Int) {
        self.slots = max(1, slots)
        self.queueCapacity = max(0, queueCapacity)
    }

    public var load: BackendLoad {
        state.withLock { BackendLoad(running: $0.running, waiting: $0.admittedWaiting, slots: slots, queueCapacity: queueCapacity) }
    }

    /// A place in line, or nil when every slot is busy and the queue is full.
    public func admit() -> Int? {
        state.withLock { s in
            guard s.running + s.admittedWaiting < slots + queueCapacity else { return nil }
            s.admittedWaiting += 1
            s.nextId += 1
            return s.nextId
        }
    }

    /// Waits for a slot for an admitted ticket; on cancellation the ticket leaves the queue and this throws.
    public func acquire(_ ticket: Int) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { s in
                    // cancelled before the handler could see a waiter: leave the queue now
                    if Task.isCancelled {
                        s.admittedWaiting -= 1
                        return .failure(CancellationError())
                    }
                    if s.running < slots && s.waiters.isEmpty {
                        s.admittedWaiting -= 1
                        s.running += 1
                        return .success(())
                    }
                    s.waiters.append((ticket, c))
                    return nil
                }
                if let r = resumeNow { c.resume(with: r) }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, any Error>? = state.withLock { s in
                if let i = s.waiters.firstIndex(where: { $0.id == ticket }) {
                    s.admittedWaiting -= 1
                    return s.waiters.remove(at: i).continuation
                }
                return nil
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Gives back a ticket that never waited (the request failed before its stream was consumed).
    public func abandon(_ ticket: Int) {
        state.withLock { $0.admittedWaiting -= 1 }
    }

    /// Frees a slot and hands it to the next waiter.
    public func release() {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { s in
            s.running -= 1
            guard !s.waiters.isEmpty else { return nil }
            s.admittedWaiting -= 1
            s.running += 1
            return s.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
