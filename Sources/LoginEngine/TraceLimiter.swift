import JSONCore

/// Cuts a login's stored trace down to a byte budget (`authsim.trace_max_bytes`), so one chatty
/// or hostile script cannot make the store grow by megabytes per login. The result stays valid
/// JSON of the same shape (arrays stay arrays, strings stay strings, the top-level keys stay) and
/// says that it was cut: a top-level `"truncated": {"originalBytes", "limitBytes", "cut"}` and
/// markers where parts went (a console line "… N more lines cut (trace size limit)", a string
/// suffix "… (N more characters cut)").
///
/// The biggest and least useful parts go first, each step only when the one before was not
/// enough, and each step from a generous to a strict budget: console lines beyond a budget per
/// entry, then long strings, then items of long arrays and objects, then deep nesting, and last
/// everything but the document's top-level scalars. The last step always fits (the limit has a
/// floor, `minimumLimit`).
public struct TraceLimiter: Sendable {
    public static let defaultLimit = 256 * 1024
    /// The smallest accepted limit: room for the marker and the document's small top-level fields.
    public static let minimumLimit = 4096
    public static let cutLineMessage = "(trace size limit)"

    public let limitBytes: Int

    public init(limitBytes: Int) {
        self.limitBytes = max(limitBytes, Self.minimumLimit)
    }

    /// What `limit` produced: the text to store, and the original size when it had to be cut.
    public struct Outcome: Sendable {
        public var json: String
        public var originalBytes: Int?
        public var wasCut: Bool { originalBytes != nil }
    }

    // Budgets of each step, from generous to strict.
    static let consoleLineBudgets = [1000, 200, 50, 10, 0]
    static let stringBudgets = [16384, 2048, 256, 64]
    static let itemBudgets = [1000, 100, 10, 1]
    static let depthBudgets = [32, 8, 4, 2]

    public func limit(_ document: JSONValue) -> Outcome {
        let text = document.serialized()
        let original = text.utf8.count
        guard original > limitBytes else { return Outcome(json: text, originalBytes: nil) }

        var current = document
        var cuts: [String] = []
        // Each budget of a step cuts the document as the step found it, so markers count what
        // the original had; a step ends at its strictest budget when none was enough.
        func attempt(_ name: String, _ budgets: [Int], _ cut: (JSONValue, Int) -> JSONValue) -> String? {
            let base = current
            for budget in budgets {
                let candidate = cut(base, budget)
                if candidate == base { continue }
                current = candidate
                if !cuts.contains(name) { cuts.append(name) }
                let text = marked(current, original: original, cuts: cuts).serialized()
                if text.utf8.count <= limitBytes { return text }
            }
            return nil
        }
        if let t = attempt("console lines", Self.consoleLineBudgets, { Self.cutConsole($0, keep: $1, key: nil) }) { return Outcome(json: t, originalBytes: original) }
        if let t = attempt("long strings", Self.stringBudgets, { Self.cutStrings($0, keep: $1) }) { return Outcome(json: t, originalBytes: original) }
        if let t = attempt("items", Self.itemBudgets, { Self.cutItems($0, keep: $1, depth: 0, key: nil) }) { return Outcome(json: t, originalBytes: original) }
        if let t = attempt("nesting", Self.depthBudgets, { Self.cutDepth($0, keep: $1, depth: 0) }) { return Outcome(json: t, originalBytes: original) }
        cuts.append("all but the summary")
        let summary = marked(Self.summary(current), original: original, cuts: cuts).serialized()
        if summary.utf8.count <= limitBytes { return Outcome(json: summary, originalBytes: original) }
        return Outcome(json: marked(Self.emptied(current), original: original, cuts: cuts).serialized(), originalBytes: original)
    }

    func marked(_ value: JSONValue, original: Int, cuts: [String]) -> JSONValue {
        guard case .object(var o) = value else { return value }
        o["truncated"] = .object([
            "originalBytes": .number(Double(original)), "limitBytes": .number(Double(limitBytes)),
            "cut": .array(cuts.map(JSONValue.string)),
        ])
        return .object(o)
    }

    // MARK: - Steps

