/// Rewrites a WebAssembly module so that the watchdog can stop it, and so that what it allocates
/// is bounded. Only used when a tenant turns WebAssembly on (`authsim.allow_webassembly`).
///
/// Why: in this JavaScriptCore a wasm loop ignores the watchdog's termination (checked with every
/// trap and tier option), but a call from wasm into a JavaScript function does not — the
/// termination is delivered at the callee's entry, and wasm's `catch_all` cannot catch it. So the
/// rewritten module imports a runtime JavaScript function, `check`, and calls it once a fuel
/// counter runs out: a mutable global the runtime makes once per context and every instance
/// imports (its code cannot name it: the module's own globals move up past it, and a module
/// that imports from the runtime's module name is refused). The counter is
/// charged at every function entry and loop head with what the code up to the next such point
/// can cost (see `regionCosts`); every unbounded execution in wasm goes through a loop or a call
/// (tail calls included), so `check` runs at least every `fuel` units of work.
///
/// What else changes: memories and tables get a maximum no larger than the limits (shared and
/// 64-bit memories are refused: `Atomics.wait` on a shared memory would block the worker beyond
/// any watchdog); `table.grow` and `memory.grow` first ask the runtime (`tableGrow` and
/// `memoryGrow`, two more imports, which weigh the growth against the budgets and answer an
/// impossible count when over them, so the grow fails as wasm's own `-1`); the `name` section
/// and code-metadata sections, which would name the wrong functions after the renumbering
/// (the module's own functions move up by three), are dropped.
///
/// The decoder knows the immediates of every instruction it accepts and refuses any other (GC
/// types and instructions, unknown prefixes): a decoder that misread an immediate could miss a
/// `loop` that JavaScriptCore then runs unmetered, so refusing is the only safe answer to what
/// it does not know.
public enum WasmMeter {
    public struct Limits: Sendable {
        /// Largest memory, in 64 KiB pages (a quarter of the script heap budget: JavaScriptCore
        /// counts a memory twice in the heap once JavaScript reads its buffer).
        public var memoryPages: UInt32
        /// Largest table, in elements.
        public var tableElements: UInt32
        /// Largest module accepted, in bytes.
        public var moduleBytes: Int

        public init(memoryPages: UInt32, tableElements: UInt32 = 1 << 20, moduleBytes: Int = 8 << 20) {
            self.memoryPages = memoryPages
            self.tableElements = tableElements
            self.moduleBytes = moduleBytes
        }
    }

    public struct Metered: Sendable {
        public var bytes: [UInt8]
        /// Bytes the module's own memories take at instantiation (their initial sizes).
        public var memoryBytes: Int
        /// Elements the module's own tables take at instantiation.
        public var tableElements: Int
    }

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The module and names of the imports the metered module adds.
    public static let importModule = "authsim:runtime"
    public static let checkImport = "check"
    public static let tableGrowImport = "tableGrow"
    public static let memoryGrowImport = "memoryGrow"
    public static let fuelImport = "fuel"
    /// Parameters or results of one function type, and targets of one `br_table`.
    public static let maximumArity: UInt32 = 16
    public static let maximumBranchTargets: UInt32 = 65_536
    /// Bytes of locals of one function (v128 16, i64/f64/references 8, i32/f32 4), and locals of
    /// one module.
    public static let maximumLocalBytes = 65_536
    public static let maximumLocals = 1 << 20
    /// Table elements scripts may make or grow in one job, and in one context before it is
    /// dropped after its job (JavaScriptCore does not count tables in the heap size).
    public static let tableElementsPerJob = 1 << 21
    public static let tableElementsPerContext = 1 << 22
    /// Instructions (bulk memory and table operations count 65,536) between two calls of
    /// `check`: about a millisecond of wasm.
    public static let fuel: UInt32 = 1 << 20

    /// Refuses a module too big to meter (before its bytes are even copied).
    public static func checkSize(_ count: Int, limits: Limits) throws(Refusal) {
        guard count <= limits.moduleBytes else {
            throw Refusal(message: "the module is \(count) bytes; a WebAssembly module may have at most \(limits.moduleBytes)")
        }
    }

    public static func meter(_ input: [UInt8], limits: Limits) throws(Refusal) -> Metered {
        try checkSize(input.count, limits: limits)
        var rewriter = try Rewriter(input: input, limits: limits, ownOutput: false)
        return try rewriter.run()
    }

