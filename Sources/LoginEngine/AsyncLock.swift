/// A FIFO lock for async code (tenant writes must not interleave).
package actor AsyncLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    package init() {}

    package func acquire() async {
        if !locked { locked = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    package func release() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }
}
