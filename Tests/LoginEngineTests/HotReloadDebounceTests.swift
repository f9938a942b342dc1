import Testing

@testable import LoginEngine

/// When the hot reloader acts on a change, poll by poll (no clock involved).
@Suite struct HotReloadDebounceTests {
    typealias F = HotReloader.Fingerprint

    /// Which of `polls` the debouncer acts on (1-based).
    func actedOn(_ polls: [F], from start: F) -> (polls: [Int], applied: F) {
        var d = HotReloader.Debouncer(applied: start)
        var acted: [Int] = []
        for (i, f) in polls.enumerated() where d.observe(f) { acted.append(i + 1) }
        return (acted, d.applied)
    }

    @Test func aSettledEditIsActedOnAtTheNextPoll() {
        let r = actedOn([F(directory: "a"), F(directory: "b"), F(directory: "b"), F(directory: "b")], from: F(directory: "a"))
        #expect(r.polls == [3], "first sight of a change waits one poll for it to settle")
        #expect(r.applied == F(directory: "b"))
    }

    @Test func aStreamOfEditsStillLandsWithinMaxPolls() {
        // The directory differs at every poll, as under continuous edits.
        let n = HotReloader.Debouncer.maxPolls
        let r = actedOn((1...(n * 4)).map { F(directory: "v\($0)") }, from: F(directory: "v0"))
        #expect(r.polls == [n, 2 * n, 3 * n, 4 * n])
        #expect(r.applied == F(directory: "v\(4 * n)"))
    }

    @Test func storeChangesAreWholeAndActedOnAtOnce() {
        let r = actedOn([F(directory: "a", store: 2), F(directory: "a", store: 2)], from: F(directory: "a", store: 1))
        #expect(r.polls == [1])
    }
}