    /// Reads a module this meter wrote (its imports from the runtime allowed) as `meter` reads
    /// any: for tests and the fuzz target, which check that the output is well formed.
    public static func reread(_ metered: [UInt8], limits: Limits) throws(Refusal) -> Metered {
        var rewriter = try Rewriter(input: metered, limits: limits, ownOutput: true)
        return try rewriter.run()
    }
}

// MARK: - Reading and writing the binary format

struct WasmReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    mutating func byte() throws(WasmMeter.Refusal) -> UInt8 {
        guard position < end else { throw refusal("unexpected end of the module") }
        defer { position += 1 }
        return bytes[position]
    }

    func peek() throws(WasmMeter.Refusal) -> UInt8 {
        guard position < end else { throw refusal("unexpected end of the module") }
        return bytes[position]
    }

    /// An unsigned LEB128 of at most `bits` bits, in at most ⌈bits/7⌉ bytes (as the format says).
    mutating func unsigned(bits: Int = 32) throws(WasmMeter.Refusal) -> UInt64 {
        var result: UInt64 = 0
        var shift = 0
        let maxBytes = (bits + 6) / 7
        for i in 0..<maxBytes {
            let b = try byte()
            result |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 {
                if i == maxBytes - 1, bits % 7 != 0, UInt64(b & 0x7F) >> UInt64(bits % 7) != 0 {
                    throw refusal("an integer is out of range")
                }
                return result
            }
            shift += 7
        }
        throw refusal("an integer is too long")
    }

    mutating func u32() throws(WasmMeter.Refusal) -> UInt32 { UInt32(truncatingIfNeeded: try unsigned(bits: 32)) }

    /// Skips a signed LEB128 of at most `bits` bits.
    mutating func skipSigned(bits: Int) throws(WasmMeter.Refusal) {
        let maxBytes = (bits + 6) / 7
        for _ in 0..<maxBytes where try byte() & 0x80 == 0 { return }
        throw refusal("an integer is too long")
    }

    mutating func skip(_ n: Int) throws(WasmMeter.Refusal) {
        guard n >= 0, n <= end - position else { throw refusal("unexpected end of the module") }
        position += n
    }

    mutating func name() throws(WasmMeter.Refusal) -> String {
        let n = Int(try u32())
        let start = position
        try skip(n)
        return String(decoding: bytes[start..<start + n], as: UTF8.self)
    }

    /// A value type: a number, vector or reference type (`ref null? ht` with its heap type).
    mutating func valueType() throws(WasmMeter.Refusal) {
        let b = try byte()
        switch b {
        case 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F, 0x69: return
        case 0x63, 0x64: try heapType()
        default: throw refusal("value type \(hex(b)) is not supported")
        }
    }

    /// A heap type: an abstract one (one negative byte) or a type index.
    mutating func heapType() throws(WasmMeter.Refusal) {
        let b = try peek()
        if b >= 0x40 && b < 0x80 {
            switch b {
            case 0x70, 0x6F, 0x69, 0x74, 0x73, 0x72: position += 1  // func, extern, exn, noexn, nofunc, noextern
            default: throw refusal("heap type \(hex(b)) is not supported")
            }
        } else {
            _ = try unsigned(bits: 32)
        }
    }

    /// A block type: empty, one value type, or a type index (s33).
    mutating func blockType() throws(WasmMeter.Refusal) {
        let b = try peek()
        if b == 0x40 { position += 1; return }
        if b == 0x63 || b == 0x64 || (b >= 0x40 && b < 0x80) { try valueType(); return }
        _ = try unsigned(bits: 32)
    }

    func refusal(_ message: String) -> WasmMeter.Refusal {
        WasmMeter.Refusal(message: "\(message) (at byte \(position))")
    }
}

func hex(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
}

extension Array where Element == UInt8 {
    mutating func leb(_ value: UInt64) {
        var v = value
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            append(b)
        } while v != 0
    }

    mutating func signedLEB(_ value: Int64) {
        var v = value
        while true {
            let b = UInt8(truncatingIfNeeded: v & 0x7F)
            v >>= 7
            if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) { append(b); return }
            append(b | 0x80)
        }
    }

    mutating func section(_ id: UInt8, _ payload: [UInt8]) {
        append(id)
        leb(UInt64(payload.count))
        append(contentsOf: payload)
    }
}

// MARK: - The rewrite

private struct Rewriter {
    let input: [UInt8]
    let limits: WasmMeter.Limits
    var sections: [(id: UInt8, payload: [UInt8])] = []