    /// Every `console` array keeps its first lines and a quarter of the budget from its end (the
    /// lines before an error are often the useful ones), with a marker line between.
    static func cutConsole(_ value: JSONValue, keep: Int, key: String?) -> JSONValue {
        switch value {
        case .array(let a):
            if key == "console", a.count > keep + 1 {
                let tail = keep / 4
                let head = keep - tail
                let removed = a.count - keep
                var marker: [String: JSONValue] = [
                    "level": "warn", "message": .string("… \(removed) more lines cut \(cutLineMessage)"),
                ]
                if let t = a[head]["t"] { marker["t"] = t }
                return .array(Array(a[..<head]) + [.object(marker)] + Array(a[(a.count - tail)...]))
            }
            return .array(a.map { cutConsole($0, keep: keep, key: nil) })
        case .object(let o):
            return .object(o.reduce(into: [:]) { r, kv in r[kv.key] = cutConsole(kv.value, keep: keep, key: kv.key) })
        default:
            return value
        }
    }

    /// Strings (values and keys) longer than `keep` Unicode scalars keep that many and say how
    /// many more there were. Scalars, not characters: one "character" can be a megabyte of
    /// combining marks.
    static func cutStrings(_ value: JSONValue, keep: Int) -> JSONValue {
        switch value {
        case .string(let s): return .string(shortened(s, keep: keep))
        case .array(let a): return .array(a.map { cutStrings($0, keep: keep) })
        case .object(let o):
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(o.count)
            for (k, v) in o {
                var key = shortened(k, keep: keep)
                // Two long keys with the same beginning stay two keys.
                var n = 2
                while key != k, out[key] != nil {
                    key = shortened(k, keep: keep) + " #\(n)"
                    n += 1
                }
                out[key] = cutStrings(v, keep: keep)
            }
            return .object(out)
        default: return value
        }
    }

    static func shortened(_ s: String, keep: Int) -> String {
        // The marker itself is about 30 bytes: only cut what it saves.
        guard s.utf8.count > keep + 32 else { return s }
        let scalars = s.unicodeScalars
        guard scalars.count > keep + 32 else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.prefix(keep))
        return String(out) + "… (\(scalars.count - keep) more characters cut)"
    }

    /// Arrays keep their first `keep` items and objects their first `keep` keys (sorted, as the
    /// stored text has them). A cut array of strings gets a string marker; an object a `"…"` key.
    /// The document's own top-level keys are never dropped.
    static func cutItems(_ value: JSONValue, keep: Int, depth: Int, key: String?) -> JSONValue {
        switch value {
        case .array(let a):
            var kept = a.count > keep ? Array(a.prefix(keep)) : a
            kept = kept.map { cutItems($0, keep: keep, depth: depth + 1, key: nil) }
            if a.count > keep {
                let removed = a.count - keep
                if key == "console" {
                    kept.append(["level": "warn", "message": .string("… \(removed) more lines cut \(cutLineMessage)")])
                } else if a.allSatisfy({ $0.stringValue != nil }) {
                    kept.append(.string("… \(removed) more items cut \(cutLineMessage)"))
                }
            }
            return .array(kept)
        case .object(let o):
            let keys = o.keys.sorted()
            let limited = depth > 0 && keys.count > keep
            var out: [String: JSONValue] = [:]
            for k in limited ? Array(keys.prefix(keep)) : keys { out[k] = cutItems(o[k]!, keep: keep, depth: depth + 1, key: k) }
            if limited { out["…"] = .string("\(keys.count - keep) more keys cut \(cutLineMessage)") }
            return .object(out)
        default: return value
        }
    }

    /// Arrays and objects nested deeper than `keep` levels become empty ones.
    static func cutDepth(_ value: JSONValue, keep: Int, depth: Int) -> JSONValue {
        switch value {
        case .array(let a): return depth >= keep ? .array([]) : .array(a.map { cutDepth($0, keep: keep, depth: depth + 1) })
        case .object(let o):
            return depth >= keep ? .object([:]) : .object(o.mapValues { cutDepth($0, keep: keep, depth: depth + 1) })
        default: return value
        }
    }

    /// The last resort: the top level's short scalars; its arrays and objects emptied.
    static func summary(_ value: JSONValue) -> JSONValue {
        guard case .object(let o) = value else { return emptied(value) }
        return .object(o.mapValues { v in
            switch v {
            case .string(let s): return .string(shortened(s, keep: 64))
            case .array: return .array([])
            case .object: return .object([:])
            default: return v
            }
        })
    }

    /// Past even the summary (a document with thousands of top-level keys): only the marker.
    static func emptied(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object: return .object([:])
        case .array: return .array([])
        case .string: return .string("")
        default: return value
        }
    }
}
