/// 64-bit FNV-1a: a cheap, stable content hash for revisions and change detection (not for
/// anything security-related).
public struct FNV1a: Sendable {
    public private(set) var state: UInt64 = 0xcbf29ce484222325

    public init() {}

    /// Adds a string followed by a separator byte, so ("ab","c") and ("a","bc") differ.
    public mutating func add(_ s: String) {
        for b in s.utf8 {
            state ^= UInt64(b)
            state = state &* 0x100000001b3
        }
        state ^= 0xff
        state = state &* 0x100000001b3
    }

    public var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