    var typeCount: UInt32 = 0
    var importedFunctions: UInt32 = 0
    var importedGlobals: UInt32 = 0
    /// The functions and globals the module declares itself (function and global sections).
    var declaredFunctions: UInt32 = 0
    var declaredGlobals: UInt32 = 0
    var locals = 0
    var memoryBytes = 0
    var tableElements = 0

    /// Indices the rewrite gives the added parts (set before the code is rewritten).
    var checkFunction: UInt32 = 0
    var tableGrowFunction: UInt32 = 0
    var memoryGrowFunction: UInt32 = 0
    var fuelGlobal: UInt32 = 0

    /// The input is the meter's own output (see `WasmMeter.reread`).
    let ownOutput: Bool

    init(input: [UInt8], limits: WasmMeter.Limits, ownOutput: Bool) throws(WasmMeter.Refusal) {
        self.input = input
        self.limits = limits
        self.ownOutput = ownOutput
        var r = WasmReader(input)
        guard input.count >= 8, input[0..<4].elementsEqual([0x00, 0x61, 0x73, 0x6D]) else {
            throw WasmMeter.Refusal(message: "not a WebAssembly module (no \\0asm header)")
        }
        guard input[4..<8].elementsEqual([0x01, 0x00, 0x00, 0x00]) else {
            throw WasmMeter.Refusal(message: "unsupported WebAssembly version (only version 1 modules run here)")
        }
        r.position = 8
        var lastRank = 0
        while !r.atEnd {
            let id = try r.byte()
            let size = Int(try r.u32())
            let start = r.position
            try r.skip(size)
            if id != 0 {
                guard let rank = Self.rank[id] else { throw r.refusal("unknown section \(id)") }
                guard rank > lastRank else { throw r.refusal("section \(id) is out of order or repeated") }
                lastRank = rank
            }
            sections.append((id, Array(input[start..<start + size])))
        }
    }

    static func tooBig(_ limits: WasmMeter.Limits) -> String {
        "the metered module would be over \(limits.moduleBytes * 3) bytes (too many loops and functions to meter)"
    }

    /// The order known sections must appear in (the tag section sits between memory and global).
    static let rank: [UInt8: Int] = [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13]

    /// A function or global index in the rewritten module. An index past the module's own is
    /// refused here rather than left to the engine's validation: the added functions and the fuel
    /// counter stay out of reach by the meter's own check.
    func renumber(_ f: UInt32) throws(WasmMeter.Refusal) -> UInt64 {
        guard UInt64(f) < UInt64(importedFunctions) + UInt64(declaredFunctions) else {
            throw WasmMeter.Refusal(message: "function index \(f) is out of range (the module has \(UInt64(importedFunctions) + UInt64(declaredFunctions)))")
        }
        return f < importedFunctions ? UInt64(f) : UInt64(f) + 3
    }
    func renumberGlobal(_ g: UInt32) throws(WasmMeter.Refusal) -> UInt64 {
        guard UInt64(g) < UInt64(importedGlobals) + UInt64(declaredGlobals) else {
            throw WasmMeter.Refusal(message: "global index \(g) is out of range (the module has \(UInt64(importedGlobals) + UInt64(declaredGlobals)))")
        }
        return g < importedGlobals ? UInt64(g) : UInt64(g) + 1
    }

    mutating func run() throws(WasmMeter.Refusal) -> WasmMeter.Metered {
        // Make sure the type, import and global sections exist, at their places.
        for id: UInt8 in [1, 2, 6] where !sections.contains(where: { $0.id == id }) {
            let rank = Self.rank[id]!
            let at = sections.firstIndex { $0.id != 0 && Self.rank[$0.id]! > rank } ?? sections.count
            sections.insert((id, [0]), at: at)
        }
        // First pass: the sections the indices depend on.
        for i in sections.indices {
            switch sections[i].id {
            case 1: sections[i].payload = try types(sections[i].payload)
            case 2: sections[i].payload = try imports(sections[i].payload)
            case 3: var r = WasmReader(sections[i].payload); declaredFunctions = try r.u32()
            case 6: var r = WasmReader(sections[i].payload); declaredGlobals = try r.u32()
            default: break
            }
        }
        checkFunction = importedFunctions
        tableGrowFunction = importedFunctions + 1
        memoryGrowFunction = importedFunctions + 2
        // The fuel counter is the last imported global: the module's own globals move up by one.
        fuelGlobal = importedGlobals
        var out: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        for (id, payload) in sections {
            let rewritten: [UInt8]?
            switch id {
            case 0: rewritten = try custom(payload)
            case 1, 2: rewritten = payload
            case 4: rewritten = try tables(payload)
            case 5: rewritten = try memories(payload)
            case 6: rewritten = try globals(payload)
            case 7: rewritten = try exports(payload)
            case 8: var r = WasmReader(payload); var o: [UInt8] = []; o.leb(try renumber(try r.u32())); rewritten = o
            case 9: rewritten = try elements(payload)
            case 10: rewritten = try code(payload)
            case 11: rewritten = try data(payload)
            default: rewritten = payload  // function, tag, data count: no function or global indices
            }
            if let rewritten { out.section(id, rewritten) }
            guard out.count <= limits.moduleBytes * 3 else { throw WasmMeter.Refusal(message: Self.tooBig(limits)) }
        }
        return WasmMeter.Metered(bytes: out, memoryBytes: memoryBytes, tableElements: tableElements)
    }

