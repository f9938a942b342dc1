import Foundation

/// A small, deterministic mutation fuzzer: it starts from each target's seeds, mutates
/// (bit flips, byte changes, insertions from the target's dictionary, deletions, duplication,
/// splices) and keeps accepted mutants as new parents, so inputs drift deeper into what the
/// parser accepts. No coverage feedback: `make fuzz` runs the same targets under libFuzzer.
public struct MutationFuzzer {
    public struct Report: Sendable {
        public var target: FuzzTarget
        public var runs = 0
        public var accepted = 0
        public var refused = 0
        public var corpus = 0
        public var failures: [FuzzFailure] = []
    }

    var random: SplitMix64
    let target: FuzzTarget
    var pool: [[UInt8]]
    let dictionary: [[UInt8]]
    let maxLength: Int

    public init(target: FuzzTarget, seed: UInt64, extraSeeds: [[UInt8]] = [], maxLength: Int = 4096) {
        self.target = target
        random = SplitMix64(seed: seed &+ UInt64(FuzzTarget.allCases.firstIndex(of: target) ?? 0) &* 0x1000_0001)
        pool = FuzzSeeds.seeds(target) + extraSeeds
        dictionary = FuzzSeeds.dictionary(target).map { Array($0.utf8) }
        self.maxLength = maxLength
    }

    /// Runs the seeds, then `runs` mutants (or until `deadline`).
    public mutating func run(runs: Int, deadline: Date = .distantFuture, stopAtFirstFailure: Bool = true) -> Report {
        var report = Report(target: target)
        func one(_ input: [UInt8]) -> Bool {
            report.runs += 1
            do {
                switch try target.run(input) {
                case .accepted:
                    report.accepted += 1
                    return true
                case .refused:
                    report.refused += 1
                    return false
                }
            } catch {
                report.failures.append(error)
                return false
            }
        }
        for s in pool { _ = one(s) }
        let total = runs >= Int.max - pool.count ? Int.max : runs + pool.count
        while report.runs < total, Date() < deadline {
            if stopAtFirstFailure && !report.failures.isEmpty { break }
            let child = mutate(pool[Int(random.next() % UInt64(pool.count))])
            if one(child), pool.count < 2000, child.count <= maxLength { pool.append(child) }
        }
        report.corpus = pool.count
        return report
    }

    mutating func mutate(_ parent: [UInt8]) -> [UInt8] {
        var b = parent
        for _ in 0..<(1 + Int(random.next() % 4)) {
            let pos = b.isEmpty ? 0 : Int(random.next() % UInt64(b.count + 1))
            switch random.next() % 9 {
            case 0 where !b.isEmpty: b[min(pos, b.count - 1)] ^= UInt8(1 << (random.next() % 8))
            case 1 where !b.isEmpty: b[min(pos, b.count - 1)] = UInt8(truncatingIfNeeded: random.next())
            case 2: b.insert(UInt8(truncatingIfNeeded: random.next()), at: pos)
            case 3 where !dictionary.isEmpty, 4 where !dictionary.isEmpty: b.insert(contentsOf: dictionary[Int(random.next() % UInt64(dictionary.count))], at: pos)
            case 5 where !b.isEmpty:
                let end = min(b.count, pos + 1 + Int(random.next() % 16))
                b.removeSubrange(min(pos, b.count - 1)..<end)
            case 6 where !b.isEmpty:
                let start = min(pos, b.count - 1)
                let end = min(b.count, start + 1 + Int(random.next() % 32))
                b.insert(contentsOf: Array(b[start..<end]), at: Int(random.next() % UInt64(b.count + 1)))
            case 7:
                let other = pool[Int(random.next() % UInt64(pool.count))]
                guard !other.isEmpty else { break }
                let cut = Int(random.next() % UInt64(other.count))
                b = Array(b.prefix(pos)) + Array(other[cut...])
            case 8: b = Array(b.prefix(pos))
            default: break
            }
        }
        return b.count > maxLength ? Array(b.prefix(maxLength)) : b
    }
}

/// SplitMix64: a tiny, fast PRNG whose sequence depends only on its seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
