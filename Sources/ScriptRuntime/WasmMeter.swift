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
        var rewriter = try WasmRewriter(input: input, limits: limits, ownOutput: false)
        return try rewriter.run()
    }

    /// Reads a module this meter wrote (its imports from the runtime allowed) as `meter` reads
    /// any: for tests and the fuzz target, which check that the output is well formed.
    public static func reread(_ metered: [UInt8], limits: Limits) throws(Refusal) -> Metered {
        var rewriter = try WasmRewriter(input: metered, limits: limits, ownOutput: true)
        return try rewriter.run()
    }
}

// MARK: - The rewrite

/// One module's rewrite: its sections read at `init`, rewritten by `run`. The section level is in
/// WasmRewriter+Sections.swift, the instruction level in WasmRewriter+Instructions.swift.
struct WasmRewriter {
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
}