    /// Function types only (GC's recursive groups, structs and arrays are refused), with at
    /// most `maximumArity` parameters and results: what calls, branches and exceptions cost
    /// grows with them, to compile and to run, beyond what one unit of fuel stands for. Two
    /// types are added: `[] -> []` for `check` and `[i32] -> [i32]` for the grows.
    mutating func types(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        for _ in 0..<n {
            let form = try r.byte()
            guard form == 0x60 else { throw r.refusal("type form \(hex(form)) (WebAssembly GC) is not supported") }
            for _ in 0..<2 {
                let k = try r.u32()
                guard k <= WasmMeter.maximumArity else { throw r.refusal("a function type with \(k) parameters or results (at most \(WasmMeter.maximumArity) are metered)") }
                for _ in 0..<k { try r.valueType() }
            }
        }
        guard r.atEnd else { throw r.refusal("the type section has trailing bytes") }
        typeCount = n
        return rebuild(count: UInt64(n) + 2, payload: payload, added: [0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F])
    }

    /// The imports, with `check`, `tableGrow`, `memoryGrow` and the fuel counter (a mutable i32
    /// global, one per context, so that every instance draws on the same fuel) added last: the
    /// module's own functions move up by three, its own globals by one. Imports from the
    /// runtime's module name are refused (the fuel counter and the checks are not the script's),
    /// so are shared and 64-bit memories.
    mutating func imports(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        for _ in 0..<n {
            guard try r.name() != WasmMeter.importModule || ownOutput else { throw r.refusal("the module imports from \(WasmMeter.importModule), which is the runtime's") }
            _ = try r.name()
            let kind = try r.byte()
            switch kind {
            case 0x00: _ = try r.u32(); importedFunctions += 1
            case 0x01: try r.valueType(); _ = try limits(&r, what: "table", cap: nil)
            case 0x02: _ = try limits(&r, what: "memory", cap: nil)
            case 0x03: try r.valueType(); _ = try r.byte(); importedGlobals += 1
            case 0x04: _ = try r.byte(); _ = try r.u32()
            default: throw r.refusal("unknown import kind \(kind)")
            }
        }
        guard r.atEnd else { throw r.refusal("the import section has trailing bytes") }
        guard importedFunctions < 1_000_000, importedGlobals < 1_000_000 else { throw r.refusal("too many imports") }
        var added: [UInt8] = []
        for (name, type) in [(WasmMeter.checkImport, typeCount), (WasmMeter.tableGrowImport, typeCount + 1), (WasmMeter.memoryGrowImport, typeCount + 1)] {
            added.leb(UInt64(WasmMeter.importModule.utf8.count)); added += Array(WasmMeter.importModule.utf8)
            added.leb(UInt64(name.utf8.count)); added += Array(name.utf8)
            added.append(0x00); added.leb(UInt64(type))
        }
        added.leb(UInt64(WasmMeter.importModule.utf8.count)); added += Array(WasmMeter.importModule.utf8)
        added.leb(UInt64(WasmMeter.fuelImport.utf8.count)); added += Array(WasmMeter.fuelImport.utf8)
        added += [0x03, 0x7F, 0x01]
        return rebuild(count: UInt64(n) + 4, payload: payload, added: added)
    }

    /// Reads limits; with `cap`, answers them re-encoded with a maximum of at most `cap`.
    /// Memories: shared (threads) and 64-bit ones are refused; tables: 64-bit ones.
    func limits(_ r: inout WasmReader, what: String, cap: UInt32?) throws(WasmMeter.Refusal) -> (bytes: [UInt8], min: UInt32) {
        let flags = try r.byte()
        switch flags {
        case 0x00, 0x01: break
        case 0x02, 0x03 where what == "memory": throw r.refusal("shared WebAssembly memories are not available here (Atomics.wait on one would block the worker)")
        default: throw r.refusal("\(what) limits \(hex(flags)) (64-bit or custom pages) are not supported")
        }
        let min = try r.u32()
        let max: UInt32? = flags == 0x01 ? try r.u32() : nil
        guard let cap else { return ([], min) }
        guard min <= cap else {
            throw WasmMeter.Refusal(message: what == "memory"
                ? "a memory of \(min) pages (\(UInt64(min) * 65536) bytes) is over the limit of \(cap) pages (a quarter of the script heap budget)"
                : "a table of \(min) elements is over the limit of \(cap) elements per table")
        }
        var out: [UInt8] = [0x01]
        out.leb(UInt64(min))
        out.leb(UInt64(Swift.min(max ?? cap, cap)))
        return (out, min)
    }

    /// A vector section rewritten entry by entry: its count, then what `entry` writes for each,
    /// and nothing after the last.
    static func entries(
        _ payload: [UInt8], _ section: String, _ entry: (inout WasmReader, inout [UInt8]) throws(WasmMeter.Refusal) -> Void
    ) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        var out: [UInt8] = []
        out.leb(UInt64(n))
        for _ in 0..<n { try entry(&r, &out) }
        guard r.atEnd else { throw r.refusal("the \(section) section has trailing bytes") }
        return out
    }

    mutating func tables(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        let cap = limits.tableElements
        var total = 0
        let out = try Self.entries(payload, "table") { (r, out) throws(WasmMeter.Refusal) in
            var initializer = false
            if try r.peek() == 0x40 {
                try r.skip(1)
                guard try r.byte() == 0x00 else { throw r.refusal("bad table type") }
                out += [0x40, 0x00]
                initializer = true
            }
            let typeStart = r.position
            try r.valueType()
            out += payload[typeStart..<r.position]
            let (bytes, min) = try limits(&r, what: "table", cap: cap)
            out += bytes
            total += Int(min)
            if initializer { out += try constantExpression(&r) }
        }
        tableElements += total
        return out
    }

    mutating func memories(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        let cap = limits.memoryPages
        var total = 0
        let out = try Self.entries(payload, "memory") { (r, out) throws(WasmMeter.Refusal) in
            let (bytes, min) = try limits(&r, what: "memory", cap: cap)
            out += bytes
            total += Int(min) * 65536
        }
        memoryBytes += total
        return out
    }

    /// The module's globals (their initializers may name functions and globals).
    func globals(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "global") { (r, out) throws(WasmMeter.Refusal) in
            let start = r.position
            try r.valueType()
            _ = try r.byte()
            out += payload[start..<r.position]
            out += try constantExpression(&r)
        }
    }

    /// Data segments: an active one's offset may name a global (which moved up by one).
    func data(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "data") { (r, out) throws(WasmMeter.Refusal) in
            let flags = try r.u32()
            guard flags <= 2 else { throw r.refusal("unknown data segment kind \(flags)") }
            out.leb(UInt64(flags))
            if flags == 2 { out.leb(UInt64(try r.u32())) }
            if flags != 1 { out += try constantExpression(&r) }
            let length = Int(try r.u32())
            let start = r.position
            try r.skip(length)
            out.leb(UInt64(length))
            out += payload[start..<r.position]
        }
    }

    func exports(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "export") { (r, out) throws(WasmMeter.Refusal) in
            let start = r.position
            _ = try r.name()
            let kind = try r.byte()
            out += payload[start..<r.position]
            let index = try r.u32()
            out.leb(kind == 0x00 ? try renumber(index) : kind == 0x03 ? try renumberGlobal(index) : UInt64(index))
        }
    }

    func elements(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "element") { (r, out) throws(WasmMeter.Refusal) in
            let flags = try r.u32()
            guard flags <= 7 else { throw r.refusal("unknown element segment kind \(flags)") }
            out.leb(UInt64(flags))
            if flags == 2 || flags == 6 { out.leb(UInt64(try r.u32())) }  // table index
            if flags & 1 == 0 { out += try constantExpression(&r) }  // active: offset
            if flags & 3 != 0 {  // element kind (0x00) or reference type
                let start = r.position
                if flags & 4 == 0 { guard try r.byte() == 0x00 else { throw r.refusal("bad element kind") } } else { try r.valueType() }
                out += payload[start..<r.position]
            }
            let k = try r.u32()
            out.leb(UInt64(k))
            for _ in 0..<k {
                if flags & 4 == 0 { out.leb(try renumber(try r.u32())) } else { out += try constantExpression(&r) }
            }
        }
    }

    /// Custom sections: `name` and code metadata name functions by index, so they go.
    func custom(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8]? {
        var r = WasmReader(payload)
        let name = try r.name()
        if name == "name" || name.hasPrefix("metadata.code.") { return nil }
        return payload
    }

    mutating func code(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        var out: [UInt8] = []
        out.leb(UInt64(n))
        for _ in 0..<n {
            let size = Int(try r.u32())
            guard size <= payload.count - r.position else { throw r.refusal("a function body runs past its section") }
            let bodyEnd = r.position + size
            var body = WasmReader(payload, from: r.position, to: bodyEnd)
            // Locals: the engine zero-fills each on every call and compiles code for each, so
            // they are bounded per function and per module, and charged at the entry.
            let groups = try body.u32()
            var localBytes = 0
            for _ in 0..<groups {
                let count = Int(try body.u32())
                let type = try body.peek()
                try body.valueType()
                localBytes += count * (type == 0x7F || type == 0x7D ? 4 : type == 0x7B ? 16 : 8)
                locals += count
                guard localBytes <= WasmMeter.maximumLocalBytes, locals <= WasmMeter.maximumLocals else {
                    throw body.refusal("a function with \(localBytes) bytes of locals, or a module with \(locals) locals (at most \(WasmMeter.maximumLocalBytes) bytes per function, \(WasmMeter.maximumLocals) in all)")
                }
            }
            var rewritten = Array(payload[r.position..<body.position])
            // Two passes over the instructions: the region costs, then the rewrite.
            var first = body
            let costs = try regionCosts(&first)
            rewritten += checkSequence(cost: Int32(Swift.min(Int(costs.regions[0]) + localBytes / 8, Int(WasmMeter.fuel))))
            var loops = 0
            while !body.atEnd {
                let ins = try next(&body)
                if Self.isBulk(ins) { rewritten += checkSequence(cost: Int32(Self.bulkCost)) }
                try emit(ins, payload, into: &rewritten)
                if ins.op == 0x03 {
                    rewritten += checkSequence(cost: costs.regions[costs.loopRegion[loops]])
                    loops += 1
                }
            }
            out.leb(UInt64(rewritten.count))
            out += rewritten
            r.position = bodyEnd
            guard out.count <= limits.moduleBytes * 3 else { throw WasmMeter.Refusal(message: Self.tooBig(limits)) }
        }
        guard r.atEnd else { throw r.refusal("the code section has trailing bytes") }
        return out
    }

    /// One decoded instruction: where its bytes are, its opcode, the sub-opcode of a prefixed
    /// one, and the function index of `call`, `return_call` and `ref.func` or the global index
    /// of `global.get` and `global.set` (both renumbered).
    struct Instruction {
        var start: Int
        var end: Int
        var op: UInt8
        var sub: UInt32 = 0
        var index: UInt32 = 0
    }

    /// What the instructions between two metering points can cost (`cost`). A metering
    /// point (the function's entry, a loop's head) is charged for its region: the instructions
    /// up to the end of its body that are not inside a nested loop (which is its own region).
    /// Execution only comes back to an instruction through a loop head or a call, so between
    /// two passes through metering points it runs each instruction of one region at most once.
    /// A region's charge is at most the fuel: a region bigger than that (a function near
    /// JavaScriptCore's size limit) calls `check` on every pass, and one pass through plain
    /// instructions is short. Bulk memory and table operations (and grows), whose one
    /// instruction can be long, are metering points of their own: each is charged `bulkCost`
    /// right before it. Also checks the block structure: it must close exactly at the body's
    /// last byte, as JavaScriptCore reads it.
    func regionCosts(_ r: inout WasmReader) throws(WasmMeter.Refusal) -> (regions: [Int32], loopRegion: [Int]) {
        var regions: [Int] = [0]
        var loopRegion: [Int] = []
        var frames: [Bool] = [false]  // open blocks, the function's own first: is it a loop
        var open: [Int] = [0]  // the regions of the open loops, innermost last
        while !r.atEnd {
            guard !frames.isEmpty else { throw r.refusal("a function body goes on after its end") }
            let ins = try next(&r)
            regions[open[open.count - 1]] += Self.cost(ins)
            switch ins.op {
            case 0x02, 0x04, 0x06, 0x1F: frames.append(false)
            case 0x03:
                regions.append(0)
                loopRegion.append(regions.count - 1)
                open.append(regions.count - 1)
                frames.append(true)
            case 0x0B, 0x18:  // end, delegate
                if frames.removeLast(), open.count > 1 { open.removeLast() }
            default: break
            }
        }
        guard frames.isEmpty else { throw r.refusal("a function body ends inside a block") }
        return (regions.map { Int32(Swift.max(1, Swift.min($0, Int(WasmMeter.fuel)))) }, loopRegion)
    }

    static let bulkCost = 65_536

    /// Units of fuel for one instruction in a region: throwing (which unwinds through the
    /// engine) counts as 4,096, everything else as one.
    static func cost(_ ins: Instruction) -> Int {
        switch ins.op {
        case 0x08, 0x09, 0x0A: return 4_096
        default: return 1
        }
    }

    /// Instructions whose one execution can take long: bulk memory and table operations, grows.
    static func isBulk(_ ins: Instruction) -> Bool {
        switch (ins.op, ins.sub) {
        case (0x40, _), (0xFC, 8), (0xFC, 10), (0xFC, 11), (0xFC, 12), (0xFC, 14), (0xFC, 15), (0xFC, 17): return true
        default: return false
        }
    }

    /// `fuel -= cost; if fuel <= 0 { fuel = N; check() }`
    func checkSequence(cost: Int32) -> [UInt8] {
        var s: [UInt8] = [0x23]; s.leb(UInt64(fuelGlobal))
        s.append(0x41); s.signedLEB(Int64(cost))
        s += [0x6B, 0x24]; s.leb(UInt64(fuelGlobal))
        s.append(0x23); s.leb(UInt64(fuelGlobal))
        s += [0x41, 0x00, 0x4C, 0x04, 0x40, 0x41]; s.signedLEB(Int64(WasmMeter.fuel))
        s.append(0x24); s.leb(UInt64(fuelGlobal))
        s.append(0x10); s.leb(UInt64(checkFunction))
        s.append(0x0B)
        return s
    }

    /// A constant expression up to and including its `end`.
    func constantExpression(_ r: inout WasmReader) throws(WasmMeter.Refusal) -> [UInt8] {
        var out: [UInt8] = []
        while !r.atEnd {
            let ins = try next(&r)
            try emit(ins, r.bytes, into: &out)
            if ins.op == 0x0B { return out }
        }
        throw r.refusal("a constant expression has no end")
    }

    /// Copies one instruction, renumbering function indices and routing `table.grow` and
    /// `memory.grow` through the runtime.
    func emit(_ ins: Instruction, _ bytes: [UInt8], into out: inout [UInt8]) throws(WasmMeter.Refusal) {
        switch ins.op {
        case 0x10, 0x12, 0xD2:
            out.append(ins.op)
            out.leb(try renumber(ins.index))
        case 0x23, 0x24:
            out.append(ins.op)
            out.leb(try renumberGlobal(ins.index))
        case 0xFC where ins.sub == 15:
            out.append(0x10); out.leb(UInt64(tableGrowFunction))
            out += bytes[ins.start..<ins.end]
        case 0x40:
            out.append(0x10); out.leb(UInt64(memoryGrowFunction))
            out += bytes[ins.start..<ins.end]
        default:
            out += bytes[ins.start..<ins.end]
        }
    }

    /// Decodes the next instruction.
    func next(_ r: inout WasmReader) throws(WasmMeter.Refusal) -> Instruction {
        var ins = Instruction(start: r.position, end: 0, op: try r.byte())
        switch ins.op {
        case 0x10, 0x12, 0xD2, 0x23, 0x24: ins.index = try r.u32()
        case 0x03: try r.blockType()
        case 0xFC:
            ins.sub = try r.u32()
            try Self.miscImmediates(ins.sub, &r)
        default:
            try Self.immediates(ins.op, &r)
        }
        ins.end = r.position
        return ins
    }

    /// Skips the immediates of a one-byte opcode; refuses opcodes it does not know.
    static func immediates(_ op: UInt8, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch op {
        case 0x00, 0x01, 0x05, 0x0A, 0x0B, 0x0F, 0x19, 0x1A, 0x1B, 0xD1, 0xD3, 0xD4: return
        case 0x45...0xC4: return  // numeric, sign extension
        case 0x02, 0x04, 0x06: try r.blockType()  // block, if, try
        case 0x07, 0x08, 0x09, 0x18, 0x0C, 0x0D, 0xD5, 0xD6: _ = try r.u32()  // catch, throw, rethrow, delegate, br, br_if, br_on_(non_)null
        case 0x0E:  // br_table
            let n = try r.u32()
            guard n <= WasmMeter.maximumBranchTargets else { throw r.refusal("a br_table of \(n) targets (at most \(WasmMeter.maximumBranchTargets))") }
            for _ in 0...n { _ = try r.u32() }
        case 0x11, 0x13: _ = try r.u32(); _ = try r.u32()  // call_indirect, return_call_indirect
        case 0x14, 0x15: _ = try r.u32()  // call_ref, return_call_ref
        case 0x1C:  // select t*
            let n = try r.u32()
            for _ in 0..<n { try r.valueType() }
        case 0x1F:  // try_table
            try r.blockType()
            let n = try r.u32()
            for _ in 0..<n {
                let kind = try r.byte()
                switch kind {
                case 0x00, 0x01: _ = try r.u32(); _ = try r.u32()
                case 0x02, 0x03: _ = try r.u32()
                default: throw r.refusal("unknown catch clause \(kind)")
                }
            }
        case 0x20...0x26: _ = try r.u32()  // locals, globals, table.get/set
        case 0x28...0x3E: try memarg(&r)
        case 0x3F, 0x40: _ = try r.u32()  // memory.size, memory.grow
        case 0x41: try r.skipSigned(bits: 32)
        case 0x42: try r.skipSigned(bits: 64)
        case 0x43: try r.skip(4)
        case 0x44: try r.skip(8)
        case 0xD0: try r.heapType()
        case 0xFD: try simdImmediates(try r.u32(), &r)
        case 0xFE: try atomicImmediates(try r.u32(), &r)
        default: throw WasmMeter.Refusal(message: "WebAssembly instruction \(hex(op)) is not supported here (at byte \(r.position - 1))")
        }
    }

    /// `align` and `offset`, as JavaScriptCore reads them (it has no multiple memories, which
    /// would put a memory index after an `align` with bit 6 set: such an `align` is refused, so
    /// that the two never split the bytes differently, in reachable code or not).
    static func memarg(_ r: inout WasmReader) throws(WasmMeter.Refusal) {
        guard try r.u32() < 0x40 else { throw r.refusal("a memory access names a memory index (multiple memories are not supported)") }
        _ = try r.u32()
    }

    static func miscImmediates(_ sub: UInt32, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch sub {
        case 0...7: return  // saturating truncations
        case 8, 10, 12, 14: _ = try r.u32(); _ = try r.u32()  // memory.init, memory.copy, table.init, table.copy
        case 9, 11, 13, 15, 16, 17: _ = try r.u32()  // data.drop, memory.fill, elem.drop, table.grow/size/fill
        default: throw r.refusal("WebAssembly instruction 0xfc \(sub) is not supported here")
        }
    }

    static func simdImmediates(_ sub: UInt32, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch sub {
        case 0...11, 92, 93: try memarg(&r)
        case 12, 13: try r.skip(16)  // v128.const, i8x16.shuffle
        case 21...34: try r.skip(1)  // lane accesses
        case 84...91: try memarg(&r); try r.skip(1)  // lane loads and stores
        case 14...20, 35...83, 94...275: return
        default: throw r.refusal("SIMD instruction \(sub) is not supported here")
        }
    }

    static func atomicImmediates(_ sub: UInt32, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch sub {
        case 0x03: guard try r.byte() == 0 else { throw r.refusal("bad atomic.fence") }
        case 0x00...0x02, 0x10...0x4E: try memarg(&r)
        default: throw r.refusal("atomic instruction \(sub) is not supported here")
        }
    }

    /// A vector section with `count` entries: its entries after the old count, then `added`.
    func rebuild(count: UInt64, payload: [UInt8], added: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.leb(count)
        out += payload[lebLength(payload)...]
        out += added
        return out
    }

    func lebLength(_ payload: [UInt8]) -> Int {
        var i = 0
        while i < payload.count, payload[i] & 0x80 != 0 { i += 1 }
        return Swift.min(i + 1, payload.count)
    }
}
